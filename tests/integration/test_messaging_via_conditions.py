"""Trigger conditions on the channel (``via_id``) work for the messaging channels, by name or by Zendesk's id:
whatsapp 74, facebook 41 (Messenger), sms 57, and instagram_dm (no documented Zendesk id: see
``helpdesk.domain.rule_values.VIA_IDS``). Each fires for its channel's tickets and for no other, email's included."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.messaging_scenarios import (
    messenger,
    messenger_body,
    messenger_message,
    tickets,
    twilio,
    twilio_sms,
)
from tests.integration.messaging_support import Chat, whatsapp_body, whatsapp_message
from tests.support import make_email

CHANNELS = {"whatsapp": ("whatsapp", 74), "facebook": ("facebook", 41), "sms": ("sms", 57),
            "instagram_dm": ("instagram_dm", None)}


def tag_trigger(field: str, value: Any, tag: str) -> dict[str, Any]:
    return {"trigger": {"title": f"Tag {tag}", "conditions": {"all": [
        {"field": field, "operator": "is", "value": value},
        {"field": "update_type", "operator": "is", "value": "Create"}]},
        "actions": [{"field": "current_tags", "value": tag}]}}


def one_ticket_per_channel(chat: Chat) -> dict[str, dict[str, Any]]:
    p = chat.pipeline
    chat.whatsapp(whatsapp_body(whatsapp_message("Hello from WhatsApp", "wamid.V1")))
    messenger(chat, messenger_body(messenger_message("Hello from Messenger", "mid.V1")))
    instagram = messenger_body(messenger_message("Hello from Instagram", "mid.V2", sender="17841400000000001"),
                               page="17841400000000009")
    messenger(chat, {**instagram, "object": "instagram"})
    twilio(chat, twilio_sms("Hello by SMS", "SM" + "5" * 32))
    p.email(make_email(message_id="via-1@customer.example", body="Hello by email"))
    p.dispatcher.drain()
    found = {t["via"]["channel"]: t for t in tickets(p)}
    assert set(found) == {"whatsapp", "facebook", "instagram_dm", "sms", "email"}
    return found


@pytest.mark.parametrize("by", ["name", "zendesk_id"])
def test_a_via_condition_fires_for_its_messaging_channel_and_no_other(chat: Chat, by: str) -> None:
    p = chat.pipeline
    for channel, (name, number) in CHANNELS.items():
        value = name if by == "name" or number is None else number
        p.json("POST", "/api/v2/triggers.json", tag_trigger("via_id", value, f"from_{channel}"), expect=201)
    found = one_ticket_per_channel(chat)
    for channel, ticket in found.items():
        ours = {tag for tag in ticket["tags"] if tag.startswith("from_")}
        assert ours == ({f"from_{channel}"} if channel in CHANNELS else set()), (channel, ticket["tags"])


def test_the_channel_of_the_update_is_a_condition_too(chat: Chat) -> None:
    """``current_via_id``: the channel of the update that runs the trigger (a WhatsApp message, not an email)."""
    p = chat.pipeline
    p.json("POST", "/api/v2/triggers.json", tag_trigger("current_via_id", "whatsapp", "by_whatsapp"), expect=201)
    found = one_ticket_per_channel(chat)
    assert [c for c, t in found.items() if "by_whatsapp" in t["tags"]] == ["whatsapp"]


def test_the_condition_values_list_the_messaging_channels(chat: Chat) -> None:
    definitions = chat.pipeline.json("GET", "/api/v2/triggers/definitions.json")["definitions"]
    [via] = [c for c in definitions["conditions_all"] if c["subject"] == "via_id"]
    values = {v["value"] for v in via["values"]}
    assert {74, 41, 57, 48} <= values
