"""The seven SLA metrics: when each starts, pauses, resumes and stops (Zendesk's documented rules), and how a
target's due time follows from its measured time.

| metric | an instance starts | paused while | stops (fulfilled) |
|---|---|---|---|
| first_reply_time | creation | never | first public agent comment |
| next_reply_time | the oldest unanswered requester comment after the first reply | never | next public agent reply |
| periodic_update_time | each public agent comment | never | next public agent comment |
| pausable_update_time | each public agent comment | pending | next public agent comment |
| requester_wait_time | creation, and each reopen (a new instance) | pending | solved |
| agent_work_time | creation, and each reopen (a new instance) | pending, on-hold | solved |
| total_resolution_time | creation, and each reopen (a new instance) | never | solved |

Solving a ticket stops every metric. An instance keeps the stretches it ran (``SlaTarget.segments``); its
measured time is their sum, in calendar time or in business time of the policy's schedule, so a policy,
priority or schedule change recomputes the due time from the metric's own start with the time already elapsed
counted. A target found past its due time when the ticket is written is breached at that moment, never
back-dated. Each change is also returned as a metric event (Zendesk's ticket metric event types).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from helpdesk.domain.business_hours import NoBusinessTime, Schedule, add_business_minutes, business_time_between
from helpdesk.domain.sla.escalation import next_level_at, warn_at
from helpdesk.domain.sla.policies import METRICS, PolicyMetric, SlaPolicy, choose_policy, schedule_for
from helpdesk.domain.tickets import SlaTarget, Ticket

PAUSED_WHILE: dict[str, frozenset[str]] = {
    "pausable_update_time": frozenset({"pending"}),
    "requester_wait_time": frozenset({"pending"}),
    "agent_work_time": frozenset({"pending", "hold"}),
}
RESOLUTION_METRICS = ("requester_wait_time", "agent_work_time", "total_resolution_time")
STOPPED = ("solved", "closed")
# Zendesk's metric names in ticket metric events: first and next reply are both "reply_time"
EVENT_METRIC = {"first_reply_time": "reply_time", "next_reply_time": "reply_time",
                "total_resolution_time": "resolution_time"}


@dataclass(frozen=True)
class MetricEvent:
    """A ticket metric event as Zendesk records it (``type``: apply_sla, activate, pause, fulfill, breach,
    update_status), kept when it happens."""

    metric: str  # our policy metric name; ``zendesk_metric`` is the name Zendesk's events use
    instance_id: int
    type: str
    time: datetime
    detail: Mapping[str, Any] = field(default_factory=dict)

    @property
    def zendesk_metric(self) -> str:
        return EVENT_METRIC.get(self.metric, self.metric)


@dataclass(frozen=True)
class _Wanted:
    cycle: int
    start: datetime


def _wanted(metric: str, ticket: Ticket, now: datetime) -> _Wanted | None:
    """The instance of ``metric`` the ticket's state calls for now (None: no instance should be open)."""
    if ticket.status in STOPPED:
        return None
    if metric == "first_reply_time":
        return _Wanted(0, ticket.created_at) if ticket.first_reply_at is None else None
    if metric == "next_reply_time":
        if ticket.first_reply_at is None or ticket.unanswered_requester_comments <= 0:
            return None
        return _Wanted(ticket.replies, ticket.requester_updated_at or now)
    if metric in ("periodic_update_time", "pausable_update_time"):
        return _Wanted(ticket.replies, ticket.agent_updated_at or now) if ticket.replies > 0 else None
    if ticket.reopens == 0:
        return _Wanted(0, ticket.created_at)
    return _Wanted(ticket.reopens, ticket.status_updated_at or now)


def _stop_time(metric: str, ticket: Ticket, now: datetime) -> datetime:
    if metric == "first_reply_time" and ticket.first_reply_at is not None:
        return ticket.first_reply_at
    if ticket.status in STOPPED and ticket.solved_at is not None:
        return ticket.solved_at
    return now


def _measure(target: SlaTarget, schedule: Schedule | None, start: datetime, end: datetime) -> float:
    if end <= start:
        return 0.0
    if target.business_hours and schedule is not None:
        return business_time_between(schedule, start, end).total_seconds()
    return (end - start).total_seconds()


