"""Satisfaction surveys in the chat.

When a messaging ticket is solved, the survey is offered in the conversation itself while the channel's window is
open: reply buttons whose payloads we sign (WhatsApp interactive buttons, Messenger and Instagram quick replies,
the web chat widget's buttons), or by SMS "reply 1 or 2". Outside the window the requester gets the email survey
when they have an address; otherwise the survey is recorded as not offered. An answer records the rating on the
ticket it was offered for (a button press can only rate that ticket: its payload is signed) and never opens a
ticket; a free text written within a few minutes after the rating becomes the rating's comment.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.channels.messaging.items import InboundMessage
from helpdesk.domain.clock import iso, parse_iso
from helpdesk.domain.events import ticket_event
from helpdesk.domain.tickets import Actor, NewComment, Ticket, change_ticket
from helpdesk.ports import Conversation, OutboundMessage
from helpdesk.services.common import commit, with_retries

QUESTION = "How would you rate the support you received?"
SMS_QUESTION = f"{QUESTION} Reply 1 if you were satisfied, 2 if you were not."
COMMENT_MINUTES = 10  # a free text this soon after a rating is its comment
ANSWER_HOURS = 24  # an SMS "1" or "2" answers the survey this long after it was asked
_PAYLOAD = re.compile(r"^csat:([0-9]{1,18}):(good|bad):([0-9a-f]{16})$")


def payload(secret: bytes, ticket_id: int, score: str) -> str:
    return f"csat:{ticket_id}:{score}:{_mac(secret, ticket_id, score)}"


def _mac(secret: bytes, ticket_id: int, score: str) -> str:
    return hmac.new(secret, f"csat:{ticket_id}:{score}".encode(), hashlib.sha256).hexdigest()[:16]


def read_payload(secret: bytes, value: str | None) -> tuple[int, str] | None:
    found = _PAYLOAD.match(value or "")
    if found is None or not hmac.compare_digest(found.group(3), _mac(secret, int(found.group(1)), found.group(2))):
        return None
    return int(found.group(1)), found.group(2)


def buttons(secret: bytes, ticket_id: int) -> tuple[tuple[str, str], ...]:
    """(signed payload, label) of the survey's buttons for one ticket."""
    return (payload(secret, ticket_id, "good"), "Good 👍"), (payload(secret, ticket_id, "bad"), "Bad 👎")


def offer_message(deps: Container, ticket: Ticket, channel: str) -> OutboundMessage:
    if channel == "sms":
        return OutboundMessage(text=SMS_QUESTION)
    return OutboundMessage(text=QUESTION, buttons=buttons(deps.secrets.survey_secret(), ticket.id))


def answer(deps: Container, item: InboundMessage, conversation: Conversation | None) -> int | None:
    """The ticket this message rated or commented on, when it answers a survey; None for any other message
    (``conversation``: the message's, as just read)."""
    pressed = read_payload(deps.secrets.survey_secret(), item.payload) if item.payload else None
    if pressed is not None:
        _rate(deps, item, pressed[0], pressed[1], comment="")
        return pressed[0]
    if not item.payload and item.kind == "message" and item.text.strip():
        survey = conversation.survey if conversation else None
        if survey:
            return _answer_in_text(deps, item, survey)
    return None


def _answer_in_text(deps: Container, item: InboundMessage, survey: Any) -> int | None:
    now = deps.clock.now()
    ticket_id, asked, rated = int(survey["ticket_id"]), parse_iso(survey.get("asked_at")), parse_iso(
        survey.get("rated_at"))
    text = item.text.strip()
    if rated is None and survey.get("sms") and text in ("1", "2") and asked and now < asked + timedelta(
            hours=ANSWER_HOURS):
        _rate(deps, item, ticket_id, "good" if text == "1" else "bad", comment="")
        return ticket_id
    if rated is not None and now < rated + timedelta(minutes=COMMENT_MINUTES) and not survey.get("commented"):
        _comment(deps, item, ticket_id, text)
        update_survey(deps, item.conversation, lambda found: {**found, "commented": True})
        return ticket_id
    return None


def update_survey(deps: Container, key: str, change: Any) -> None:
    """Change the conversation's survey record (``change(old) -> new``), re-read when another writer won."""
    def attempt() -> None:
        conversation = deps.conversations.get(key)
        if conversation is not None:
            deps.conversations.save(replace(conversation, survey=change(dict(conversation.survey or {}))))

    with_retries(attempt, what="conversation")


def _rate(deps: Container, item: InboundMessage, ticket_id: int, score: str, comment: str) -> None:
    def attempt() -> None:
        ticket = deps.tickets.get(ticket_id)
        if ticket.satisfaction.rated_at is not None or ticket.satisfaction.score in ("good", "bad"):
            return  # rated already: a second press changes nothing and opens nothing
        now = deps.clock.now()
        actor = Actor("end-user", ticket.requester_id)
        note = NewComment(body=f"Satisfaction rating: {score}", public=False, author_id=ticket.requester_id,
                          via=item.channel)
        update = change_ticket(ticket, actor=actor, via=item.channel, now=now,
                               fields={"satisfaction_score": score}, comment=note)
        update.ticket.satisfaction.rated_at = now
        rated = ticket_event("SatisfactionRated", ticket.id, f"chat:{item.provider_id}", actor, now, score=score,
                             comment=comment, channel=item.channel)
        commit(deps, update, extra_events=[rated])

    with_retries(attempt)
    update_survey(deps, item.conversation,
                  lambda found: {"ticket_id": ticket_id, **found, "rated_at": iso(deps.clock.now())})


def _comment(deps: Container, item: InboundMessage, ticket_id: int, text: str) -> None:
    def attempt() -> None:
        ticket = deps.tickets.get(ticket_id)
        if ticket.satisfaction.comment:
            return
        now = deps.clock.now()
        note = NewComment(body=f"Satisfaction comment: {text}", public=False, author_id=ticket.requester_id,
                          via=item.channel)
        update = change_ticket(ticket, actor=Actor("end-user", ticket.requester_id), via=item.channel, now=now,
                               comment=note)
        update.ticket.satisfaction.comment = text[:2000]
        commit(deps, update)

    with_retries(attempt)


def offer(deps: Container, ticket: Ticket) -> str | None:
    """Ask in the chat, when its window is open: the channel it was asked on, or None (the caller mails it)."""
    from helpdesk.services.messaging import channel_accounts
    from helpdesk.services.messaging.send_replies import conversation_parts, window

    assert ticket.conversation is not None
    channel, account_id, person = conversation_parts(ticket.conversation)
    account = channel_accounts.resolve(deps, channel, account_id)
    if account is None or window(account, deps.conversations.get(ticket.conversation), deps.clock.now()) != "open":
        return None
    result = deps.messaging_transport.send(channel, account_id, person, offer_message(deps, ticket, channel))
    if result.outcome != "sent":
        return None
    record_offer(deps, ticket.conversation, ticket.id, channel)
    return channel


def record_offer(deps: Container, key: str, ticket_id: int, channel: str) -> None:
    update_survey(deps, key, lambda _: {"ticket_id": ticket_id, "asked_at": iso(deps.clock.now()),
                                        "sms": channel == "sms"})
