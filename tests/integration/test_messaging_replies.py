"""An agent's public reply on a messaging ticket, and the satisfaction survey after solve, on each provider.

- Inside the customer-service window the reply reaches the (fake, local) provider with the right body: WhatsApp
  Cloud's message, the Messenger Send API's, Twilio's Messages form.
- Outside it the reply is stored, its delivery marked ``window_closed`` (visible through the API) and no call is
  made; when the channel account has an approved template, the template goes instead.
- A survey button pressed after solve records the rating and opens no ticket; a free text shortly after becomes
  the rating's comment.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.integration.messaging_scenarios import (
    CUSTOMER_PHONE,
    PSID,
    T0,
    T0_MS,
    agent_reply,
    comments,
    delivery,
    messenger,
    messenger_body,
    messenger_message,
    ticket,
    tickets,
    twilio,
    twilio_sms,
)
from tests.integration.messaging_support import (
    PAGE_ID,
    PHONE_NUMBER_ID,
    TWILIO_ACCOUNT,
    TWILIO_NUMBER,
    Chat,
    whatsapp_body,
    whatsapp_message,
)
from tests.support import Pipeline

REPLY = "Hi Dana, your parcel ships today — ça part aujourd'hui 📦"
HOUR = 3600


def customer_writes(chat: Chat, provider: str, text: str, *, ago: int = 60, n: int = 0) -> None:
    """The customer's message, ``ago`` seconds before now by the provider's clock (Twilio gives no time: the
    message is taken now and the clock moves on by ``ago``)."""
    p = chat.pipeline
    if provider == "whatsapp":
        chat.whatsapp(whatsapp_body(whatsapp_message(text, f"wamid.C{n}", at=T0 - ago)))
    elif provider == "messenger":
        messenger(chat, messenger_body(messenger_message(text, f"mid.C{n}", at_ms=T0_MS - ago * 1000)))
    else:
        twilio(chat, twilio_sms(text, "SM" + f"{n:032x}", prefix="whatsapp:" if provider == "twilio_whatsapp"
                                else ""))
        p.dispatcher.drain()
        p.clock.advance(timedelta(seconds=ago))
    p.dispatcher.drain()


def test_a_reply_inside_the_window_reaches_whatsapp_with_the_right_body(chat: Chat) -> None:
    p = chat.pipeline
    customer_writes(chat, "whatsapp", "Where is my parcel?")
    agent_reply(p, 1, REPLY)
    p.dispatcher.drain()
    [sent] = chat.providers.sent("whatsapp")
    assert sent.path == f"/v21.0/{PHONE_NUMBER_ID}/messages"
    assert sent.headers["authorization"] == "Bearer wa-token"
    assert sent.body == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "16315551181",
                         "type": "text", "text": {"body": REPLY, "preview_url": False},
                         "biz_opaque_callback_data": "t1c2"}
    assert delivery(p, 1)["status"] == "sent"


def test_a_reply_inside_the_window_reaches_messenger_with_the_right_body(chat: Chat) -> None:
    p = chat.pipeline
    customer_writes(chat, "messenger", "Where is my parcel?")
    agent_reply(p, 1, REPLY)
    p.dispatcher.drain()
    [sent] = chat.providers.sent("messenger")
    assert sent.path == f"/v21.0/{PAGE_ID}/messages"
    assert sent.headers["authorization"] == "Bearer page-token"
    assert sent.body == {"recipient": {"id": PSID}, "messaging_type": "RESPONSE",
                         "message": {"text": REPLY, "metadata": "t1c2"}}
    assert delivery(p, 1)["status"] == "sent"


@pytest.mark.parametrize("provider", ["twilio_sms", "twilio_whatsapp"])
def test_a_reply_inside_the_window_reaches_twilio_with_the_right_form(chat: Chat, provider: str) -> None:
    p = chat.pipeline
    customer_writes(chat, provider, "Where is my parcel?")
    agent_reply(p, 1, REPLY)
    p.dispatcher.drain()
    [sent] = chat.providers.sent("twilio")
    assert sent.path == f"/2010-04-01/Accounts/{TWILIO_ACCOUNT}/Messages.json"
    assert sent.headers["authorization"].startswith("Basic ")
    form = dict(sent.body)
    prefix = "whatsapp:" if provider == "twilio_whatsapp" else ""
    assert (form["To"], form["From"], form["Body"]) == (prefix + CUSTOMER_PHONE, prefix + TWILIO_NUMBER, REPLY)
    callback = urlparse(form["StatusCallback"])
    assert (callback.netloc, callback.path, parse_qs(callback.query)) == (
        "helpdesk.test", "/inbound/twilio/status", {"c": ["t1c2"]})
    assert delivery(p, 1)["status"] == "sent"


@pytest.mark.parametrize(("provider", "hours_ago"), [("whatsapp", 25), ("messenger", 8 * 24),
                                                      ("twilio_whatsapp", 25)])
def test_a_reply_outside_the_window_is_stored_marked_window_closed_and_never_sent(
        chat: Chat, provider: str, hours_ago: int) -> None:
    p = chat.pipeline
    customer_writes(chat, provider, "Where is my parcel?", ago=hours_ago * HOUR)
    agent_reply(p, 1, REPLY)
    p.dispatcher.drain()
    assert chat.providers.sent() == []
    stored = comments(p, 1)[-1]
    assert stored["body"] == REPLY and stored["public"] is True
    assert stored["metadata"]["delivery"]["status"] == "window_closed"
    assert "24 hours" in stored["metadata"]["delivery"]["error"]["title"]
    assert p.messages("MessagingOutboundDeadLetterQueue") == []


def test_a_messenger_reply_after_a_day_goes_tagged_human_agent_within_seven_days(chat: Chat) -> None:
    p = chat.pipeline
    customer_writes(chat, "messenger", "Where is my parcel?", ago=30 * HOUR)
    agent_reply(p, 1, REPLY)
    p.dispatcher.drain()
    [sent] = chat.providers.sent("messenger")
    assert (sent.body["messaging_type"], sent.body["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")


def with_template(p: Pipeline, channel: str, account: str, template: str) -> None:
    """The channel account (created when its first message came) given an approved template."""
    from helpdesk.services.messaging import channel_accounts

    deps = p.deps()
    [found] = [a for a in channel_accounts.list_accounts(deps) if (a.channel, a.account) == (channel, account)]
    deps.channel_accounts.put(replace(found, window_template=template, template_language="en_US"))
    channel_accounts._cache.forget()


def test_outside_the_window_the_accounts_approved_template_is_sent_instead(chat: Chat) -> None:
    p = chat.pipeline
    customer_writes(chat, "whatsapp", "Where is my parcel?", ago=25 * HOUR)
    with_template(p, "whatsapp", PHONE_NUMBER_ID, "ticket_update")
    agent_reply(p, 1, REPLY)
    p.dispatcher.drain()
    [sent] = chat.providers.sent("whatsapp")
    assert sent.body["type"] == "template" and "text" not in sent.body
    assert sent.body["template"] == {"name": "ticket_update", "language": {"code": "en_US"}, "components": [
        {"type": "body", "parameters": [{"type": "text", "text": "#1"}, {"type": "text", "text": REPLY}]}]}
    shown = delivery(p, 1)
    assert shown["status"] == "sent" and shown["template"] == "ticket_update"


def test_a_reply_the_provider_cannot_take_is_marked_failed_with_the_reason_not_retried_forever(chat: Chat) -> None:
    """Messenger takes at most 2,000 characters a message: a longer reply is refused before any call, once."""
    p = chat.pipeline
    customer_writes(chat, "messenger", "Tell me everything")
    agent_reply(p, 1, "All of it. " * 200)
    for _ in range(6):  # as many receives as the queue allows before its dead-letter queue
        p.dispatcher.drain()
    assert chat.providers.sent() == []
    shown = delivery(p, 1)
    assert shown["status"] == "failed" and "2000" in shown["error"]["title"]
    assert p.messages("MessagingOutboundDeadLetterQueue") == []
    assert p.dispatcher.invocations["MessagingSendFunction"] == 1


# ---- the survey in the chat -------------------------------------------------------------------------------------

def solved_and_surveyed(chat: Chat, provider: str) -> list[tuple[str, str]]:
    """The conversation solved by an agent, the survey asked in the chat: its (payload, title) answers."""
    p = chat.pipeline
    customer_writes(chat, provider, "Where is my parcel?")
    agent_reply(p, 1, "It ships today.", status="solved")
    p.dispatcher.drain()
    p.dispatcher.advance(6)  # the survey sweep runs every few minutes
    asked = [c for c in chat.providers.sent() if c.body is not None and "rate" in str(c.body)]
    assert len(asked) == 1, chat.providers.sent()
    body: Any = asked[0].body
    if provider == "whatsapp":
        return [(b["reply"]["id"], b["reply"]["title"]) for b in body["interactive"]["action"]["buttons"]]
    if provider == "messenger":
        return [(q["payload"], q["title"]) for q in body["message"]["quick_replies"]]
    assert "Reply 1" in dict(body)["Body"]
    return [("1", "1"), ("2", "2")]


def answers(chat: Chat, provider: str, text: str, payload: str | None, n: int) -> None:
    if provider == "whatsapp":
        extra = {"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {
            "id": payload, "title": text}}} if payload else None
        chat.whatsapp(whatsapp_body(whatsapp_message(text, f"wamid.A{n}", at=T0 + n * 60, extra=extra)))
    elif provider == "messenger":
        extra = {"quick_reply": {"payload": payload}} if payload else None
        messenger(chat, messenger_body(messenger_message(text, f"mid.A{n}", at_ms=T0_MS + n * 60_000, extra=extra)))
    else:
        twilio(chat, twilio_sms(text, "SM" + f"{100 + n:032x}"))
    chat.pipeline.dispatcher.drain()


@pytest.mark.parametrize("provider", ["whatsapp", "messenger", "twilio_sms"])
def test_a_survey_answer_after_solve_records_the_rating_and_opens_no_ticket(chat: Chat, provider: str) -> None:
    p = chat.pipeline
    buttons = solved_and_surveyed(chat, provider)
    good = buttons[0]
    assert "good" in good[0] or good[0] == "1"
    answers(chat, provider, good[1], None if provider == "twilio_sms" else good[0], 1)
    answers(chat, provider, "Very quick, thank you!", None, 2)  # a minute later: the rating's comment
    assert len(tickets(p)) == 1
    solved = ticket(p, 1)
    assert solved["status"] == "solved"
    assert solved["satisfaction_rating"] == {"score": "good", "comment": "Very quick, thank you!"}
    p.clock.advance(timedelta(minutes=30))
    answers(chat, provider, "Another question about a new order", None, 30)  # later: a new conversation
    assert len(tickets(p)) == 2 and ticket(p, 2)["description"] == "Another question about a new order"


def test_outside_the_window_twilio_whatsapp_sends_the_template_as_its_content_sid(chat: Chat) -> None:
    p = chat.pipeline
    customer_writes(chat, "twilio_whatsapp", "Where is my parcel?", ago=25 * HOUR)
    content_sid = "HX" + "b" * 32
    with_template(p, "whatsapp", f"{TWILIO_ACCOUNT}/{TWILIO_NUMBER}", content_sid)
    agent_reply(p, 1, REPLY)
    p.dispatcher.drain()
    [sent] = chat.providers.sent("twilio")
    form = dict(sent.body)
    assert "Body" not in form and form["ContentSid"] == content_sid  # Twilio refuses free text out of the window
    assert json.loads(form["ContentVariables"]) == {"1": "#1", "2": REPLY}
    assert delivery(p, 1)["status"] == "sent"


def test_a_template_twilio_cannot_take_fails_with_the_reason_and_no_call(chat: Chat) -> None:
    p = chat.pipeline
    customer_writes(chat, "twilio_whatsapp", "Where is my parcel?", ago=25 * HOUR)
    with_template(p, "whatsapp", f"{TWILIO_ACCOUNT}/{TWILIO_NUMBER}", "ticket_update")  # a Meta name, no HX sid
    agent_reply(p, 1, REPLY)
    p.dispatcher.drain()
    assert chat.providers.sent() == []
    shown = delivery(p, 1)
    assert shown["status"] == "failed" and shown["error"]["code"] == "not_sendable"
    assert p.messages("MessagingOutboundDeadLetterQueue") == []


def test_outside_the_window_the_survey_goes_by_email_when_the_requester_has_an_address(chat: Chat) -> None:
    from moto.ses.models import ses_backends

    p = chat.pipeline
    customer_writes(chat, "whatsapp", "Where is my parcel?", ago=25 * HOUR)
    requester = ticket(p, 1)["requester_id"]
    p.json("POST", f"/api/v2/users/{requester}/identities.json",
           {"identity": {"type": "email", "value": "dana@customer.example"}}, expect=201)
    agent_reply(p, 1, REPLY, status="solved")
    p.dispatcher.drain()
    p.dispatcher.advance(6)
    assert [c for c in chat.providers.sent() if "rate" in str(c.body)] == []  # the chat's window is closed
    mailed = [m for m in ses_backends["123456789012"]["us-east-1"].sent_messages
              if "dana@customer.example" in m.destinations]
    assert len(mailed) == 1 and "/surveys/" in mailed[0].raw_data
    assert ticket(p, 1)["satisfaction_rating"]["score"] == "offered"
