"""Assignment's use cases: give an unassigned ticket in a group to one of its agents; hand a ticket left
unassigned past its group's limit to the group's manager.

``assign`` runs after the triggers of every create and update (trigger_eval): when the ticket ends in a group
without an assignee, the group's mode chooses an agent (``helpdesk.domain.assignment``) and the assignment is
written by "rule" via ``assignment``. When nobody can take it and the group has ``unassigned_limit_minutes``,
the ticket gets ``assignment_due_at``; ``helpdesk.domain.sla.next_due`` folds that into the ``sla_due`` sparse
index, so the every-minute SLA sweep reads the ticket when (and only when) it is due and ``escalate_ticket``
assigns it to the manager: within a minute of the limit.
"""

from __future__ import annotations

from datetime import timedelta

from helpdesk.bootstrap import Container
from helpdesk.domain import assignment
from helpdesk.domain.clock import to_epoch
from helpdesk.domain.errors import NotFound, TicketNotFound
from helpdesk.domain.groups import Group
from helpdesk.domain.tickets import RULE, Ticket, change_ticket
from helpdesk.ports import AssignmentState, GroupRepository
from helpdesk.services.common import commit, with_retries

VIA = "assignment"
CURSOR_ATTEMPTS = 5
SWEEP_LIMIT = 500


def _waiting(ticket: Ticket) -> bool:
    return ticket.group_id is not None and ticket.assignee_id is None and ticket.status not in ("solved", "closed")


def _group(deps: Container, group_id: int) -> Group | None:
    groups: GroupRepository = deps.groups
    try:
        return groups.get(group_id)
    except NotFound:
        return None


def _locale(deps: Container, user_id: int) -> str | None:
    try:
        return str(deps.users.get(user_id).locale)
    except NotFound:
        return None


def choose_agent(deps: Container, group: Group, ticket: Ticket) -> int | None:
    """The agent of ``group`` who should get ``ticket`` now (moves a round-robin cursor), or None."""
    mode = group.assignment.mode
    if mode == "none":
        return None
    groups: GroupRepository = deps.groups
    state: AssignmentState = deps.assignment_state
    needs = assignment.needs_of(ticket.tags, _locale(deps, ticket.requester_id))
    candidates = assignment.qualified(groups.memberships(group_id=group.id), needs)
    loads = {m.user_id: state.open_tickets(m.user_id) for m in candidates if assignment.needs_load(mode, m)}
    if mode != "round_robin":
        return assignment.choose(mode, candidates, loads)
    for _ in range(CURSOR_ATTEMPTS):
        last = state.last_assigned(group.id)
        agent = assignment.choose(mode, candidates, loads, last)
        if agent is None or state.move_cursor(group.id, last, agent):
            return agent
    return assignment.choose(mode, candidates, loads, state.last_assigned(group.id))


def _assign_once(deps: Container, ticket_id: int) -> int | None:
    ticket = deps.tickets.get(ticket_id)
    if not _waiting(ticket) or ticket.group_id is None:
        return None
    group = _group(deps, ticket.group_id)
    if group is None:
        return None
    now = deps.clock.now()
    agent = choose_agent(deps, group, ticket)
    if agent is None:
        limit = group.assignment.unassigned_limit_minutes
        if limit is not None and ticket.assignment_due_at is None:
            ticket.assignment_due_at = now + timedelta(minutes=limit)
            deps.tickets.save(ticket)  # a due time only: no audit, no event (version-checked)
        return None
    update = change_ticket(ticket, actor=RULE, via=VIA, now=now, fields={"assignee_id": agent})
    commit(deps, update, idempotency_key=f"assign#{ticket.id}#v{ticket.version}")
    return agent


def assign(deps: Container, ticket_id: int) -> int | None:
    """Assign the ticket if it waits in a group without an assignee; returns the agent, or None."""
    try:
        return with_retries(lambda: _assign_once(deps, ticket_id))
    except TicketNotFound:
        return None


def _escalate_once(deps: Container, ticket_id: int) -> int | None:
    now = deps.clock.now()
    ticket = deps.tickets.get(ticket_id)
    due = ticket.assignment_due_at
    if due is None or due > now or not _waiting(ticket) or ticket.group_id is None:
        return None
    group = _group(deps, ticket.group_id)
    manager = group.assignment.manager_id if group is not None else None
    if manager is None:
        ticket.assignment_due_at = None  # nobody to hand it to: leave the index
        deps.tickets.save(ticket)
        return None
    update = change_ticket(ticket, actor=RULE, via=VIA, now=now, fields={"assignee_id": manager})
    commit(deps, update, idempotency_key=f"assign-manager#{ticket.id}#{to_epoch(due)}")
    return manager


def escalate_ticket(deps: Container, ticket_id: int) -> int | None:
    """Give the ticket to its group's manager if it has been unassigned past the group's limit."""
    try:
        return with_retries(lambda: _escalate_once(deps, ticket_id))
    except TicketNotFound:
        return None


def escalate_unassigned(deps: Container) -> int:
    """Hand every due unassigned ticket to its group's manager (reads only the due tickets of the sla_due
    index); returns how many were handed over. The SLA sweep does the same per ticket it reads."""
    due = deps.tickets.due_for_sla(deps.clock.now(), SWEEP_LIMIT)
    return sum(1 for ticket_id in due if escalate_ticket(deps, ticket_id) is not None)
