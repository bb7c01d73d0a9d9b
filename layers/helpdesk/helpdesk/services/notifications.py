"""notify's use case: agent replies and trigger notifications go out by SES, threaded and loop-safe."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.channels.email.compose import compose_email, make_message_id
from helpdesk.channels.email.message import Address
from helpdesk.domain.clock import iso
from helpdesk.domain.errors import InvalidInput, UserNotFound
from helpdesk.domain.tickets import Comment, Ticket
from helpdesk.domain.users import User


@dataclass(frozen=True)
class Delivery:
    event_id: str
    recipient: str | None
    skipped: str | None = None


def _thread_ids(comments: list[Comment]) -> list[str]:
    return [c.message_id for c in comments if c.message_id]


def _subject(ticket: Ticket) -> str:
    return f"Re: {ticket.subject} [#{ticket.id}]"


def _send(deps: Container, ticket: Ticket, to: User, *, subject: str, text: str, unique: str,
          automatic: bool) -> tuple[str, str]:
    comments = deps.tickets.comments(ticket.id)
    thread = _thread_ids(comments)
    message_id = make_message_id(ticket.id, unique, deps.settings.mail_domain)
    raw = compose_email(
        sender=Address("Support", deps.settings.sender_address), to=[Address(to.name, to.email)],
        subject=subject, text=text, message_id=message_id,
        in_reply_to=thread[-1] if thread else None, references=thread[-20:],
        auto_generated=automatic, loop_value=deps.settings.mail_domain,
    )
    provider_id = deps.mailer.send_raw(raw, sender=deps.settings.sender_address, recipients=[to.email])
    deps.tickets.remember_message_id(message_id.strip("<>"), ticket.id)
    return message_id, provider_id


def deliver(deps: Container, detail_type: str, detail: Mapping[str, Any]) -> Delivery:
    event_id = str(detail["event_id"])
    if deps.deliveries.already_sent(event_id):
        return Delivery(event_id, None, skipped="already sent")
    if detail_type == "ReplyPosted":
        result = _reply(deps, detail)
    elif detail_type == "NotificationRequested":
        result = _notification(deps, detail)
    else:
        raise InvalidInput(f"notify does not handle {detail_type} events")
    if result.skipped is None:
        deps.deliveries.mark_sent(event_id, result.recipient or "")
    return result


def _reply(deps: Container, detail: Mapping[str, Any]) -> Delivery:
    ticket = deps.tickets.get(int(detail["ticket_id"]))
    comment_id = int(detail["comment_id"])
    comment = next((c for c in deps.tickets.comments(ticket.id) if c.id == comment_id), None)
    if comment is None:
        raise InvalidInput(f"comment {comment_id} of ticket {ticket.id} does not exist")
    requester = deps.users.get(ticket.requester_id)
    if requester.bouncing:
        return Delivery(str(detail["event_id"]), requester.email, skipped="the requester's address bounces")
    try:
        message_id, provider_id = _send(deps, ticket, requester, subject=_subject(ticket), text=comment.body,
                                        unique=f"c{comment.id}", automatic=False)
    except Exception as exc:
        deps.tickets.set_delivery(ticket.id, comment.id, {"status": "failed", "error": str(exc)[:500],
                                                          "at": iso(deps.clock.now())})
        raise
    deps.tickets.set_delivery(ticket.id, comment.id, {"status": "sent", "message_id": message_id,
                                                      "provider_id": provider_id, "at": iso(deps.clock.now())})
    return Delivery(str(detail["event_id"]), requester.email)


def _recipient(deps: Container, ticket: Ticket, recipient: Any, actor_id: Any) -> User | None:
    if recipient == "requester_id":
        user_id: Any = ticket.requester_id
    elif recipient == "assignee_id":
        user_id = ticket.assignee_id
    elif recipient == "current_user":
        user_id = actor_id
    else:
        user_id = recipient
    if user_id in (None, ""):
        return None
    try:
        return deps.users.get(int(user_id))
    except (UserNotFound, ValueError):
        return None


def _notification(deps: Container, detail: Mapping[str, Any]) -> Delivery:
    event_id = str(detail["event_id"])
    ticket = deps.tickets.get(int(detail["ticket_id"]))
    user = _recipient(deps, ticket, detail.get("recipient"), (detail.get("actor") or {}).get("id"))
    if user is None:
        return Delivery(event_id, None, skipped=f"no recipient for {detail.get('recipient')!r}")
    if user.bouncing:
        return Delivery(event_id, user.email, skipped="the address bounces")
    subject = str(detail.get("subject") or _subject(ticket))
    if f"[#{ticket.id}]" not in subject:
        subject = f"{subject} [#{ticket.id}]"
    unique = "n" + hashlib.sha256(event_id.encode()).hexdigest()[:16]
    _send(deps, ticket, user, subject=subject, text=str(detail.get("body") or ""), unique=unique, automatic=True)
    return Delivery(event_id, user.email)
