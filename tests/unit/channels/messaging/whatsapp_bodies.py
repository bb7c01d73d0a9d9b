"""Builders of WhatsApp Cloud webhook bodies for the tests, shaped like pywa's and Meta's examples."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from tests.support import corpus

ACCOUNT = "1122334455667"
BSUID = "US.13491208655302741918"
WA_ID = "972987654321"


def payloads(name: str) -> dict[str, Any]:
    """The named payloads of ``whatsapp_updates/<name>.json`` (the test is skipped when the corpus is absent)."""
    return dict(json.loads(corpus("whatsapp_updates", f"{name}.json").read_text()))


def corpus_files(folder: str) -> list[Path]:
    return sorted(corpus(folder).glob("*.json"))


def text_message(mid: str, body: str = "hello", *, sender: str = WA_ID, timestamp: str = "1697043223",
                 **extra: Any) -> dict[str, Any]:
    return {"from": sender, "id": mid, "timestamp": timestamp, "type": "text", "text": {"body": body}, **extra}


def status(mid: str, state: str = "delivered", *, recipient: str = WA_ID, timestamp: str = "1698266945",
           **extra: Any) -> dict[str, Any]:
    return {"id": mid, "status": state, "timestamp": timestamp, "recipient_id": recipient, **extra}


def change(messages: list[Any] | None = None, statuses: list[Any] | None = None, *, account: str = ACCOUNT,
           contacts: list[Any] | None = None, field: str = "messages") -> dict[str, Any]:
    value: dict[str, Any] = {"messaging_product": "whatsapp",
                             "metadata": {"display_phone_number": "15550001111", "phone_number_id": account}}
    if contacts is not None:
        value["contacts"] = contacts
    if messages is not None:
        value["messages"] = messages
    if statuses is not None:
        value["statuses"] = statuses
    return {"field": field, "value": value}


def body(*changes: dict[str, Any], entries: int = 1) -> dict[str, Any]:
    return {"object": "whatsapp_business_account",
            "entry": [{"id": f"waba-{n}", "changes": [copy.deepcopy(c) for c in changes]} for n in range(entries)]}


def contact(wa_id: str | None = WA_ID, user_id: str | None = BSUID, name: str = "Dana") -> dict[str, Any]:
    found: dict[str, Any] = {"profile": {"name": name}}
    if wa_id:
        found["wa_id"] = wa_id
    if user_id:
        found["user_id"] = user_id
    return found
