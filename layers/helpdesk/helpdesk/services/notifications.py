"""notify's use case: agent replies and trigger notifications go out by SES, threaded and loop-safe.

Automatic mail (trigger notifications) is never sent in answer to automatic mail, never to a bouncing or complaining
address, and is rate-limited per recipient and ticket and per recipient overall, so two systems can never
ping-pong. Replies go out from the support address the ticket came in to, with its signature.

Who gets what (Zendesk's semantics): a public agent reply is one mail to the requester with the ticket's CCs on
its Cc line (never to the reply's author, never to a bouncing or unmailable address); ``requester_and_ccs`` is
the requester and every CC; a group notification goes to each active member of the group (the ticket's group
for ``group_id``), each recipient its own mail, sent once even when the event is delivered again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.channels.email.compose import compose_email, make_message_id
from helpdesk.channels.email.message import Address
from helpdesk.domain.addresses import RecipientAddress
from helpdesk.domain.clock import iso
from helpdesk.domain.errors import InvalidInput, UserNotFound
from helpdesk.domain.mailboxes import unmailable_reason
from helpdesk.domain.tickets import Comment, Ticket
from helpdesk.domain.users import User

PER_TICKET_LIMIT = 5  # automatic mails to one recipient about one ticket, per hour
PER_RECIPIENT_LIMIT = 20  # automatic mails to one recipient, per hour
WINDOW_SECONDS = 3600
QUOTED_COMMENTS = 3


@dataclass(frozen=True)
class Delivery:
    event_id: str
    recipient: str | None
    skipped: str | None = None


def _subject(ticket: Ticket) -> str:
    return f"Re: {ticket.subject} [#{ticket.id}]"


def _sender(deps: Container, ticket: Ticket) -> tuple[Address, str]:
    addresses = deps.rules.recipient_addresses()
    chosen: RecipientAddress | None = next((a for a in addresses if a.email == ticket.recipient), None)
    if chosen is None:
        return Address("Support", deps.settings.sender_address), ""
    return Address(chosen.name, chosen.email), chosen.signature


def _quoted(comments: list[Comment], latest_id: int) -> str:
    earlier = [c for c in comments if c.public and c.id < latest_id][-QUOTED_COMMENTS:]
    blocks = []
    for comment in reversed(earlier):
        quoted = "\n".join(f"> {line}" if line else ">" for line in comment.body.splitlines())
        blocks.append(f"On {iso(comment.created_at)}, #{comment.author_id} wrote:\n{quoted}")
    return "\n\n".join(blocks)


def _send(deps: Container, ticket: Ticket, to: User, *, subject: str, text: str, unique: str,
          automatic: bool, attachments: tuple[tuple[str, str, bytes], ...] = (),
          comments: list[Comment] | None = None, cc: Sequence[User] = ()) -> tuple[str, str]:
    comments = deps.tickets.comments(ticket.id) if comments is None else comments
    thread = [c.message_id for c in comments if c.message_id]
    sender, signature = _sender(deps, ticket)
    body = f"{text}\n\n-- \n{signature}" if signature else text
    message_id = make_message_id(ticket.id, unique, deps.settings.mail_domain)
    raw = compose_email(
        sender=sender, to=[Address(to.name, to.email)], subject=subject, text=body, message_id=message_id,
        in_reply_to=thread[-1] if thread else None, references=thread[-20:], auto_generated=automatic,
        loop_value=deps.settings.mail_domain, attachments=attachments, cc=[Address(u.name, u.email) for u in cc],
    )
    provider_id = deps.mailer.send_raw(raw, sender=sender.address, recipients=[to.email, *(u.email for u in cc)])
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
    elif detail_type == "WebhookRequested":
        from helpdesk.services.webhooks import deliver_webhook

        called = deliver_webhook(deps, detail)
        result = Delivery(event_id, f"webhook:{called.webhook_id}", skipped=called.skipped)
    else:
        raise InvalidInput(f"notify does not handle {detail_type} events")
    if result.skipped is None:
        deps.deliveries.mark_sent(event_id, result.recipient or "")
    return result


def _attachments(deps: Container, comment: Comment) -> tuple[tuple[str, str, bytes], ...]:
    return tuple((str(a["filename"]), str(a["content_type"]), deps.raw_store.get(str(a["key"])))
                 for a in comment.attachments if a.get("key"))


def _reply(deps: Container, detail: Mapping[str, Any]) -> Delivery:
    ticket = deps.tickets.get(int(detail["ticket_id"]))
    comment_id = int(detail["comment_id"])
    comments = deps.tickets.comments(ticket.id)
    comment = next((c for c in comments if c.id == comment_id), None)
    if comment is None:
        raise InvalidInput(f"comment {comment_id} of ticket {ticket.id} does not exist")
    requester = deps.users.get(ticket.requester_id)
    ccs = _users(deps, (i for i in ticket.collaborator_ids if i not in (requester.id, comment.author_id)))
    reachable = [u for u in (requester, *ccs) if not u.refuses_mail and unmailable_reason(u.email) is None]
    if not reachable and requester.refuses_mail:
        return Delivery(str(detail["event_id"]), requester.email, skipped=_refusal(requester, "the requester's"))
    if not reachable:  # known when stored: never retried
        unmailable = unmailable_reason(requester.email) or "no recipient can be mailed"
        deps.tickets.set_delivery(ticket.id, comment_id, {"status": "undeliverable", "error": unmailable,
                                                          "at": iso(deps.clock.now())})
        return Delivery(str(detail["event_id"]), requester.email, skipped=unmailable)
    to, cc = reachable[0], reachable[1:]
    text = comment.body
    if deps.settings.quote_history:
        history = _quoted(comments, comment.id)
        text = f"{text}\n\n{history}" if history else text
    try:
        message_id, provider_id = _send(deps, ticket, to, subject=_subject(ticket), text=text,
                                        unique=f"c{comment.id}", automatic=False,
                                        attachments=_attachments(deps, comment), comments=comments, cc=cc)
    except Exception as exc:
        deps.tickets.set_delivery(ticket.id, comment.id, {"status": "failed", "error": str(exc)[:500],
                                                          "at": iso(deps.clock.now())})
        raise
    deps.tickets.set_delivery(ticket.id, comment.id, {"status": "sent", "message_id": message_id,
                                                      "provider_id": provider_id, "at": iso(deps.clock.now())})
    return Delivery(str(detail["event_id"]), ", ".join(u.email for u in reachable))


def _users(deps: Container, user_ids: Iterable[Any]) -> list[User]:
    """The users with these ids, each once, in order; ids of no user are left out."""
    found: list[User] = []
    for user_id in dict.fromkeys(user_ids):
        try:
            found.append(deps.users.get(int(user_id)))
        except (UserNotFound, ValueError, TypeError):
            continue
    return found


def _recipients(deps: Container, ticket: Ticket, detail: Mapping[str, Any]) -> list[User]:
    """Who a notification goes to: a group's active members, the requester and the CCs, or one user."""
    recipient = detail.get("recipient")
    if detail.get("recipient_type") == "group":
        group_id = ticket.group_id if recipient == "group_id" else recipient
        if group_id in (None, ""):
            return []
        members = _users(deps, (m.user_id for m in deps.groups.memberships(group_id=int(group_id))))
        return [u for u in members if u.active]
    if recipient == "requester_and_ccs":
        return _users(deps, (ticket.requester_id, *ticket.collaborator_ids))
    actor_id = (detail.get("actor") or {}).get("id")
    user_id = {"requester_id": ticket.requester_id, "assignee_id": ticket.assignee_id,
               "current_user": actor_id}.get(recipient, recipient) if isinstance(recipient, str) else recipient
    return [] if user_id in (None, "") else _users(deps, [user_id])


