"""sla_escalation's use case: every minute, read the tickets whose next SLA moment is due (the ``sla_due`` sparse
index: a running target's due time, or a breach a write recorded and nobody escalated yet), record each breach
once and escalate it (priority up one step, tag ``sla_breached``, SlaBreached event). A ticket that fails is
reported and the sweep goes on (``services.sweep_items``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from helpdesk.bootstrap import Container
from helpdesk.domain import sla
from helpdesk.domain.clock import iso, to_epoch
from helpdesk.domain.errors import InvalidInput
from helpdesk.domain.events import DomainEvent, ticket_event
from helpdesk.domain.tickets import SYSTEM, NewComment, SlaTarget, Ticket, Update, change_ticket, next_priority
from helpdesk.services import assignment
from helpdesk.services.common import commit, read_sla_rules, with_retries
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
    for ticket_id in deps.tickets.due_for_sla(now, SWEEP_LIMIT):
        report.read += 1
        guard.run(ticket_id, lambda tid=ticket_id: _sweep_one(deps, tid, report))  # type: ignore[misc]
    return report


sweep = sweep_sla  # the name the handler and older callers use


def _sweep_one(deps: Container, ticket_id: int, report: SweepReport) -> None:
    for metric in with_retries(lambda: _escalate(deps, ticket_id)):
        report.breaches.append((ticket_id, metric))
    manager = assignment.escalate_ticket(deps, ticket_id)
    if manager is not None:
        report.to_managers.append((ticket_id, manager))


def _unescalated(ticket: Ticket, now: datetime) -> list[SlaTarget]:
    return [t for t in ticket.sla_targets.values()
            if (t.active and t.due_at is not None and t.due_at <= now) or (t.breached_at is not None
                                                                           and t.escalated == 0)]


def _escalate(deps: Container, ticket_id: int) -> list[str]:
    now = deps.clock.now()
    ticket = deps.tickets.get(ticket_id)
    if not _unescalated(ticket, now):
        return []
    rules = read_sla_rules(deps)
    people = sla_people(deps, ticket, rules.policies)
    # the breaches first, at the targets the ticket has now (the priority raised below may change them)
    breaches = sla.apply_sla(ticket, rules.policies, now, rules.schedules, requester=people.requester,
                             organization=people.organization)
    escalating = sla.record_breaches(ticket, now)
    if not escalating:  # the rules changed since the last write and no target is past any more
        return []
    update = _breach_update(ticket, now, [t.metric for t in escalating])
    events: list[DomainEvent] = [
        ticket_event("SlaBreached", ticket_id, f"{t.metric}:{t.instance_id}:{to_epoch(t.breached_at or now)}", SYSTEM,
                     now, metric=t.metric, instance_id=t.instance_id, due_at=iso(t.due_at),
                     breached_at=iso(t.breached_at), policy_id=update.ticket.sla_policy_id)
        for t in escalating
    ]
    key = "sla#" + "|".join(sorted(e.event_id for e in events))
    commit(deps, update, idempotency_key=key, extra_events=events, sla_rules=rules, metric_events=breaches)
    return [t.metric for t in escalating]


def _breach_update(ticket: Ticket, now: datetime, metrics: list[str]) -> Update:
    """Priority up one step and the breach tag; when both are already so (an urgent ticket breached before),
    a private note records the breach instead, so that every breach is one audited write."""
    fields = {"priority": next_priority(ticket.priority), "tags": [*ticket.tags, BREACH_TAG]}
    try:
        return change_ticket(ticket, actor=SYSTEM, via="sla", now=now, fields=fields)
    except InvalidInput:
        names = ", ".join(sorted(metrics))
        note = NewComment(body=f"SLA target breached: {names}", public=False, author_id=-1, via="sla",
                          automatic=True)
        return change_ticket(ticket, actor=SYSTEM, via="sla", now=now, comment=note)
