"""Which ticket an inbound mail belongs to, in product.md's order: our Message-ID token, stored Message-IDs,
then a subject token accepted only from a participant of that ticket."""

from __future__ import annotations

from helpdesk.bootstrap import Container
from helpdesk.channels.email.compose import subject_ticket_token, ticket_id_from_message_id
from helpdesk.channels.email.message import ParsedEmail
from helpdesk.domain.errors import TicketNotFound
from helpdesk.domain.tickets import Ticket
from helpdesk.domain.users import User


def _load(deps: Container, ticket_id: int) -> Ticket | None:
    try:
        return deps.tickets.get(ticket_id)
    except TicketNotFound:
        return None


def ticket_for_ids(deps: Container, message_ids: list[str]) -> Ticket | None:
    """By our own token in any of the ids (nearest first), then by the Message-IDs we stored."""
    domain = deps.settings.mail_domain
    for candidate in reversed(message_ids):
        token = ticket_id_from_message_id(candidate, domain)
        if token is not None:
            return _load(deps, token)
    known = deps.tickets.ticket_for_message_ids(message_ids)
    return _load(deps, known) if known is not None else None


def find_ticket(deps: Container, mail: ParsedEmail, sender: User) -> Ticket | None:
    ids = [m for m in [*mail.references, mail.in_reply_to] if m]
    found = ticket_for_ids(deps, ids) if ids else None
    if found is not None:
        return found
    token = subject_ticket_token(mail.subject)
    if token is None:
        return None
    ticket = _load(deps, token)
    if ticket is None:
        return None
    participant = sender.id in (ticket.requester_id, ticket.assignee_id, *ticket.collaborator_ids)
    return ticket if participant or sender.role in ("agent", "admin") else None