def may_send_automatic(deps: Container, ticket_id: int, email: str) -> bool:
    limiter = deps.rate_limiter
    return (limiter.allow(f"{email}#t{ticket_id}", PER_TICKET_LIMIT, WINDOW_SECONDS)
            and limiter.allow(email, PER_RECIPIENT_LIMIT, WINDOW_SECONDS))


def _notification(deps: Container, detail: Mapping[str, Any]) -> Delivery:
    event_id = str(detail["event_id"])
    if detail.get("responding_to_automatic"):
        return Delivery(event_id, None, skipped="automatic mail is never answered")
    ticket = deps.tickets.get(int(detail["ticket_id"]))
    users = _recipients(deps, ticket, detail)
    if not users:
        return Delivery(event_id, None, skipped=f"no recipient for {detail.get('recipient')!r}")
    reasons = {user.email: _notify(deps, ticket, user, detail) for user in users}
    sent = [address for address, reason in reasons.items() if reason is None]
    if sent:
        return Delivery(event_id, ", ".join(sent))
    if len(reasons) == 1:
        [(address, reason)] = reasons.items()
        return Delivery(event_id, address, skipped=reason)
    return Delivery(event_id, None, skipped="; ".join(f"{a}: {r}" for a, r in reasons.items()))


def _notify(deps: Container, ticket: Ticket, user: User, detail: Mapping[str, Any]) -> str | None:
    """Mail one recipient of a notification (once per event and recipient); why not, when it was not sent."""
    event_id = str(detail["event_id"])
    key = f"{event_id}#{user.id}"
    if deps.deliveries.already_sent(key):
        return None
    if user.refuses_mail:
        return _refusal(user, "the")
    if (unmailable := unmailable_reason(user.email)) is not None:
        return unmailable
    if not may_send_automatic(deps, ticket.id, user.email):
        return "rate limited: too many automatic mails to this recipient"
    subject = str(detail.get("subject") or _subject(ticket))
    if f"[#{ticket.id}]" not in subject:
        subject = f"{subject} [#{ticket.id}]"
    unique = "n" + hashlib.sha256(key.encode()).hexdigest()[:16]
    _, provider_id = _send(deps, ticket, user, subject=subject, text=str(detail.get("body") or ""), unique=unique,
                           automatic=True)
    deps.deliveries.mark_sent(key, provider_id)
    return None


def _refusal(user: User, whose: str) -> str:
    return f"{whose} address bounces" if user.bouncing else f"{whose} address's owner reported our mail as spam"
