"""automations' use cases: manage automations, and run them every hour over the tickets they could match.

Cost of a run. Each active automation becomes index reads (``domain.automations.candidate_reads``): one query
of the ``by_status`` index per status it allows, bounded by the time the status was set when it has an
``hours since <that status>`` or ``hours since update`` condition (``is N`` reads a one-hour slice). The items
read are the union of those slices, so a run grows with the open tickets *due* for some automation, not with
all tickets: closed tickets are never read, and ``status is pending`` + ``hours since pending > 48`` reads only
pending tickets older than 48 hours. Without a status or bounding time condition an automation reads every
ticket that is not closed (five partitions, O(open tickets)). Tickets found by several reads are evaluated
once. Each firing costs one consistent read (a fresh copy, re-checked) and one transactional write; requester
records are read only when a condition needs them. ``RunReport.items_read`` counts index items read.

A ticket that fails (an unreadable record, a failing write) is reported with its cause and the run goes on with
the next; one that keeps failing is parked from the run until it changes (``services.sweep_items``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain import automations as rules
from helpdesk.domain import sla
from helpdesk.domain.automations import Automation, Clocks
from helpdesk.domain.business_hours import Schedule
from helpdesk.domain.clock import iso, to_epoch
from helpdesk.domain.errors import InvalidInput, TicketNotFound
from helpdesk.domain.events import DomainEvent, ticket_event
from helpdesk.domain.rule_actions import apply_action, mentions_rating, notifications, placeholder_context, to_chat
from helpdesk.domain.rule_body import with_conditions
from helpdesk.domain.rule_context import UpdateContext
from helpdesk.domain.tickets import EDITABLE_FIELDS, RULE, SYSTEM, Ticket, change_ticket
from helpdesk.ports import AlreadyApplied, RuleStore, TicketsByStatus
from helpdesk.services.business_hours import default_schedule
from helpdesk.services.common import commit, with_retries
from helpdesk.services.rule_crud import RuleCrud
from helpdesk.services.sweep_items import ItemFailures, ItemGuard

MAX_FIRINGS_PER_AUTOMATION = 1000  # per run, as Zendesk; the rest are picked up an hour later
VIA = "automation"


@dataclass
class RunReport:
    automations: int = 0
    items_read: int = 0  # items read from the by_status index
    tickets_evaluated: int = 0
    reloaded: int = 0  # consistent reads of tickets about to change
    fired: list[tuple[int, int]] = field(default_factory=list)  # (automation id, ticket id)
    closed: list[int] = field(default_factory=list)  # tickets closed for having been solved long enough
    failures: ItemFailures = field(default_factory=ItemFailures)

    def to_json(self) -> dict[str, Any]:
        return {"automations": self.automations, "items_read": self.items_read,
                "tickets_evaluated": self.tickets_evaluated, "reloaded": self.reloaded,
                "fired": [{"automation_id": a, "ticket_id": t} for a, t in self.fired], "closed": self.closed,
                "failed": [{"ticket_id": t, "cause": c} for t, c in self.failures.failed],
                "parked": self.failures.parked}


def _store(deps: Container) -> RuleStore[Automation]:
    store: RuleStore[Automation] = deps.automations
    return store


def list_automations(deps: Container) -> list[Automation]:
    return _store(deps).all()


CRUD: RuleCrud[Automation] = RuleCrud("automation", _store, Automation.from_api, read_body=with_conditions)
create_automation, update_automation, delete_automation = CRUD.create, CRUD.update, CRUD.delete


def _run_key(automation: Automation, ticket_id: int, now: datetime) -> str:
    return f"aut#{automation.id}#{ticket_id}#{now.strftime('%Y%m%dT%H')}"


class _Run:
    """One hourly run: reads candidates, evaluates automations in position order, applies firings."""

    def __init__(self, deps: Container, automations: list[Automation], schedule: Schedule | None) -> None:
        self.deps, self.automations, self.schedule = deps, automations, schedule
        self.now = deps.clock.now()
        self.report = RunReport(automations=len(automations))
        self.guard = ItemGuard(deps, "automations", self.report.failures)
        self.with_requester = rules.needs_requester(automations)
        self._requesters: dict[int, Mapping[str, Any]] = {}
        self._firings: dict[int, int] = {}

    def candidates(self) -> dict[int, Ticket]:
        index: TicketsByStatus = self.deps.tickets_by_status
        reads = {read for a in self.automations for read in rules.candidate_reads(a, self.now)}
        found: dict[int, Ticket] = {}
        for read in sorted(reads, key=lambda r: (r.status, iso(r.set_before) or "", iso(r.set_after) or "")):
            for ticket in index.with_status(read.status, read.set_after, read.set_before, sweep="automations",
                                            unreadable=self.guard.fail):
                self.report.items_read += 1
                found.setdefault(ticket.id, ticket)
        return found

    def context(self, ticket: Ticket) -> tuple[UpdateContext, Clocks]:
        requester: Mapping[str, Any] = {"id": ticket.requester_id}
        if self.with_requester:
            if ticket.requester_id not in self._requesters:
                self._requesters[ticket.requester_id] = self.deps.users.get(ticket.requester_id).view()
            requester = self._requesters[ticket.requester_id]
        snapshot = ticket.snapshot()
        ctx = UpdateContext(update_type="Change", via=VIA, actor_role="rule", actor_id=None, previous=snapshot,
                            requester=requester)
        return ctx, Clocks(self.now, sla.next_breach_at(ticket), self.schedule, sla.last_breach_at(ticket))

    def evaluate(self, ticket: Ticket) -> None:
        self.report.tickets_evaluated += 1
        current = ticket
        for automation in self.automations:
            if current.status == "closed":
                return
            if self._firings.get(automation.id, 0) >= MAX_FIRINGS_PER_AUTOMATION:
                continue
            ctx, clocks = self.context(current)
            if not rules.matches(automation, current.snapshot(), ctx, clocks):
                continue
            after = with_retries(lambda a=automation, t=current.id: self.fire(a, t))  # type: ignore[misc]
            if after is not None:  # None: it no longer matched on a fresh read
                current = after
                self._firings[automation.id] = self._firings.get(automation.id, 0) + 1
                self.report.fired.append((automation.id, current.id))

    def fire(self, automation: Automation, ticket_id: int) -> Ticket | None:
        """Apply the automation to a fresh copy of the ticket if it still matches; the ticket after, or None."""
        try:
            ticket = self.deps.tickets.get(ticket_id)
        except TicketNotFound:
            return None
        self.report.reloaded += 1
        ctx, clocks = self.context(ticket)
        snapshot = ticket.snapshot()
        if not rules.matches(automation, snapshot, ctx, clocks):
            return None
        after = dict(snapshot)
        for action in automation.actions:
            apply_action(after, action, ctx)
        fields = {k: v for k, v in after.items() if k in EDITABLE_FIELDS and snapshot.get(k) != v}
        key = _run_key(automation, ticket.id, self.now)
        notices = self._notices(automation, ticket.id, after, ctx, key)
        if not fields:
            try:
                self.deps.tickets.record_operation(key, notices)
            except AlreadyApplied as done:
                notices = done.events
            self.deps.publisher.publish(notices)
            return ticket
        try:
            update = change_ticket(ticket, actor=RULE, via=VIA, now=self.now, fields=fields)
        except InvalidInput:
            return None
        commit(self.deps, update, idempotency_key=key, extra_events=notices)
        return update.ticket

    def _notices(self, automation: Automation, ticket_id: int, after: dict[str, Any], ctx: UpdateContext,
                 key: str) -> list[DomainEvent]:
        fired = ticket_event("AutomationFired", ticket_id, key, RULE, self.now, automation_id=automation.id)
        extra: dict[str, Any] = {}
        if mentions_rating([automation.actions]):  # Zendesk's "Request customer satisfaction rating" automation
            from helpdesk.services.surveys import satisfaction_placeholders

            extra = satisfaction_placeholders(self.deps, ticket_id)
        found = notifications(automation.id, automation.actions, placeholder_context(after, ctx, extra))
        return [fired, *(
            ticket_event("WebhookRequested", ticket_id, f"{key}:{i}", RULE, self.now, webhook_id=str(n.recipient),
                         body=n.body, trigger_id=n.trigger_id, automation_id=automation.id)
            if n.kind == "webhook" else
            ticket_event("NotificationRequested", ticket_id, f"{key}:{i}", RULE, self.now, recipient=n.recipient,
                         recipient_type=n.kind, subject=n.subject, body=n.body, trigger_id=n.trigger_id,
                         automation_id=automation.id, responding_to_automatic=False, messaging=to_chat(after, n))
            for i, n in enumerate(found)
        )]


def run(deps: Container) -> RunReport:
    """Run every active automation once over the tickets it could match (see the module docstring), then close
    the tickets solved long enough ago."""
    active = [a for a in _store(deps).all() if a.active]
    report = RunReport()
    if active:
        business = any(c["operator"].endswith("_business_hours") for a in active
                       for group in a.conditions.values() for c in group)
        job = _Run(deps, active, default_schedule(deps) if business else None)
        for _, ticket in sorted(job.candidates().items()):
            job.guard.run(ticket.id, lambda t=ticket: job.evaluate(t))  # type: ignore[misc]
        report = job.report
    close_solved(deps, report)
    return report


def close_solved(deps: Container, report: RunReport) -> None:
    """Solved tickets close ``CLOSE_SOLVED_AFTER_DAYS`` days (default 4, at most 28) after they were solved,
    whatever the automations say, as Zendesk's fixed rule. Read through the ``by_status`` index bounded by the
    time the status was set, so a run reads only the tickets due to close; each is re-read before it closes
    (a reply may have reopened it since) and closed once (the idempotency key is the ticket's)."""
    now = deps.clock.now()
    cutoff = now - timedelta(days=deps.settings.close_solved_after_days)
    index: TicketsByStatus = deps.tickets_by_status
    guard = ItemGuard(deps, "close_solved", report.failures)
    for due in list(index.with_status("solved", None, cutoff, sweep="close_solved", unreadable=guard.fail)):
        report.items_read += 1
        closed = guard.run(due.id, lambda t=due.id: with_retries(  # type: ignore[misc]
            lambda: _close(deps, t, cutoff, now)))
        if closed:
            report.closed.append(due.id)


def _close(deps: Container, ticket_id: int, cutoff: datetime, now: datetime) -> bool:
    try:
        ticket = deps.tickets.get(ticket_id)
    except TicketNotFound:
        return False
    solved_at = ticket.status_updated_at
    if ticket.status != "solved" or solved_at is None or solved_at > cutoff:
        return False
    update = change_ticket(ticket, actor=SYSTEM, via=VIA, now=now, fields={"status": "closed"})
    commit(deps, update, idempotency_key=f"close#{ticket.id}#{to_epoch(solved_at)}")
    return True
