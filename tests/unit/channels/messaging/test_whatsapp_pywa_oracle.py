"""pywa (a dev-only dependency, never imported by the product) as an oracle: over the whole whatsapp_updates
corpus, every update pywa reads as a message, a button or list reply, a flow answer, an edit, a deletion or a
status, our parser reads with the same id, type, text and payload; what pywa routes elsewhere (account, template,
call and preference updates, group statuses, system messages) we ignore."""

from __future__ import annotations

import json
from typing import Any

import pytest

from helpdesk.channels.messaging import whatsapp
from helpdesk.channels.messaging.items import Ignored, InboundMessage, StatusUpdate, WebhookItem
from tests.unit.channels.messaging.whatsapp_bodies import corpus_files

pytestmark = pytest.mark.corpus
pywa = pytest.importorskip("pywa", reason="pywa is the test oracle, installed with the dev extras")

MEDIA = ("image", "video", "audio", "document", "sticker")


def pywa_update(client: Any, payload: dict[str, Any]) -> Any:
    from pywa.types.base_update import RawUpdate

    raw = RawUpdate(json.dumps(payload).encode(), hmac_header=None, update_hash="oracle")
    handler = client._get_handler_type(raw)
    return None if handler is None else handler._update.from_update(client, raw)


def single(found: list[WebhookItem], kind: type[Any]) -> Any:
    assert len(found) == 1 and isinstance(found[0], kind), found
    return found[0]


def check_message(theirs: Any, ours: InboundMessage) -> None:
    kind = theirs.type.value
    assert ours.provider_id == theirs.id
    if kind == "text":
        assert (ours.kind, ours.text, ours.media) == ("message", theirs.text, ())
    elif kind in MEDIA:
        media = getattr(theirs, kind)
        assert ours.kind == "message" and len(ours.media) == 1
        assert ours.media[0].ref == media.id
        assert ours.media[0].kind == ("voice" if kind == "audio" and media.voice else kind)
        assert ours.text == (theirs.caption or "")
    elif kind == "reaction":
        assert (ours.kind, ours.target, ours.data["emoji"]) == (
            "reaction", theirs.reaction.message_id, theirs.reaction.emoji or "")
    elif kind == "location":
        assert (ours.data["location"]["latitude"], ours.data["location"]["longitude"]) == (
            theirs.location.latitude, theirs.location.longitude)
        assert (theirs.location.name or "Location") in ours.text
    elif kind == "contacts":
        assert [line.split(":")[0] for line in ours.text.splitlines()] == [
            contact.name.formatted_name for contact in theirs.contacts]
    elif kind == "order":
        assert ours.text.count("\n") == len(theirs.order.products)
        assert theirs.order.catalog_id in ours.text
    else:  # unsupported, and an interactive message without its content
        assert kind in ("unsupported", "interactive") and ours.kind == "unsupported"
        assert ours.data["errors"][0]["code"] == theirs.error.code
    if theirs.reply_to_message is not None and ours.kind == "message":
        assert ours.target == theirs.reply_to_message.id


def check_sender(theirs: Any, ours: InboundMessage) -> None:
    """pywa takes contacts[0] as the sender; we take the contact matching ``from``: they agree when it matches."""
    user = theirs.from_user
    if ours.name is not None:
        assert ours.name == user.name
        assert ours.sender.value == (user.bsuid or user.wa_id)


def compare(theirs: Any, found: list[WebhookItem]) -> str:
    name = type(theirs).__name__
    if name == "Message":
        ours = single(found, InboundMessage)
        check_message(theirs, ours)
        check_sender(theirs, ours)
    elif name in ("CallbackButton", "CallbackSelection"):
        ours = single(found, InboundMessage)
        assert (ours.provider_id, ours.text, ours.payload) == (theirs.id, theirs.title, theirs.data)
        check_sender(theirs, ours)
    elif name == "FlowCompletion":
        ours = single(found, InboundMessage)
        assert (ours.provider_id, ours.text) == (theirs.id, theirs.body)
        assert {k: v for k, v in json.loads(ours.payload or "").items() if k != "flow_token"} == theirs.response
    elif name == "EditedMessage":
        ours = single(found, InboundMessage)
        assert (ours.kind, ours.provider_id, ours.target, ours.text) == (
            "edit", theirs.id, theirs.original_message_id, theirs.message.caption)
    elif name == "DeletedMessage":
        ours = single(found, InboundMessage)
        assert (ours.kind, ours.provider_id, ours.target) == ("delete", theirs.id, theirs.original_message_id)
    elif name == "MessageStatus":
        ours = single(found, StatusUpdate)
        assert (ours.provider_id, ours.status, ours.correlation) == (theirs.id, theirs.status.value, theirs.tracker)
        assert ours.error_code == (str(theirs.error.code) if theirs.error else None)
    elif name == "OutgoingMessage":  # sent from the WhatsApp Business app: an echo
        ours = single(found, InboundMessage)
        assert (ours.kind, ours.provider_id, ours.text) == ("echo", theirs.id, theirs.text)
    else:  # account, template, call and preference updates, echoed edits and deletions, group statuses, system
        # messages
        assert all(isinstance(item, Ignored) and not item.malformed for item in found), (name, found)
    return name


def test_our_parser_agrees_with_pywa_on_every_update_of_the_corpus() -> None:
    kinds: dict[str, int] = {}
    client = pywa.WhatsApp(token="unused", server=None, filter_updates=False)  # never sends: no request is made
    for path in corpus_files("whatsapp_updates"):
        for key, payload in json.loads(path.read_text()).items():
            theirs = pywa_update(client, payload)
            assert theirs is not None, (path.name, key)
            name = compare(theirs, whatsapp.parse(payload))
            kinds[name] = kinds.get(name, 0) + 1
    assert kinds["Message"] == 23 and kinds["MessageStatus"] == 6
    assert {"CallbackButton", "CallbackSelection", "FlowCompletion", "EditedMessage", "DeletedMessage"} <= set(kinds)
    assert sum(kinds.values()) >= 70  # the whole corpus (74 payloads when written)
