"""sla_escalation's use case: every minute, read the tickets whose next SLA target is due (sparse index),
record each breach once and escalate (priority up one step, tag ``sla_breached``, SlaBreached event). A ticket
that fails is reported and the sweep goes on (``services.sweep_items``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from helpdesk.bootstrap import Container
from helpdesk.domain import sla
from helpdesk.domain.clock import iso, to_epoch
from helpdesk.domain.events import DomainEvent, ticket_event
from helpdesk.domain.tickets import SYSTEM, change_ticket, next_priority
from helpdesk.services import assignment
from helpdesk.services.common import commit, with_retries
from helpdesk.services.sweep_items import ItemFailures, ItemGuard

SWEEP_LIMIT = 500
BREACH_TAG = "sla_breached"


@dataclass
class SweepReport:
    read: int = 0
    breaches: list[tuple[int, str]] = field(default_factory=list)
    to_managers: list[tuple[int, int]] = field(default_factory=list)  # (ticket, manager): unassigned too long
    failures: ItemFailures = field(default_factory=ItemFailures)


def sweep(deps: Container) -> SweepReport:
    now = deps.clock.now()
    report = SweepReport()
    guard = ItemGuard(deps, "sla", report.failures)
    for ticket_id in deps.tickets.due_for_sla(now, SWEEP_LIMIT):
        report.read += 1
        guard.run(ticket_id, lambda tid=ticket_id: _sweep_one(deps, tid, report))  # type: ignore[misc]
    return report


def _sweep_one(deps: Container, ticket_id: int, report: SweepReport) -> None:
    for metric in with_retries(lambda: _escalate(deps, ticket_id)):
        report.breaches.append((ticket_id, metric))
    manager = assignment.escalate_ticket(deps, ticket_id)
    if manager is not None:
        report.to_managers.append((ticket_id, manager))


def _escalate(deps: Container, ticket_id: int) -> list[str]:
    now = deps.clock.now()
    ticket = deps.tickets.get(ticket_id)
    due = [t for t in ticket.sla_targets.values() if t.active and t.due_at <= now]
    if not due or ticket.status in ("solved", "closed"):
        return []
    fields = {"priority": next_priority(ticket.priority), "tags": [*ticket.tags, BREACH_TAG]}
    update = change_ticket(ticket, actor=SYSTEM, via="sla", now=now, fields=fields)
    breached = sla.record_breaches(update.ticket, now)
    events: list[DomainEvent] = [
        ticket_event("SlaBreached", ticket_id, f"{t.metric}:{to_epoch(t.due_at)}", SYSTEM, now,
                     metric=t.metric, due_at=iso(t.due_at), breached_at=iso(now),
                     policy_id=update.ticket.sla_policy_id)
        for t in breached
    ]
    key = "sla#" + "|".join(sorted(e.event_id for e in events))
    commit(deps, update, idempotency_key=key, extra_events=events)
    return [t.metric for t in breached]