def measured_seconds(target: SlaTarget, schedule: Schedule | None, at: datetime) -> float:
    """The time the target has counted up to ``at``: its running stretches, calendar or business."""
    total = 0.0
    for begin, end in target.segments:
        assert begin is not None
        total += _measure(target, schedule, begin, min(end or at, at))
    return total


def _due(target: SlaTarget, schedule: Schedule | None) -> datetime | None:
    """When a running target runs out (None while paused, or when the schedule never opens long enough)."""
    if not target.running:
        return None
    begin = target.segments[-1][0]
    assert begin is not None
    remaining = target.seconds - measured_seconds(target, schedule, begin)
    if remaining <= 0:
        return begin
    if target.business_hours and schedule is not None:
        try:
            return add_business_minutes(schedule, begin, remaining / 60)
        except NoBusinessTime:
            return None
    return begin + timedelta(seconds=remaining)


def _past_target(target: SlaTarget, schedule: Schedule | None, at: datetime) -> bool:
    return measured_seconds(target, schedule, at) >= target.seconds


class _Recorder:
    def __init__(self) -> None:
        self.events: list[MetricEvent] = []

    def add(self, target: SlaTarget, kind: str, at: datetime, **detail: Any) -> None:
        self.events.append(MetricEvent(target.metric, target.instance_id, kind, at, detail))


def apply_sla(ticket: Ticket, policies: Sequence[SlaPolicy], now: datetime, schedules: Sequence[Schedule] = (),
              *, requester: Mapping[str, Any] | None = None,
              organization: Mapping[str, Any] | None = None) -> list[MetricEvent]:
    """Bring the ticket's SLA targets up to date with its state after an update; return the metric events.

    ``schedules`` may be empty when no policy counts business hours; ``requester`` and ``organization`` are
    needed only when a policy's filter reads their fields (``policies.needs_people``).
    """
    log = _Recorder()
    policy = None if ticket.status in STOPPED else choose_policy(ticket, policies, requester, organization)
    if ticket.status not in STOPPED:
        ticket.sla_policy_id = policy.id if policy else None
    wanted_specs = policy.metrics_for(ticket.priority) if policy else {}
    schedule = schedule_for(policy, schedules) if policy else None
    for metric in METRICS:
        _apply_metric(ticket, metric, wanted_specs.get(metric), policy, schedule, now, log)
    return log.events


def _apply_metric(ticket: Ticket, metric: str, spec: PolicyMetric | None, policy: SlaPolicy | None,
                  schedule: Schedule | None, now: datetime, log: _Recorder) -> None:
    existing = ticket.sla_targets.get(metric)
    wanted = _wanted(metric, ticket, now)
    if existing is not None and existing.open and (wanted is None or wanted.cycle != existing.cycle):
        _fulfil(existing, _stop_time(metric, ticket, now), schedule, now, log)
    if spec is None:
        if existing is not None and existing.active and ticket.status not in STOPPED:
            del ticket.sla_targets[metric]  # the policy no longer sets this target: removed (a breach is kept)
        return
    if wanted is None:
        return
    assert policy is not None
    if existing is None or existing.cycle != wanted.cycle:
        instance = existing.instance_id + 1 if existing is not None else 1
        target = SlaTarget(metric, wanted.start, None, spec.target, instance_id=instance,
                           target_seconds=spec.seconds, business_hours=spec.business_hours, cycle=wanted.cycle,
                           segments=[[wanted.start, None]])
        ticket.sla_targets[metric] = target
        log.add(target, "activate", wanted.start)
        log.add(target, "apply_sla", now, sla={"policy": {"id": policy.id, "title": policy.title},
                                              "target": spec.target, "target_in_seconds": spec.seconds,
                                              "business_hours": spec.business_hours})
    else:
        target = existing
        if not target.open:
            return
        if (target.seconds, target.business_hours) != (spec.seconds, spec.business_hours):
            target.target_seconds, target.target_minutes = spec.seconds, spec.target
            target.business_hours = spec.business_hours
            log.add(target, "apply_sla", now, sla={"policy": {"id": policy.id, "title": policy.title},
                                                  "target": spec.target, "target_in_seconds": spec.seconds,
                                                  "business_hours": spec.business_hours})
    escalation = policy.escalation
    target.warn_before_seconds = (escalation.warn_before_minutes or 0) * 60 if escalation else 0
    target.level_minutes = [lv.after_minutes for lv in escalation.levels_for(metric)] if escalation else []
    _pause_or_resume(target, ticket.status, now, log)
    target.due_at = _due(target, schedule)
    if target.running and target.due_at is None:  # the schedule never opens long enough: no target rather
        ticket.sla_targets.pop(metric)           # than one that can never be met nor breached
        if existing is not None and existing is not target:
            ticket.sla_targets[metric] = existing
        return
    if target.breached_at is None and _past_target(target, schedule, now):
        target.breached_at = now  # found past due at this write: breached now, never back-dated
        log.add(target, "breach", now)


