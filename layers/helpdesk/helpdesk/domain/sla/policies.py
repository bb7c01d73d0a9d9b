"""SLA policies: a filter in the trigger condition format plus targets per priority and metric.

The seven metrics are Zendesk's (their start, pause and stop rules are in ``helpdesk.domain.sla.metrics``). The
first matching policy by position applies; its filter sees the requester (``requester.custom_fields.<key>``) and
the requester's organization (``organization.custom_fields.<key>``) when the caller passes them. A ticket without
a priority is measured against the ``normal`` targets. Targets are minutes (``target``) or seconds
(``target_in_seconds``, at least 15, for messaging-speed targets; it wins when both are given).

A policy metric with ``business_hours: true`` counts business minutes of a schedule
(``helpdesk.domain.business_hours``): the one the policy names by ``schedule_id``, else the default schedule
(the first, by id). Without any schedule, business minutes are calendar minutes (open around the clock).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from helpdesk.domain.business_hours import Schedule
from helpdesk.domain.errors import InvalidRule
from helpdesk.domain.inputs import whole_number
from helpdesk.domain.sla.escalation import Escalation, parse_escalation
from helpdesk.domain.tickets import PRIORITIES, Ticket

METRICS = ("first_reply_time", "next_reply_time", "periodic_update_time", "pausable_update_time",
           "requester_wait_time", "agent_work_time", "total_resolution_time")
MIN_TARGET_SECONDS = 15
MAX_TARGET_MINUTES = 10 * 366 * 24 * 60  # ten years: beyond any target, and far from where datetimes end


@dataclass(frozen=True)
class PolicyMetric:
    priority: str
    metric: str
    target: int  # minutes, rounded up (the seconds are what counts)
    business_hours: bool = False
    target_seconds: int = 0  # 0: target * 60

    @property
    def seconds(self) -> int:
        return self.target_seconds or self.target * 60

    def to_api(self) -> dict[str, Any]:
        minutes: float = self.seconds // 60 if self.seconds % 60 == 0 else round(self.seconds / 60, 4)
        return {"priority": self.priority, "metric": self.metric, "target": minutes,
                "target_in_seconds": self.seconds, "business_hours": self.business_hours}


@dataclass(frozen=True)
class SlaPolicy:
    id: int
    title: str
    position: int
    filter: dict[str, list[dict[str, Any]]]
    metrics: tuple[PolicyMetric, ...]
    description: str = ""
    schedule_id: int | None = None
    escalation: Escalation | None = None

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
                   schedule_id=schedule_id, escalation=parse_escalation(data.get("escalation")))

    def to_api(self) -> dict[str, Any]:
        extra: dict[str, Any] = {} if self.schedule_id is None else {"schedule_id": self.schedule_id}
        if self.escalation is not None:
            extra["escalation"] = self.escalation.to_api()
        return {
            "id": self.id, "title": self.title, "description": self.description, "position": self.position,
            "filter": self.filter, **extra,
            "policy_metrics": [m.to_api() for m in self.metrics],
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
    seconds = raw.get("target_in_seconds")
    business_hours = raw.get("business_hours", False)
    if priority not in PRIORITIES:
        raise InvalidRule(f"policy metric priority must be one of {', '.join(PRIORITIES)}")
    if metric not in METRICS:
        raise InvalidRule(f"policy metric must be one of {', '.join(METRICS)}, not {metric!r}")
    if target is not None and (isinstance(target, bool) or not isinstance(target, int | float)
                               or not 0 < target <= MAX_TARGET_MINUTES):
        raise InvalidRule("policy metric target must be a positive number of minutes (at most ten years), "
                          "or give target_in_seconds")
    if seconds is not None and target is not None and isinstance(seconds, int) and abs(target * 60 - seconds) >= 1:
        raise InvalidRule(f"policy metric target ({target} minutes) and target_in_seconds ({seconds}) disagree: "
                          "give one, or both for the same time")
    if seconds is not None:
        if isinstance(seconds, bool) or not isinstance(seconds, int) \
                or not MIN_TARGET_SECONDS <= seconds <= MAX_TARGET_MINUTES * 60:
            raise InvalidRule(f"policy metric target_in_seconds must be a whole number of seconds, at least "
                              f"{MIN_TARGET_SECONDS} (at most ten years)")
    elif isinstance(target, bool) or not isinstance(target, int) or not 0 < target <= MAX_TARGET_MINUTES:
        raise InvalidRule("policy metric target must be a positive number of minutes (at most ten years), "
                          "or give target_in_seconds")
    if not isinstance(business_hours, bool):
        raise InvalidRule("policy metric business_hours must be true or false")
    if seconds is not None:
        return PolicyMetric(str(priority), str(metric), -(-seconds // 60), business_hours, seconds)
    return PolicyMetric(str(priority), str(metric), int(str(target)), business_hours)


def schedule_for(policy: SlaPolicy, schedules: Sequence[Schedule]) -> Schedule | None:
    """The schedule a policy's business-hours targets count in: the one it names, else the first by id."""
    ordered = sorted(schedules, key=lambda s: s.id)
    named = [s for s in ordered if s.id == policy.schedule_id]
    return named[0] if named else (ordered[0] if ordered else None)


def choose_policy(ticket: Ticket, policies: Sequence[SlaPolicy], requester: Mapping[str, Any] | None = None,
                  organization: Mapping[str, Any] | None = None) -> SlaPolicy | None:
    """The first policy by position whose filter matches; ``requester`` (a user's view with ``user_fields``)
    and ``organization`` (with ``organization_fields``) let filters on their fields match."""
    from helpdesk.domain.conditions import matches
    from helpdesk.domain.triggers import UpdateContext

    ctx = UpdateContext(update_type="Change", via=ticket.via, actor_role="system", actor_id=None,
                        comment=None, previous=None, requester=requester or {"id": ticket.requester_id},
                        organization=organization)
    snapshot = ticket.snapshot()
    for policy in sorted(policies, key=lambda p: (p.position, p.id)):
        if matches(policy.filter, snapshot, ctx):
            return policy
    return None


def needs_people(policies: Sequence[SlaPolicy]) -> tuple[bool, bool]:
    """Whether some filter reads the requester's fields, and whether some reads the organization's."""
    fields = [str(c.get("field")) for p in policies for group in p.filter.values() for c in group]
    return (any(f.startswith(("requester", "current_user")) for f in fields),
            any(f.startswith("organization.") or f.startswith("organization_field") for f in fields))


def reorder(policies: Sequence[SlaPolicy], ids: Any) -> list[SlaPolicy]:
    """Zendesk's reorder: ``sla_policy_ids`` lists every policy once, in the new order (positions 1..n)."""
    from dataclasses import replace

    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise InvalidRule("sla_policy_ids must be a list of SLA policy ids")
    known = {p.id: p for p in policies}
    if len(set(ids)) != len(ids) or set(ids) != set(known):
        missing = sorted(set(known) - set(ids))
        unknown = sorted(set(ids) - set(known))
        raise InvalidRule(f"sla_policy_ids must list each SLA policy exactly once (missing {missing}, "
                          f"unknown {unknown}, {len(ids) - len(set(ids))} repeated)")
    return [replace(known[i], position=n) for n, i in enumerate(ids, start=1)]
