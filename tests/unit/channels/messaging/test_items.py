"""Messaging items survive the inbound queue unchanged, and are grouped by conversation."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from helpdesk.channels.messaging.items import (
    Identity,
    InboundMessage,
    Media,
    StatusUpdate,
    item_from_json,
    to_json,
)

AT = datetime(2026, 11, 30, 9, 0, 1, tzinfo=UTC)


def test_a_message_and_a_status_round_trip_through_json() -> None:
    message = InboundMessage(
        channel="whatsapp", account="1122334455667", sender=Identity("whatsapp", "US.13491208655302741918"),
        provider_id="wamid.xyz", sent_at=AT, text="Where is my order?", name="Dana",
        identities=(Identity("phone", "+972987654321"),),
        media=(Media("image", "media-1", "image/jpeg", "c2hh", None, "Where is my order?"),),
        target="wamid.quoted", payload=None, data={"referral": {"source_url": "https://ad.example"}})
    status = StatusUpdate(channel="whatsapp", account="1122334455667", status="read", at=AT,
                          provider_id="wamid.out", correlation="t42c3", recipient=Identity("phone", "+972987654321"),
                          error_code=None)
    for item in (message, status):
        assert item_from_json(json.loads(json.dumps(to_json(item)))) == item
    assert message.conversation == "whatsapp#1122334455667#whatsapp:US.13491208655302741918"


def test_milliseconds_survive_the_queue() -> None:
    """Messenger's times and watermarks are milliseconds: a watermark cut to the second would leave the messages
    of that second unread, and messages of one second would lose their order."""
    at = datetime(2016, 3, 22, 17, 47, 36, 253000, tzinfo=UTC)
    status = StatusUpdate(channel="facebook", account="111899832631525", status="read", at=at,
                          recipient=Identity("messenger", "1433960459967306"), watermark=at)
    message = InboundMessage(channel="facebook", account="111899832631525", sender=Identity("messenger", "1"),
                             provider_id="m_1", sent_at=at)
    for item in (status, message):
        assert item_from_json(json.loads(json.dumps(to_json(item)))) == item