def _pause_or_resume(target: SlaTarget, status: str, now: datetime, log: _Recorder) -> None:
    pause = status in PAUSED_WHILE.get(target.metric, frozenset())
    if pause and target.running:
        start = target.segments[-1][0]
        assert start is not None
        target.segments[-1][1] = max(now, start)
        log.add(target, "pause", now)
    elif not pause and not target.running:
        target.segments.append([now, None])
        log.add(target, "activate", now)


def _fulfil(target: SlaTarget, stop: datetime, schedule: Schedule | None, now: datetime, log: _Recorder) -> None:
    if target.running:
        start = target.segments[-1][0]
        assert start is not None
        target.segments[-1][1] = max(stop, start)
    if target.breached_at is None and _past_target(target, schedule, stop):
        target.breached_at = now  # it ran out before anyone swept it: recorded now, never back-dated
        log.add(target, "breach", now)
    if target.breached_at is not None:
        target.escalated = max(target.escalated, 1)  # met now (late): nothing left to escalate
    target.fulfilled_at = stop
    target.due_at = None
    log.add(target, "fulfill", stop)
    calendar = measured_seconds(replace(target, business_hours=False), None, stop)
    business = measured_seconds(replace(target, business_hours=True), schedule, stop) if schedule else calendar
    log.add(target, "update_status", stop, status={"calendar": round(calendar / 60), "business": round(business / 60)})


def next_due(ticket: Ticket) -> datetime | None:
    """The earliest due time of a target still watched, or of handing an unassigned ticket to its group's
    manager (``assignment_due_at``): what the sweep's sparse index is keyed on."""
    if ticket.status in STOPPED:
        return None
    dues = [t.due_at for t in ticket.sla_targets.values() if t.active and t.due_at is not None]
    dues += [t.breached_at for t in ticket.sla_targets.values()
             if t.breached_at is not None and t.escalated == 0]  # a breach recorded by a write, not yet escalated
    dues += [moment for t in ticket.sla_targets.values() for moment in (warn_at(t), next_level_at(t))
             if moment is not None]
    if ticket.assignment_due_at is not None and ticket.assignee_id is None and ticket.group_id is not None:
        dues.append(ticket.assignment_due_at)
    return min(dues) if dues else None


def next_breach_at(ticket: Ticket) -> datetime | None:
    """When the next running target breaches (automations' ``hours until next SLA breach``)."""
    if ticket.status in STOPPED:
        return None
    dues = [t.due_at for t in ticket.sla_targets.values() if t.active and t.due_at is not None]
    return min(dues) if dues else None


def last_breach_at(ticket: Ticket) -> datetime | None:
    """When the ticket's latest breach was recorded (automations' ``hours since last SLA breach``)."""
    breaches = [t.breached_at for t in ticket.sla_targets.values() if t.breached_at is not None]
    return max(breaches) if breaches else None


def record_breaches(ticket: Ticket, now: datetime) -> list[SlaTarget]:
    """The sweep's breaches: mark every watched target whose due time has passed as breached now, and take
    over the breaches a write recorded but nobody escalated yet; return them all, each marked escalated (it is
    returned once)."""
    if ticket.status in STOPPED:
        return []
    breached = []
    for target in ticket.sla_targets.values():
        if target.active and target.due_at is not None and target.due_at <= now:
            target.breached_at = now
        if target.breached_at is not None and target.escalated == 0:
            target.escalated = 1
            breached.append(target)
    return breached
