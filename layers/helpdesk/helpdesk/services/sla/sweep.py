"""sla_escalation's use case: every minute, read the tickets whose next SLA moment is due (the sharded ``sla_due``
sparse index: a running target's due time or its warning, a breach a write recorded and nobody escalated yet, the
next escalation level of a breached target), and do each once, in one audited write per ticket: a warning
(SlaWarning, mail), a breach (priority up one step, tag ``sla_breached``, SlaBreached) and each escalation level
due (mail, reassign, raise priority, SlaEscalated). A ticket that fails is reported and the sweep goes on
(``services.sweep_items``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain import sla
from helpdesk.domain.clock import iso, to_epoch
from helpdesk.domain.errors import InvalidInput
from helpdesk.domain.events import DomainEvent, ticket_event
from helpdesk.domain.sla.escalation import next_level_at, warn_at
from helpdesk.domain.tickets import SYSTEM, NewComment, Ticket, Update, change_ticket, next_priority
from helpdesk.domain.webhooks import SLA_EVENTS
from helpdesk.services import assignment
from helpdesk.services.common import SlaRules, commit, read_sla_rules, with_retries
from helpdesk.services.sla import notices
from helpdesk.services.sla.people import sla_people
from helpdesk.services.sweep_items import ItemFailures, ItemGuard

SWEEP_LIMIT = 500
BREACH_TAG = "sla_breached"


@dataclass
class SweepReport:
    read: int = 0
    breaches: list[tuple[int, str]] = field(default_factory=list)
    to_managers: list[tuple[int, int]] = field(default_factory=list)  # (ticket, manager): unassigned too long
    failures: ItemFailures = field(default_factory=ItemFailures)


def sweep_sla(deps: Container) -> SweepReport:
    now = deps.clock.now()
    report = SweepReport()
    guard = ItemGuard(deps, "sla", report.failures)
    due = deps.tickets.due_for_sla(now, SWEEP_LIMIT)
    rules = read_sla_rules(deps) if due else None  # once a sweep, and only when something is due
    for ticket_id in due:
        report.read += 1
        guard.run(ticket_id, lambda tid=ticket_id: _sweep_one(deps, tid, report, rules))  # type: ignore[misc]
    return report


sweep = sweep_sla  # the name the handler and older callers use


def _sweep_one(deps: Container, ticket_id: int, report: SweepReport, rules: SlaRules | None) -> None:
    for metric in with_retries(lambda: _escalate(deps, ticket_id, rules or read_sla_rules(deps))):
        report.breaches.append((ticket_id, metric))
    manager = assignment.escalate_ticket(deps, ticket_id)
    if manager is not None:
        report.to_managers.append((ticket_id, manager))


def _work_due(ticket: Ticket, now: datetime) -> bool:
    return any((t.active and t.due_at is not None and t.due_at <= now) or (t.breached_at is not None
                                                                           and t.escalated == 0)
               or ((w := warn_at(t)) is not None and w <= now) or ((lv := next_level_at(t)) is not None and lv <= now)
               for t in ticket.sla_targets.values())


@dataclass
class _Plan:
    """What one sweep does to one ticket: field changes, bus events, mails."""

    fields: dict[str, Any] = field(default_factory=dict)
    events: list[DomainEvent] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _escalate(deps: Container, ticket_id: int, rules: SlaRules) -> list[str]:
    now = deps.clock.now()
    ticket = deps.tickets.get(ticket_id)
    if not _work_due(ticket, now):
        return []
    people = sla_people(deps, ticket, rules.policies)
    # the breaches first, at the targets the ticket has now (the priority raised below may change them)
    changes = sla.apply_sla(ticket, rules.policies, now, rules.schedules, requester=people.requester,
                            organization=people.organization)
    policy = next((p for p in rules.policies if p.id == ticket.sla_policy_id), None)
    plan = _Plan()
    _warn(deps, ticket, now, plan)
    escalating = sla.record_breaches(ticket, now)
    if escalating:
        plan.fields.update(priority=next_priority(ticket.priority), tags=[*ticket.tags, BREACH_TAG])
        plan.notes.append("SLA target breached: " + ", ".join(sorted(t.metric for t in escalating)))
        plan.events += [
            ticket_event("SlaBreached", ticket_id, f"{t.metric}:{t.instance_id}:{to_epoch(t.breached_at or now)}",
                         SYSTEM, now, metric=t.metric, instance_id=t.instance_id, due_at=iso(t.due_at),
                         breached_at=iso(t.breached_at), policy_id=ticket.sla_policy_id)
            for t in escalating
        ]
    _run_levels(deps, ticket, policy, now, plan)
    if not plan.events:  # the rules changed since the last write and nothing of the SLA is due any more:
        if ticket.assignment_due_at is None:  # out of the due index until the ticket's next save sets its due
            deps.sweep_failures.park("sla", ticket_id)  # time again (else it would be read every minute)
        return []
    plan.events += _webhook_calls(deps, ticket_id, now, plan.events)
    update = _sla_update(ticket, now, plan)
    key = "sla#" + "|".join(sorted(e.event_id for e in plan.events if e.detail_type in SLA_BUS_EVENTS))
    commit(deps, update, idempotency_key=key, extra_events=plan.events, sla_rules=rules, metric_events=changes)
    return [t.metric for t in escalating]


SLA_BUS_EVENTS = ("SlaWarning", "SlaBreached", "SlaEscalated")


def _webhook_calls(deps: Container, ticket_id: int, now: datetime, events: list[DomainEvent]) -> list[DomainEvent]:
    """One WebhookRequested per SLA event and active webhook subscribed to ``sla_events`` (the webhooks are read
    only when the sweep has such an event)."""
    sla_events = [e for e in events if e.detail_type in SLA_BUS_EVENTS]
    if not sla_events:
        return []
    hooks = [w for w in deps.webhooks.webhooks() if w.active and SLA_EVENTS in w.subscriptions]
    calls = []
    for event in sla_events:
        body = json.dumps({"type": event.detail_type, "event_id": event.event_id,
                           **{k: v for k, v in event.detail.items()
                              if k in ("ticket_id", "metric", "instance_id", "due_at", "breached_at", "level",
                                       "policy_id", "reassigned_to", "raised_priority", "occurred_at")}})
        calls += [ticket_event("WebhookRequested", ticket_id, f"{event.event_id}:wh{hook.id}", SYSTEM, now,
                               webhook_id=str(hook.id), body=body, trigger_id=None) for hook in hooks]
    return calls


def _warn(deps: Container, ticket: Ticket, now: datetime, plan: _Plan) -> None:
    for target in ticket.sla_targets.values():
        moment = warn_at(target)
        if moment is None or moment > now:
            continue
        target.warned = True
        if target.due_at is not None and target.due_at <= now:
            continue  # found late: the breach is recorded now instead, no warning after the fact
        key = f"warn:{target.metric}:{target.instance_id}:{to_epoch(target.due_at or now)}"
        plan.events.append(ticket_event("SlaWarning", ticket.id, key, SYSTEM, now, metric=target.metric,
                                        instance_id=target.instance_id, due_at=iso(target.due_at),
                                        policy_id=ticket.sla_policy_id))
        plan.events += notices.mails(deps, ticket, target, key, notices.warning_recipients(deps, ticket), now,
                                     warning=True)
        plan.notes.append(f"SLA warning: {target.metric} due at {iso(target.due_at)}")


def _run_levels(deps: Container, ticket: Ticket, policy: sla.SlaPolicy | None, now: datetime, plan: _Plan) -> None:
    """Every escalation level due by now, in order, each once (``escalated`` counts them on the target)."""
    escalation = policy.escalation if policy is not None else None
    for target in ticket.sla_targets.values():
        while (moment := next_level_at(target)) is not None and moment <= now:
            number = target.escalated  # level 1 is the first after the breach was handled
            levels = escalation.levels_for(target.metric) if escalation is not None else ()
            target.escalated += 1
            if number > len(levels):
                continue  # the policy no longer has this level
            level = levels[number - 1]
            key = f"esc:{target.metric}:{target.instance_id}:{to_epoch(target.breached_at or now)}:{number}"
            if level.reassign_to is not None:
                plan.fields["assignee_id"] = level.reassign_to
            if level.raise_priority:
                plan.fields["priority"] = next_priority(plan.fields.get("priority", ticket.priority))
            shown = replace(ticket, assignee_id=plan.fields.get("assignee_id", ticket.assignee_id))
            plan.events.append(ticket_event("SlaEscalated", ticket.id, key, SYSTEM, now, metric=target.metric,
                                            instance_id=target.instance_id, level=number,
                                            breached_at=iso(target.breached_at), policy_id=ticket.sla_policy_id,
                                            reassigned_to=level.reassign_to, raised_priority=level.raise_priority))
            plan.events += notices.mails(deps, shown, target, key, notices.level_recipients(deps, shown, level),
                                         now, warning=False, level=number)
            plan.notes.append(f"SLA escalation level {number}: {target.metric}")


def _sla_update(ticket: Ticket, now: datetime, plan: _Plan) -> Update:
    """The plan's field changes; when they change nothing (an urgent ticket breached before, a warning alone),
    a private note records what the sweep did, so that each sweep's work is one audited write."""
    try:
        return change_ticket(ticket, actor=SYSTEM, via="sla", now=now, fields=plan.fields)
    except InvalidInput:
        note = NewComment(body="\n".join(plan.notes), public=False, author_id=-1, via="sla", automatic=True)
        return change_ticket(ticket, actor=SYSTEM, via="sla", now=now, comment=note)
