"""What the messaging must-show tests share beyond the ``chat`` fixture: Messenger and Twilio bodies, reading
tickets and comments back through the API, an agent's reply, and the queues' leftovers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tests.integration.messaging_support import PAGE_ID as PAGE
from tests.integration.messaging_support import TWILIO_ACCOUNT, TWILIO_NUMBER, Chat
from tests.support import START, Pipeline

T0 = int(START.timestamp())
T0_MS = T0 * 1000
PSID = "4288012345678901"
CUSTOMER_PHONE = "+14133881111"


def tickets(p: Pipeline) -> list[dict[str, Any]]:
    return sorted(p.json("GET", "/api/v2/tickets.json")["tickets"], key=lambda t: int(t["id"]))


def ticket(p: Pipeline, number: int) -> dict[str, Any]:
    return dict(p.json("GET", f"/api/v2/tickets/{number}.json")["ticket"])


def comments(p: Pipeline, number: int) -> list[dict[str, Any]]:
    return list(p.json("GET", f"/api/v2/tickets/{number}/comments.json")["comments"])


def delivery(p: Pipeline, number: int, index: int = -1) -> dict[str, Any]:
    """The delivery of the ``index``-th comment of a ticket, as the API shows it."""
    return dict(comments(p, number)[index]["metadata"]["delivery"])


def agent_reply(p: Pipeline, number: int, body: str, **fields: Any) -> None:
    p.json("PUT", f"/api/v2/tickets/{number}.json",
           {"ticket": {"comment": {"body": body, "public": True}, **fields}})


def messenger_message(text: str, mid: str, *, sender: str = PSID, at_ms: int | None = None,
                      extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """One ``messaging[]`` event: a text message from ``sender`` to the page."""
    return {"sender": {"id": sender}, "recipient": {"id": PAGE}, "timestamp": at_ms or T0_MS,
            "message": {"mid": mid, "text": text, **(extra or {})}}


def messenger_receipt(kind: str, watermark_ms: int, *, sender: str = PSID,
                      mids: Sequence[str] = ()) -> dict[str, Any]:
    """A ``delivery`` or ``read`` watermark event from ``sender``."""
    receipt: dict[str, Any] = {"watermark": watermark_ms, "seq": 1}
    if mids:
        receipt["mids"] = list(mids)
    return {"sender": {"id": sender}, "recipient": {"id": PAGE}, "timestamp": watermark_ms + 5, kind: receipt}


def messenger_body(*events: dict[str, Any], page: str | None = None) -> dict[str, Any]:
    return {"object": "page", "entry": [{"id": page or PAGE, "time": T0_MS, "messaging": list(events)}]}


def messenger(chat: Chat, body: dict[str, Any] | bytes) -> dict[str, Any]:
    answer = chat.post_meta("/inbound/messenger", body)
    assert answer.status_code == 200, answer.body
    return dict(json.loads(answer.body))


def twilio_sms(text: str, sid: str, *, sender: str = CUSTOMER_PHONE, prefix: str = "") -> list[tuple[str, str]]:
    """An SMS as Twilio posts it to the inbound URL (its documented parameters); with ``prefix="whatsapp:"`` a
    WhatsApp message through Twilio."""
    return [("ToCountry", "US"), ("SmsMessageSid", sid), ("NumMedia", "0"), ("SmsSid", sid),
            ("SmsStatus", "received"), ("Body", text), ("To", prefix + TWILIO_NUMBER), ("NumSegments", "1"),
            ("MessageSid", sid), ("AccountSid", TWILIO_ACCOUNT), ("From", prefix + sender),
            ("ApiVersion", "2010-04-01")]


def twilio_status(sid: str, status: str, *, correlation: str | None = None, to: str = CUSTOMER_PHONE,
                  error_code: str | None = None, prefix: str = "") -> tuple[list[tuple[str, str]], str]:
    """A status callback of the message ``sid`` we sent, and the query our callback URL carries."""
    form = [("SmsSid", sid), ("SmsStatus", status), ("MessageStatus", status), ("To", prefix + to),
            ("MessageSid", sid), ("AccountSid", TWILIO_ACCOUNT), ("From", prefix + TWILIO_NUMBER),
            ("ApiVersion", "2010-04-01")]
    if error_code:
        form += [("ErrorCode", error_code), ("ErrorMessage", "Unknown destination handset")]
    return form, f"c={correlation}" if correlation else ""


def twilio(chat: Chat, form: Sequence[tuple[str, str]], *, status: bool = False, query: str = "") -> None:
    path = "/inbound/twilio/status" if status else "/inbound/twilio"
    answer = chat.post_twilio(path, form, query)
    assert answer.status_code == 200, answer.body


def queued(p: Pipeline, logical_id: str) -> int:
    """Messages a queue holds, visible or not."""
    found = p.sqs.get_queue_attributes(QueueUrl=p.queue_url(logical_id), AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(found["ApproximateNumberOfMessages"]) + int(found["ApproximateNumberOfMessagesNotVisible"])

