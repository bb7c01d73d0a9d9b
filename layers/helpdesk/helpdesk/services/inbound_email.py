"""Inbound email: raw MIME is stored and queued (email_ingest), then becomes a ticket or a comment
on the right ticket (ticket_create), exactly once per Message-ID."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.channels.email.compose import subject_ticket_token, ticket_id_from_message_id
from helpdesk.channels.email.message import ParsedEmail
from helpdesk.channels.email.parse import parse_email
from helpdesk.domain.errors import InvalidInput, TicketNotFound
from helpdesk.domain.events import DomainEvent
from helpdesk.domain.tickets import Actor, NewComment, Ticket, change_ticket, open_ticket
from helpdesk.domain.users import User
from helpdesk.services.common import commit, with_retries

RAW_PREFIX = "inbound/"


@dataclass(frozen=True)
class Queued:
    message_id: str
    raw_key: str
    dropped: str | None = None


@dataclass(frozen=True)
class Outcome:
    ticket_id: int
    created: bool
    duplicate: bool
    follow_up_of: int | None = None


def thread_key(mail: ParsedEmail) -> str:
    """The FIFO group: replies of one thread are handled one at a time, so they cannot open two tickets."""
    root = mail.references[0] if mail.references else mail.in_reply_to or mail.message_id
    return hashlib.sha256(root.encode()).hexdigest()


def queue_raw_email(deps: Container, raw: bytes, *, source: str, raw_key: str | None = None) -> Queued:
    """Store the raw mail (unless the provider already did) and queue it for ticket creation."""
    if not raw.strip():
        raise InvalidInput("the message is empty")
    mail = parse_email(raw)
    if mail.loop_marker is not None or (mail.from_ and mail.from_.address == deps.settings.sender_address.lower()):
        return Queued(mail.message_id, raw_key or "", dropped="our own mail came back (loop)")
    if raw_key is None:
        digest = hashlib.sha256(raw).hexdigest()
        raw_key = deps.raw_store.put(f"{RAW_PREFIX}{source}/{digest}.eml", raw)
    deps.inbound_queue.send({"raw_key": raw_key, "message_id": mail.message_id, "source": source},
                            group_id=thread_key(mail),
                            dedup_id=hashlib.sha256(mail.message_id.encode()).hexdigest())
    return Queued(mail.message_id, raw_key)


def _find_ticket(deps: Container, mail: ParsedEmail, sender: User) -> Ticket | None:
    """Threading in product.md's order: our token, stored Message-IDs, then a subject token from a participant."""
    domain = deps.settings.mail_domain
    for candidate in [mail.in_reply_to, *reversed(mail.references)]:
        if candidate:
            token = ticket_id_from_message_id(candidate, domain)
            if token is not None:
                return _maybe(deps, token)
    known = deps.tickets.ticket_for_message_ids([m for m in [*mail.references, mail.in_reply_to] if m])
    if known is not None:
        return _maybe(deps, known)
    token = subject_ticket_token(mail.subject)
    if token is not None:
        ticket = _maybe(deps, token)
        participant = ticket is not None and (
            sender.id in (ticket.requester_id, ticket.assignee_id, *ticket.collaborator_ids)
            or sender.role in ("agent", "admin"))
        if participant:
            return ticket
    return None


def _maybe(deps: Container, ticket_id: int) -> Ticket | None:
    try:
        return deps.tickets.get(ticket_id)
    except TicketNotFound:
        return None


def _comment(mail: ParsedEmail, author: User, raw_key: str) -> NewComment:
    body = mail.reply_text.strip() or mail.text.strip() or "(empty message)"
    attachments = tuple(
        {"filename": a.filename, "content_type": a.content_type, "size": a.size, "sha256": a.sha256,
         "inline": a.inline, "content_id": a.content_id} for a in mail.attachments)
    return NewComment(body=body, public=True, author_id=author.id, via="email", html_body=mail.html,
                      message_id=mail.message_id, full_body=mail.text, raw_key=raw_key, attachments=attachments)


def _actor(user: User) -> Actor:
    return Actor("admin" if user.role == "admin" else "agent" if user.role == "agent" else "end-user", user.id)


def create_from_email(deps: Container, body: dict[str, Any]) -> Outcome:
    """ticket_create's use case for one queued inbound message."""
    raw_key = body.get("raw_key")
    if not isinstance(raw_key, str) or not raw_key:
        raise InvalidInput("queued inbound message has no raw_key")
    mail = parse_email(deps.raw_store.get(raw_key))
    key = f"msg#{mail.message_id}"
    stored = deps.tickets.stored_events(key)
    if stored is not None:  # a redelivery: publish again what the first delivery produced
        deps.publisher.publish(stored)
        return Outcome(_ticket_of(stored), created=False, duplicate=True)
    if mail.from_ is None:
        raise InvalidInput("the message has no sender address")
    sender = deps.users.ensure(mail.from_.address, mail.from_.name)
    return with_retries(lambda: _write(deps, mail, sender, raw_key, key))


def _ticket_of(events: list[DomainEvent]) -> int:
    return next((e.ticket_id for e in events if e.ticket_id is not None), 0)


def _write(deps: Container, mail: ParsedEmail, sender: User, raw_key: str, key: str) -> Outcome:
    now = deps.clock.now()
    actor = _actor(sender)
    comment = _comment(mail, sender, raw_key)
    existing = _find_ticket(deps, mail, sender)
    follow_up_of = None
    if existing is not None and existing.status != "closed":
        update = change_ticket(existing, actor=actor, via="email", now=now, comment=comment)
    else:
        follow_up_of = existing.id if existing is not None else None
        update = open_ticket(ticket_id=deps.tickets.allocate_id(), subject=mail.subject, comment=comment,
                             requester_id=sender.id, actor=actor, via="email", now=now)
        update.ticket.follow_up_of = follow_up_of
    events = commit(deps, update, idempotency_key=key, message_ids=[mail.message_id])
    return Outcome(_ticket_of(events), created=update.previous is None, duplicate=False,
                   follow_up_of=follow_up_of)
