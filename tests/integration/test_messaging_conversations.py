"""Messaging conversations through the real pipeline: a WhatsApp message becomes a ticket with the same model as
email, the next messages thread into it, an agent's reply leaves on WhatsApp, and what comes after solved follows
the channel account's rule."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.messaging_support import (
    PHONE_NUMBER_ID,
    Chat,
    whatsapp_body,
    whatsapp_message,
    whatsapp_status,
)
from tests.support import START, Pipeline

T0 = int(START.timestamp())


def _ticket(p: Pipeline, number: int) -> dict[str, Any]:
    return dict(p.json("GET", f"/api/v2/tickets/{number}.json")["ticket"])


def _comments(p: Pipeline, number: int) -> list[dict[str, Any]]:
    return list(p.json("GET", f"/api/v2/tickets/{number}/comments.json")["comments"])


def test_a_whatsapp_message_becomes_a_ticket_and_the_next_ones_thread_into_it(chat: Chat) -> None:
    p = chat.pipeline
    answer = chat.whatsapp(whatsapp_body(whatsapp_message("Where is my order?", "wamid.1", at=T0 - 60,
                                                          bsuid="US.13491208655302741918")))
    assert answer["queued"] == 1
    p.dispatcher.drain()
    ticket = _ticket(p, 1)
    assert ticket["via"]["channel"] == "whatsapp"
    assert ticket["subject"] == "Conversation with Dana on WhatsApp"
    assert ticket["description"] == "Where is my order?"
    requester = p.json("GET", f"/api/v2/users/{ticket['requester_id']}/identities.json")["identities"]
    assert {(i["type"], i["value"]) for i in requester} == {  # the business-scoped id, the wa_id, the phone
        ("whatsapp", "US.13491208655302741918"), ("whatsapp", "16315551181"), ("phone_number", "+16315551181")}
    chat.whatsapp(whatsapp_body(whatsapp_message("It was order 1234.", "wamid.2", at=T0 - 30,
                                                 bsuid="US.13491208655302741918")))
    p.dispatcher.drain()
    assert [c["body"] for c in _comments(p, 1)] == ["Where is my order?", "It was order 1234."]
    assert p.json("GET", "/api/v2/tickets.json")["tickets"][0]["id"] == 1  # still one ticket


def test_an_agent_reply_inside_the_window_goes_out_on_whatsapp(chat: Chat) -> None:
    p = chat.pipeline
    chat.whatsapp(whatsapp_body(whatsapp_message("Hello?", "wamid.1", at=T0 - 60)))
    p.dispatcher.drain()
    p.json("PUT", "/api/v2/tickets/1.json", {"ticket": {"comment": {"body": "Hi Dana, it ships today.",
                                                                    "public": True}}})
    p.dispatcher.drain()
    [sent] = chat.providers.sent("whatsapp")
    assert sent.path == f"/v21.0/{PHONE_NUMBER_ID}/messages"
    assert sent.headers["authorization"] == "Bearer wa-token"
    assert sent.body["to"] == "16315551181" and sent.body["text"]["body"] == "Hi Dana, it ships today."
    assert sent.body["biz_opaque_callback_data"] == "t1c2"
    delivery = _comments(p, 1)[1]["metadata"]["delivery"]
    assert delivery["status"] == "sent" and delivery["provider_id"].startswith("wamid.FAKE")
    chat.whatsapp(whatsapp_body(whatsapp_status(delivery["provider_id"], "read", at=T0 + 5)))
    chat.whatsapp(whatsapp_body(whatsapp_status(delivery["provider_id"], "delivered", at=T0 + 4)))
    p.dispatcher.drain()
    assert _comments(p, 1)[1]["metadata"]["delivery"]["status"] == "read"


def test_a_reply_after_the_window_is_stored_marked_window_closed_and_never_sent(chat: Chat) -> None:
    p = chat.pipeline
    chat.whatsapp(whatsapp_body(whatsapp_message("Hello?", "wamid.1", at=T0 - 25 * 3600)))
    p.dispatcher.drain()
    p.json("PUT", "/api/v2/tickets/1.json", {"ticket": {"comment": {"body": "Sorry for the wait."}}})
    p.dispatcher.drain()
    assert chat.providers.sent() == []
    delivery = _comments(p, 1)[1]["metadata"]["delivery"]
    assert delivery["status"] == "window_closed"
    assert "24 hours" in delivery["error"]["title"]


def test_after_solved_a_message_opens_a_new_linked_ticket(chat: Chat) -> None:
    p = chat.pipeline
    chat.whatsapp(whatsapp_body(whatsapp_message("Hello?", "wamid.1", at=T0 - 60)))
    p.dispatcher.drain()
    p.json("PUT", "/api/v2/tickets/1.json", {"ticket": {"status": "solved", "comment": {"body": "Done."}}})
    p.dispatcher.drain()
    chat.whatsapp(whatsapp_body(whatsapp_message("One more thing", "wamid.2", at=T0 + 60)))
    p.dispatcher.drain()
    second = _ticket(p, 2)
    assert second["followup_source_id"] == 1 and second["description"] == "One more thing"
    assert _ticket(p, 1)["status"] == "solved"


def test_a_reaction_is_kept_as_a_message_event_and_changes_nothing(chat: Chat) -> None:
    p = chat.pipeline
    chat.whatsapp(whatsapp_body(whatsapp_message("Hello?", "wamid.1", at=T0 - 60)))
    p.dispatcher.drain()
    p.json("PUT", "/api/v2/tickets/1.json", {"ticket": {"status": "solved"}})
    p.dispatcher.drain()
    before = _ticket(p, 1)
    reaction = {"type": "reaction", "reaction": {"message_id": "wamid.1", "emoji": "👍"}}
    chat.whatsapp(whatsapp_body(whatsapp_message("", "wamid.3", at=T0 + 60, extra=reaction)))
    p.dispatcher.drain()
    assert _ticket(p, 1) == before
    [event] = p.deps().tickets.message_events(1)
    assert event["kind"] == "reaction" and event["data"]["emoji"] == "👍"


def test_a_bad_signature_is_refused_and_nothing_is_queued(chat: Chat) -> None:
    body = json.dumps(whatsapp_body(whatsapp_message("forged", "wamid.9"))).encode()
    for signature in ("", "sha256=" + "0" * 64, "sha1=abc"):
        assert chat.post_meta("/inbound/whatsapp", body, signature=signature).status_code == 401
    assert chat.pipeline.messages("MessagingInboundQueue") == []


def test_a_rule_notifying_the_requester_of_a_messaging_ticket_writes_in_the_chat_not_by_mail(chat: Chat) -> None:
    from moto.ses.models import ses_backends

    p = chat.pipeline
    p.json("POST", "/api/v2/triggers.json", {"trigger": {
        "title": "Acknowledge", "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"}]},
        "actions": [{"field": "notification_user", "value": [
            "requester_id", "Received: {{ticket.title}}", "We got your request #{{ticket.id}}."]},
                    {"field": "notification_user", "value": ["assignee_id", "New", "A new request"]}]}}, expect=201)
    mails = ses_backends["123456789012"]["us-east-1"].sent_messages
    before = len(mails)
    chat.whatsapp(whatsapp_body(whatsapp_message("Hello?", "wamid.1", at=T0 - 60)))
    p.dispatcher.drain()
    [sent] = chat.providers.sent("whatsapp")
    assert sent.body["text"]["body"] == "We got your request #1."
    assert len(mails) == before  # nothing by mail: the requester has no address, and the chat is where they are
    p.email(b"From: Ann <ann@customer.example>\r\nTo: support@example.com\r\nSubject: Mail\r\n"
            b"Message-ID: <m1@customer.example>\r\n\r\nHello by mail\r\n")
    p.dispatcher.drain()
    assert len(chat.providers.sent("whatsapp")) == 1 and len(mails) == before + 1  # an email ticket: by mail


def test_a_reply_sent_from_the_whatsapp_business_app_is_an_agent_comment_and_is_not_sent_again(chat: Chat) -> None:
    p = chat.pipeline
    chat.whatsapp(whatsapp_body(whatsapp_message("Hello?", "wamid.1", at=T0 - 60, bsuid="US.1349")))
    p.dispatcher.drain()
    echo = {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID},
            "contacts": [{"profile": {"name": "Dana"}, "wa_id": "16315551181", "user_id": "US.1349"}],
            "message_echoes": [{"from": "15550783881", "to": "16315551181", "to_user_id": "US.1349",
                                "id": "wamid.phone1", "timestamp": str(T0 - 30), "type": "text",
                                "text": {"body": "Answered from the phone app"}}]}
    body = {"object": "whatsapp_business_account",
            "entry": [{"id": "WABA", "changes": [{"field": "smb_message_echoes", "value": echo}]}]}
    for _ in range(2):  # redelivered: still one comment
        chat.whatsapp(body)
        p.dispatcher.drain()
    comments = _comments(p, 1)
    assert [c["body"] for c in comments] == ["Hello?", "Answered from the phone app"]
    author = p.json("GET", f"/api/v2/users/{comments[1]['author_id']}.json")["user"]
    assert author["role"] == "agent" and "outside the help desk" in author["name"] and comments[1]["public"]
    assert chat.providers.sent() == []  # the customer already has it
