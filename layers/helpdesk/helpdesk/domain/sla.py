"""SLA policies and targets: due times set on the ticket, breaches found by a sweep.

Supported metrics (Zendesk names): ``first_reply_time`` (creation -> first public agent comment) and
``total_resolution_time`` (creation -> solved). A policy is a filter in the trigger condition format plus
targets per priority; the first matching policy by position applies. A ticket without a priority is measured
against the ``normal`` targets. Breaches are recorded at the sweep's time, never back-dated.

A policy metric with ``business_hours: true`` counts business minutes of a schedule
(``helpdesk.domain.business_hours``): the one the policy names by ``schedule_id``, else the default schedule
(the first, by id). Without any schedule, business minutes are calendar minutes (open around the clock).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from helpdesk.domain.business_hours import NoBusinessTime, Schedule, add_business_minutes
from helpdesk.domain.clock import iso
from helpdesk.domain.errors import InvalidRule
from helpdesk.domain.inputs import whole_number
from helpdesk.domain.tickets import PRIORITIES, SlaTarget, Ticket

METRICS = ("first_reply_time", "total_resolution_time")
MAX_TARGET_MINUTES = 10 * 366 * 24 * 60  # ten years: beyond any target, and far from where datetimes end


@dataclass(frozen=True)
class PolicyMetric:
    priority: str
    metric: str
    target: int
    business_hours: bool = False


@dataclass(frozen=True)
class SlaPolicy:
    id: int
    title: str
    position: int
    filter: dict[str, list[dict[str, Any]]]
    metrics: tuple[PolicyMetric, ...]
    description: str = ""
    schedule_id: int | None = None

    @property
    def uses_business_hours(self) -> bool:
        return any(m.business_hours for m in self.metrics)

    @classmethod
    def from_api(cls, data: Mapping[str, Any], *, id: int) -> SlaPolicy:
        from helpdesk.domain.conditions import validate_conditions

        title = str(data.get("title") or "").strip()
        if not title:
            raise InvalidRule("an SLA policy needs a title")
        raw_metrics = data.get("policy_metrics") or []
        if not isinstance(raw_metrics, list):
            raise InvalidRule("policy_metrics must be a list of {priority, metric, target, business_hours}")
        metrics = [_policy_metric(raw) for raw in raw_metrics]
        if not metrics:
            raise InvalidRule("an SLA policy needs at least one policy metric")
        schedule_id = data.get("schedule_id")
        if schedule_id is not None and (not isinstance(schedule_id, int) or whole_number(schedule_id) is None):
            raise InvalidRule("schedule_id must be a schedule's id")
        position = whole_number(data.get("position") or 0)
        if position is None:
            raise InvalidRule("position must be a whole number")
        return cls(id=id, title=title, position=position,
                   filter=validate_conditions(data.get("filter") or {"all": [], "any": []}),
                   metrics=tuple(metrics), description=str(data.get("description") or ""),
                   schedule_id=schedule_id)

    def to_api(self) -> dict[str, Any]:
        extra = {} if self.schedule_id is None else {"schedule_id": self.schedule_id}
        return {
            "id": self.id, "title": self.title, "description": self.description, "position": self.position,
            "filter": self.filter, **extra,
            "policy_metrics": [
                {"priority": m.priority, "metric": m.metric, "target": m.target, "business_hours": m.business_hours}
                for m in self.metrics
            ],
        }

    def targets_for(self, priority: str | None) -> dict[str, int]:
        wanted = priority or "normal"
        return {m.metric: m.target for m in self.metrics if m.priority == wanted}

    def metrics_for(self, priority: str | None) -> dict[str, PolicyMetric]:
        wanted = priority or "normal"
        return {m.metric: m for m in self.metrics if m.priority == wanted}


def _policy_metric(raw: Any) -> PolicyMetric:
    if not isinstance(raw, Mapping):
        raise InvalidRule("a policy metric is an object with priority, metric, target and business_hours")
    priority, metric, target = raw.get("priority"), raw.get("metric"), raw.get("target")
    business_hours = raw.get("business_hours", False)
    if priority not in PRIORITIES:
        raise InvalidRule(f"policy metric priority must be one of {', '.join(PRIORITIES)}")
    if metric not in METRICS:
        raise InvalidRule(f"policy metric must be one of {', '.join(METRICS)}, not {metric!r}")
    if isinstance(target, bool) or not isinstance(target, int) or not 0 < target <= MAX_TARGET_MINUTES:
        raise InvalidRule("policy metric target must be a positive number of minutes (at most ten years)")
    if not isinstance(business_hours, bool):
        raise InvalidRule("policy metric business_hours must be true or false")
    return PolicyMetric(str(priority), str(metric), target, business_hours)


def schedule_for(policy: SlaPolicy, schedules: Sequence[Schedule]) -> Schedule | None:
    """The schedule a policy's business-hours targets count in: the one it names, else the first by id."""
    ordered = sorted(schedules, key=lambda s: s.id)
    named = [s for s in ordered if s.id == policy.schedule_id]
    return named[0] if named else (ordered[0] if ordered else None)


