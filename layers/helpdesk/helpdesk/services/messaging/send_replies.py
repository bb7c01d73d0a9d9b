"""messaging_send's use case: the agents' public replies on a messaging ticket leave on the channel and account the
customer wrote to, in the order they were written.

Each ReplyPosted flushes the ticket: under a short lease on the ticket (so two deliveries never interleave), every
public agent comment not sent yet goes out in comment order, each recorded on the comment (the provider's id, our
correlation id, the time) before the next. Inside the channel's customer-service window (WhatsApp, Messenger and
Instagram: 24 hours after the person's last message, by the provider's clock) a reply is a session message;
outside it, WhatsApp uses the account's approved template when one is configured, Messenger and Instagram tag a
person's reply HUMAN_AGENT for up to 7 days, and otherwise the comment stays on the ticket with its delivery marked
``window_closed`` and no provider is called. Provider errors become retry (the queue delivers the event again),
failed (with the provider's code), or "the channel needs re-authorisation"; a reply the provider's format cannot
carry (too long, to a person it cannot address) is failed with the reason before any call, never retried.

A crash after the provider took a message and before its record was written sends it again on the retry: a send
is at least once (providers offer no idempotency key). Statuses, which carry our correlation id, show it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.channels.messaging.items import SendResult
from helpdesk.domain.channel_accounts import HUMAN_AGENT_HOURS, WINDOW_HOURS, ChannelAccount
from helpdesk.domain.clock import iso
from helpdesk.domain.errors import HelpdeskError, InvalidInput
from helpdesk.domain.tickets import Comment, Ticket
from helpdesk.ports import Conversation, OutboundMessage
from helpdesk.services.messaging import channel_accounts
from helpdesk.services.messaging.correlation import correlation_id
from helpdesk.services.messaging.delivery_status import RANKS, apply_parked
from helpdesk.services.messaging.receive_message import message_ref

MESSAGING_CHANNELS = ("whatsapp", "facebook", "instagram_dm", "sms", "web_widget")
LEASE_SECONDS = 120
LINK_SECONDS = 7 * 24 * 3600  # attachments are sent as links the provider fetches


class SendLater(HelpdeskError):
    """Another delivery holds the ticket, or the provider asked us to come back: the event is delivered again."""


@dataclass
class Flushed:
    sent: list[int] = field(default_factory=list)
    not_sent: list[tuple[int, str]] = field(default_factory=list)  # (comment, why)


def conversation_parts(key: str) -> tuple[str, str, tuple[str, str]]:
    """(channel, account, (identity kind, value)) of a conversation key."""
    channel, account, identity = key.split("#", 2)
    kind, _, value = identity.partition(":")
    return channel, account, (kind, value)


def flush(deps: Container, ticket_id: int) -> Flushed:
    ticket = deps.tickets.get(ticket_id)
    if ticket.conversation is None:
        return Flushed(not_sent=[(0, "not a messaging ticket")])
    name = f"send#{ticket.id}"
    if not deps.conversations.lease(name, LEASE_SECONDS):
        raise SendLater(f"ticket {ticket.id}'s replies are being sent by another delivery")
    try:
        return _flush(deps, ticket)
    finally:
        deps.conversations.release(name)


def _pending(ticket: Ticket, comments: list[Comment]) -> list[Comment]:
    """Public agent comments that have not gone out: not the person's own messages (they carry the provider's id),
    not one already recorded as sent or refused."""
    return [c for c in comments if c.public and c.author_id != ticket.requester_id and c.message_id is None
            and c.id > 1 and (c.delivery is None or c.delivery.get("status") in ("sending", "retrying"))]


def _flush(deps: Container, ticket: Ticket) -> Flushed:
    assert ticket.conversation is not None
    channel, account_id, person = conversation_parts(ticket.conversation)
    account = channel_accounts.resolve(deps, channel, account_id)
    conversation = deps.conversations.get(ticket.conversation)
    done = Flushed()
    for comment in _pending(ticket, deps.tickets.comments(ticket.id)):
        if account is None:
            _record(deps, ticket.id, comment.id, channel, "failed", detail="the channel account is unknown or off")
            done.not_sent.append((comment.id, "unknown account"))
            continue
        outcome = _send(deps, ticket, comment, account, conversation, person)
        (done.sent.append(comment.id) if outcome == "sent" else done.not_sent.append((comment.id, outcome)))
    return done


def window(account: ChannelAccount, conversation: Conversation | None, now: datetime) -> str:
    """open | template | human_agent | closed for a reply now."""
    hours = WINDOW_HOURS.get(account.channel)
    if hours is None:
        return "open"
    last = conversation.last_inbound_at if conversation else None
    if last is not None and now < last + timedelta(hours=hours):
        return "open"
    if account.channel == "whatsapp" and account.window_template:
        return "template"
    if account.channel in ("facebook", "instagram_dm") and last is not None and (
            now < last + timedelta(hours=HUMAN_AGENT_HOURS)):
        return "human_agent"
    return "closed"


def _message(deps: Container, comment: Comment, account: ChannelAccount, open_as: str,
             ticket: Ticket) -> OutboundMessage:
    links = tuple(deps.raw_store.link(str(a["key"]), LINK_SECONDS) for a in comment.attachments if a.get("key"))
    correlation = correlation_id(ticket.id, comment.id)
    if open_as == "template":
        assert account.window_template is not None
        return OutboundMessage(text=comment.body, correlation=correlation, template=account.window_template,
                               template_language=account.template_language,
                               template_parameters=(f"#{ticket.id}", comment.body[:1000]))
    return OutboundMessage(text=comment.body, correlation=correlation, media_urls=links,
                           human_agent=open_as == "human_agent")


def _send(deps: Container, ticket: Ticket, comment: Comment, account: ChannelAccount,
          conversation: Conversation | None, person: tuple[str, str]) -> str:
    now = deps.clock.now()
    window_now = window(account, conversation, now)
    if window_now == "closed":
        _record(deps, ticket.id, comment.id, account.channel, "window_closed",
                detail="the customer last wrote more than 24 hours ago; no approved template is configured")
        return "window_closed"
    message = _message(deps, comment, account, window_now, ticket)
    deps.tickets.set_delivery(ticket.id, comment.id, {"channel": account.channel, "account": account.account,
                                                      "correlation": message.correlation, "status": "sending",
                                                      "attempted_at": iso(now)})
    try:
        result = deps.messaging_transport.send(account.channel, account.account, person, message)
    except InvalidInput as refused:  # this message, or this person, cannot be put to the provider: never will be
        _record(deps, ticket.id, comment.id, account.channel, "failed", code="not_sendable", detail=str(refused),
                outcome="failed")
        return "failed"
    return _outcome(deps, ticket, comment, account, message, result)


def _outcome(deps: Container, ticket: Ticket, comment: Comment, account: ChannelAccount,
             message: OutboundMessage, result: SendResult) -> str:
    from helpdesk.services.messaging import channel_health

    now = deps.clock.now()
    if result.outcome == "sent" and result.provider_id:
        deps.tickets.set_delivery(ticket.id, comment.id, {
            "channel": account.channel, "account": account.account, "correlation": message.correlation,
            "provider_id": result.provider_id, "sent_at": iso(now), "template": message.template})
        deps.tickets.advance_delivery(ticket.id, comment.id, RANKS["sent"], {"status": "sent", "status_at": iso(now)})
        ref = message_ref(account.channel, account.account, result.provider_id)
        deps.conversations.remember_sent(ref, ticket.id, comment.id)
        apply_parked(deps, ref, ticket.id, comment.id)
        channel_health.succeeded(deps, account)
        return "sent"
    if result.outcome == "retry":
        deps.tickets.set_delivery(ticket.id, comment.id, {"channel": account.channel, "status": "retrying",
                                                          "error": _error(result), "at": iso(now)})
        channel_health.failed(deps, account, result)
        raise SendLater(f"{account.channel} asked to retry: {result.code} {result.detail}")
    status = "window_closed" if result.outcome == "window_closed" else "failed"
    _record(deps, ticket.id, comment.id, account.channel, status, code=result.code, detail=result.detail,
            outcome=result.outcome)
    channel_health.failed(deps, account, result)
    return result.outcome


def _error(result: SendResult) -> dict[str, Any]:
    return {"code": result.code, "title": result.detail, "outcome": result.outcome}


def _record(deps: Container, ticket_id: int, comment_id: int, channel: str, status: str, *,
            code: str | None = None, detail: str | None = None, outcome: str | None = None) -> None:
    now = iso(deps.clock.now())
    error = {"code": code, "title": detail, "outcome": outcome or status}
    deps.tickets.set_delivery(ticket_id, comment_id, {"channel": channel, "status": status, "error": error,
                                                      "at": now})
    deps.tickets.advance_delivery(ticket_id, comment_id, RANKS[status],
                                  {"status": status, "status_at": now, "error": error})