def due_time(start: datetime, metric: PolicyMetric, schedule: Schedule | None) -> datetime:
    """When a target started at ``start`` is due: calendar minutes, or business minutes of ``schedule``."""
    if metric.business_hours and schedule is not None:
        return add_business_minutes(schedule, start, metric.target)
    return start + timedelta(minutes=metric.target)


def choose_policy(ticket: Ticket, policies: Sequence[SlaPolicy]) -> SlaPolicy | None:
    from helpdesk.domain.conditions import matches
    from helpdesk.domain.triggers import UpdateContext

    ctx = UpdateContext(update_type="Change", via=ticket.via, actor_role="system", actor_id=None,
                        comment=None, previous=None, requester={"id": ticket.requester_id})
    snapshot = ticket.snapshot()
    for policy in sorted(policies, key=lambda p: (p.position, p.id)):
        if matches(policy.filter, snapshot, ctx):
            return policy
    return None


def _fulfilment(ticket: Ticket, metric: str) -> datetime | None:
    if metric == "first_reply_time":
        return ticket.first_reply_at
    if metric == "total_resolution_time":
        return ticket.solved_at
    return None


def apply_sla(ticket: Ticket, policies: Sequence[SlaPolicy], now: datetime,
              schedules: Sequence[Schedule] = ()) -> None:
    """(Re)compute the ticket's targets: fulfil what stopped, set due times from the policy and priority.

    Breached and fulfilled targets are history and are kept; open targets follow the current policy and
    priority, measured from the ticket's creation, in calendar minutes or in business minutes of the
    policy's schedule (see ``schedule_for``; ``schedules`` may be empty when no policy uses business hours).
    """
    for metric, target in ticket.sla_targets.items():
        stop = _fulfilment(ticket, metric)
        if target.active and stop is not None:
            target.fulfilled_at = stop
    if ticket.status in ("solved", "closed"):
        return
    policy = choose_policy(ticket, policies)
    ticket.sla_policy_id = policy.id if policy else None
    wanted = policy.metrics_for(ticket.priority) if policy else {}
    schedule = schedule_for(policy, schedules) if policy else None
    for metric in list(ticket.sla_targets):
        if ticket.sla_targets[metric].active and metric not in wanted:
            del ticket.sla_targets[metric]
    for metric, spec in wanted.items():
        existing = ticket.sla_targets.get(metric)
        if existing is not None and not existing.active:
            continue
        if _fulfilment(ticket, metric) is not None:
            continue
        start = ticket.created_at
        try:
            due = due_time(start, spec, schedule)
        except NoBusinessTime:
            continue  # the schedule never opens long enough: no target rather than a ticket that cannot be saved
        ticket.sla_targets[metric] = SlaTarget(metric, start, due, spec.target)


def next_due(ticket: Ticket) -> datetime | None:
    """The earliest due time of a target still running, or of handing an unassigned ticket to its group's
    manager (``assignment_due_at``): what the sweep's sparse index is keyed on."""
    if ticket.status in ("solved", "closed"):
        return None
    dues = [t.due_at for t in ticket.sla_targets.values() if t.active]
    if ticket.assignment_due_at is not None and ticket.assignee_id is None and ticket.group_id is not None:
        dues.append(ticket.assignment_due_at)
    return min(dues) if dues else None


def record_breaches(ticket: Ticket, now: datetime) -> list[SlaTarget]:
    """Mark every running target whose due time has passed as breached now; return those newly breached."""
    if ticket.status in ("solved", "closed"):
        return []
    breached = []
    for target in ticket.sla_targets.values():
        if target.active and target.due_at <= now:
            target.breached_at = now
            breached.append(target)
    return breached


def describe(target: SlaTarget) -> dict[str, Any]:
    return {
        "metric": target.metric, "target_minutes": target.target_minutes, "start_at": iso(target.start_at),
        "due_at": iso(target.due_at), "fulfilled_at": iso(target.fulfilled_at),
        "breached_at": iso(target.breached_at),
    }
