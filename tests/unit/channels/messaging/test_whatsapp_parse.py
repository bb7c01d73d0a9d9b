"""WhatsApp Cloud webhooks become one item per message and status, over every entry, change and item; what the
desk does not act on is Ignored with its reason, and one unreadable item never hides the others."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from helpdesk.channels.messaging import whatsapp
from helpdesk.channels.messaging.items import (
    Identity,
    Ignored,
    InboundMessage,
    Media,
    StatusUpdate,
    WebhookItem,
    item_from_json,
    to_json,
)
from tests.support import corpus
from tests.unit.channels.messaging.whatsapp_bodies import (
    ACCOUNT,
    BSUID,
    WA_ID,
    body,
    change,
    contact,
    corpus_files,
    payloads,
    status,
    text_message,
)


def only(found: list[WebhookItem]) -> WebhookItem:
    assert len(found) == 1, found
    return found[0]


def message_of(name: str, key: str) -> InboundMessage:
    item = only(whatsapp.parse(payloads(name)[key]))
    assert isinstance(item, InboundMessage), item
    return item


@pytest.mark.corpus
@pytest.mark.parametrize("folder", ["whatsapp_updates", "whatsapp_cloud_examples"])
def test_every_corpus_payload_parses_into_one_item_per_message_status_or_other_change(folder: str) -> None:
    seen = 0
    for path in corpus_files(folder):
        document = json.loads(path.read_text())
        named = document if "object" not in document else {path.stem: document}
        for name, payload in named.items():
            found = whatsapp.parse(payload)
            expected = sum(len(c["value"].get("messages", [])) + len(c["value"].get("statuses", []))
                           if c["field"] == "messages" else 1
                           for entry in payload["entry"] for c in entry["changes"])
            assert len(found) == expected, (path.name, name, found)
            for item in found:
                assert not (isinstance(item, Ignored) and item.malformed), (path.name, name, item)
                if not isinstance(item, Ignored):  # every item survives the inbound queue as JSON
                    assert item_from_json(json.loads(json.dumps(to_json(item)))) == item
            seen += 1
    assert seen >= (70 if folder == "whatsapp_updates" else 4)


EXPECTED_MESSAGES: list[tuple[str, str, dict[str, Any]]] = [
    ("message", "text", {"provider_id": "wamid.xyzxyz", "text": "Body Text", "kind": "message"}),
    ("message", "reply", {"text": "replied text", "target": "wamid.xyzxyz=="}),
    ("message", "forwarded", {"text": "forwarded text", "target": None, "data": {"forwarded": True}}),
    ("message", "forwarded_many_times", {"text": "text forwarded many times",
                                         "data": {"frequently_forwarded": True}}),
    ("message", "image", {"text": "", "media": (Media("image", "65463453", "image/jpeg", "4654+8g="),)}),
    ("message", "video", {"text": "caption", "media": (Media(
        "video", "765756756", "video/mp4", "Jh+2ij6PzUv/J2y+grrtegr/ZMzRxkEPwc24Oyib4s03w9Jc=", None, "caption"),)}),
    ("message", "document", {"text": "caption", "media": (Media(
        "document", "1234567890987654321", "application/pdf", "grwfwe/ZPx0wAbdfbdeFUNItPZ0RylL8gGUvdt3YFqc18SY=",
        "filename.pdf", "caption"),)}),
    ("message", "audio", {"media": (Media("audio", "1234567890987654321", "audio/ogg; codecs=opus",
                                          "E3dxS/PdYZE7ppA3pQ4mpCFaXBJ8pX4SRN/dsfvds/iPGA="),)}),
    ("message", "voice", {"media": (Media("voice", "1234567890987654321", "audio/ogg; codecs=opus",
                                          "m04pFf2ERdaopTyFkGPA0+bX3i+YY2dYgVFwOgDLSDI="),)}),
    ("message", "animated_sticker", {"media": (Media("sticker", "1234567890987654321", "image/webp",
                                                     "HcwyCKrTKXHk0a00ms4HWIA76GY0Du6q4Z/iuwevw="),)}),
    ("message", "media_with_url", {"data": {"media_url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/"
                                            "?mid=65463453&source=webhook&ext=487r9re&hash=heiwchueowbcew-dnedcw"}}),
    ("message", "reaction", {"kind": "reaction", "text": "", "target": "wamid.yzxyzx=",
                             "data": {"emoji": "\N{FACE WITH OPEN MOUTH}", "removed": False}}),
    ("message", "unreaction_empty", {"kind": "reaction", "target": "wamid.yzxyzx=",
                                     "data": {"emoji": "", "removed": True}}),
    ("message", "unreaction_no_emoji", {"kind": "reaction", "data": {"emoji": "", "removed": True}}),
    ("message", "current_location", {"text": "Location (12.25089, 43.90539)", "data": {
        "location": {"latitude": 12.25089, "longitude": 43.90539}, "forwarded": True}}),
    ("message", "chosen_location", {"text": "Facebook HQ, 1 Hacker Way, Menlo Park, CA 94025 (37.4611978, "
                                            "-122.2164385)\nhttps://maps.google.com/?cid=2000000000000000000"}),
    ("message", "contacts", {"text": "Chandler Bing: +1 555-555-5555\nMonica: +1 666-666-6666\n"
                                     "Rachel Green: +1 777-777-7777"}),
    ("message", "order", {"text": "Order from catalog 354160437058781:\n3 x HAMBURGER at 30 ILS\n"
                                  "2 x FRENCH_FRIES at 35 ILS\n2 x SODA at 10 ILS"}),
    ("message", "unsupported", {"kind": "unsupported", "text": "[unsupported WhatsApp message: unsupported]"}),
    ("message", "unsupported_with_type", {"kind": "unsupported", "text": "[unsupported WhatsApp message: pool]"}),
    ("message", "interactive_message_with_err", {"kind": "unsupported", "provider_id": "wamid.wegrchytvwcggt=",
                                                 "text": "[unsupported WhatsApp message: interactive]"}),
    ("message", "referral", {"provider_id": "wamid.ID", "text": "BODY"}),
    ("callback_button", "button", {"text": "title", "payload": "callback_data", "target": "wamid.xyzxyz"}),
    ("callback_button", "quick_reply", {"provider_id": "wamid.xsidjw", "text": "title", "payload": "callback_data"}),
    ("callback_button", "quick_reply_without_context", {"provider_id": "wamid.xsidjx", "target": None,
                                                        "payload": "callback_data"}),
    ("callback_selection", "callback", {"provider_id": "wamid.zyzxyz", "text": "title", "payload": "callback_data"}),
    ("callback_selection", "description", {"data": {"reply_type": "list_reply", "description": "description"}}),
    ("flow_completion", "completion", {"text": "Sent", "target": "wamid.gvwegfretge==", "payload": (
        '{"comment_text":"Comment Text","delivery_rating":"4","flow_token":"AQAAAAACS5FpgQ_cAAAAAD0QI3s.",'
        '"purchase_rating":"2","recommend_radio":"0","cs_rating":"0"}')}),
    ("edited_message", "image", {"kind": "edit", "provider_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzND"
                                 "dFODU3MUMxMAA=", "target": "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM"
                                 "0VBRAA=", "text": "Updated image caption"}),
    ("deleted_message", "revoke", {"kind": "delete", "provider_id": "<WHATSAPP_MESSAGE_ID>",
                                   "target": "<ORIGINAL_WHATSAPP_MESSAGE_ID>", "account": "<BUSINESS_PHONE_NUMBER_ID>",
                                   "sender": Identity("whatsapp", "<WHATSAPP_USER_PHONE_NUMBER>"), "identities": ()}),
]


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "key", "expected"), EXPECTED_MESSAGES, ids=[f"{n}-{k}" for n, k, _ in
                                                                              EXPECTED_MESSAGES])
def test_each_message_type_of_the_corpus_reads_as_written_by_hand(name: str, key: str,
                                                                  expected: dict[str, Any]) -> None:
    message = message_of(name, key)
    for field, value in expected.items():
        if field == "data":
            assert {k: message.data.get(k) for k in value} == value, message.data
        else:
            assert getattr(message, field) == value, (field, message)


@pytest.mark.corpus
def test_a_message_keys_on_the_business_scoped_id_and_keeps_the_number_as_other_identities() -> None:
    message = message_of("message", "text")
    assert (message.channel, message.account, message.name) == ("whatsapp", ACCOUNT, "Test Name")
    assert message.sender == Identity("whatsapp", BSUID)
    assert message.identities == (Identity("whatsapp", WA_ID), Identity("phone", f"+{WA_ID}"))
    assert message.sent_at == datetime(2023, 10, 11, 16, 53, 43, tzinfo=UTC)
    assert message.conversation == f"whatsapp#{ACCOUNT}#whatsapp:{BSUID}"


@pytest.mark.corpus
def test_meta_bsuid_example_carries_username_and_the_same_person_on_its_statuses() -> None:
    incoming = only(whatsapp.parse(json.loads(corpus("whatsapp_cloud_examples", "incoming.json").read_text())))
    assert isinstance(incoming, InboundMessage)
    assert (incoming.provider_id, incoming.text) == ("ABGGFlA5Fpa", "this is a text message")
    assert incoming.sender == Identity("whatsapp", "US.13491208655302741918")
    assert incoming.data["username"] == "@testusername"
    for path in corpus_files("whatsapp_cloud_examples"):
        for item in whatsapp.parse(json.loads(path.read_text())):
            assert isinstance(item, InboundMessage | StatusUpdate)
            person = item.sender if isinstance(item, InboundMessage) else item.recipient
            assert person == incoming.sender, path.name


def test_a_username_user_without_a_phone_is_keyed_on_the_bsuid_alone() -> None:
    message = only(whatsapp.parse(body(change(
        [{"from_user_id": BSUID, "id": "wamid.u", "timestamp": "1700000000", "type": "text", "text": {"body": "hi"}}],
        contacts=[{"profile": {"name": "Dana", "username": "@dana"}, "user_id": BSUID}]))))
    assert isinstance(message, InboundMessage)
    assert (message.sender, message.identities, message.name) == (Identity("whatsapp", BSUID), (), "Dana")


def test_without_a_bsuid_the_wa_id_is_the_key_and_the_phone_another_identity() -> None:
    message = only(whatsapp.parse(body(change([text_message("wamid.p")], contacts=[contact(user_id=None)]))))
    assert isinstance(message, InboundMessage)
    assert message.sender == Identity("whatsapp", WA_ID)
    assert message.identities == (Identity("phone", f"+{WA_ID}"),)


def test_each_message_of_a_change_takes_its_own_contact() -> None:
    """Two people in one change: neither is given the other's BSUID or name."""
    found = whatsapp.parse(body(change(
        [text_message("wamid.a", sender="111111111"), text_message("wamid.b", sender="222222222"),
         text_message("wamid.c", sender="333333333")],
        contacts=[contact("222222222", "US.2", "Bea"), contact("111111111", "US.1", "Ann")])))
    assert [(m.sender.value, m.name) for m in found if isinstance(m, InboundMessage)] == [
        ("US.1", "Ann"), ("US.2", "Bea"), ("333333333", None)]


@pytest.mark.corpus
@pytest.mark.parametrize("state", ["sent", "delivered", "read", "played", "failed"])
def test_each_status_becomes_a_status_update_of_our_message(state: str) -> None:
    update = only(whatsapp.parse(payloads("message_status")[state]))
    assert isinstance(update, StatusUpdate)
    assert (update.channel, update.account, update.status, update.provider_id) == (
        "whatsapp", ACCOUNT, state, "wamid.xyzxyz")
    assert update.recipient == Identity("whatsapp", BSUID)  # the same person the messages are keyed on
    if state == "failed":
        assert update.error_code == "130472"
        assert update.error_title == ("User's number is part of an experiment: Failed to send message because this "
                                      "user's phone number is part of an experiment")
    else:
        assert update.error_code is update.error_title is None


@pytest.mark.corpus
def test_our_correlation_id_comes_back_on_the_status() -> None:
    update = only(whatsapp.parse(payloads("message_status")["with_tracker"]))
    assert isinstance(update, StatusUpdate)
    assert (update.status, update.correlation) == ("sent", "some data")


def test_a_status_names_its_recipient_by_bsuid_when_given() -> None:
    update = only(whatsapp.parse(body(change(statuses=[status("wamid.s", recipient_user_id="US.9")]))))
    assert isinstance(update, StatusUpdate)
    assert update.recipient == Identity("whatsapp", "US.9")


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "key", "reason"), [
    ("message_status", "group", "group status"),
    ("system", "phone_number_change", "system:user_changed_number"),
    ("system", "identity_change", "system:customer_identity_changed"),
    ("call_permission_update", "accept", "interactive:call_permission_reply"),
    ("account_update", "account_deleted", "field:account_update"),
    ("call_connect", "user_initiated", "field:calls"),
    ("call_status", "call_status", "field:calls"),
    ("template_status_update", "approved", "field:message_template_status_update"),
    ("template_category_update", "marketing", "field:template_category_update"),
    ("user_marketing_preferences", "signup", "field:user_preferences"),
])
def test_what_the_desk_does_not_act_on_is_ignored_with_its_reason(name: str, key: str, reason: str) -> None:
    assert whatsapp.parse(payloads(name)[key]) == [Ignored("whatsapp", reason)]


def test_group_messages_and_unknown_statuses_are_ignored() -> None:
    found = whatsapp.parse(body(change([text_message("wamid.g", group_id="120363.g")],
                                       [status("wamid.x", "deleted")])))
    assert found == [Ignored("whatsapp", "group message"), Ignored("whatsapp", "status:deleted")]


def test_an_edit_carrying_an_edit_is_malformed_not_recursed() -> None:
    nested: dict[str, Any] = {"type": "text", "text": {"body": "x"}}
    for depth in range(50):
        nested = {"type": "edit", "edit": {"original_message_id": f"wamid.{depth}", "message": nested}}
    message = {"from": WA_ID, "id": "wamid.e", "timestamp": "1700000000", **nested}
    item = only(whatsapp.parse(body(change([message]))))
    assert isinstance(item, Ignored) and item.malformed and "cannot carry a edit" in item.reason


def test_a_text_edit_is_an_edit_event_with_the_new_text() -> None:
    message = {"from": WA_ID, "id": "wamid.e2", "timestamp": "1700000000", "type": "edit",
               "edit": {"original_message_id": "wamid.orig", "message": {"type": "text", "text": {"body": "new"}}}}
    item = only(whatsapp.parse(body(change([message]))))
    assert isinstance(item, InboundMessage)
    assert (item.kind, item.target, item.text, item.data["edited_type"]) == ("edit", "wamid.orig", "new", "text")


@pytest.mark.parametrize(("k", "m", "n"), [(1, 1, 1), (1, 1, 6), (2, 3, 4), (3, 2, 5), (5, 4, 3)])
def test_a_batched_body_gives_exactly_k_m_n_items_in_order(k: int, m: int, n: int) -> None:
    """k entries of m changes of n items, messages and statuses mixed: every one, not only the first."""
    def items_of(e: int, c: int) -> tuple[list[Any], list[Any]]:
        messages = [text_message(f"wamid.{e}.{c}.{i}", f"text {e}.{c}.{i}") for i in range(n) if i % 2 == 0]
        statuses = [status(f"wamid.out.{e}.{c}.{i}", "read") for i in range(n) if i % 2 == 1]
        return messages, statuses
    document = {"object": "whatsapp_business_account", "entry": [
        {"id": f"waba-{e}", "changes": [change(*items_of(e, c), account=f"{e}{c}") for c in range(m)]}
        for e in range(k)]}
    found = whatsapp.parse(document)
    assert len(found) == k * m * n
    expected = []
    for e in range(k):
        for c in range(m):
            messages, statuses = items_of(e, c)
            expected += [(f"{e}{c}", x["id"]) for x in messages] + [(f"{e}{c}", x["id"]) for x in statuses]
    assert [(item.account, item.provider_id) for item in found if not isinstance(item, Ignored)] == expected


BREAKAGES: list[tuple[str, Any]] = [
    ("id is missing", lambda m: m.pop("id")),
    ("timestamp is not a number", lambda m: m.update(timestamp="yesterday")),
    ("timestamp is out of range", lambda m: m.update(timestamp="1e30")),
    ("text is a str", lambda m: m.update(text="flat")),
    ("id is a dict", lambda m: m.update(id={"a": 1})),
    ("neither from nor from_user_id", lambda m: m.pop("from")),
    ("reaction is missing", lambda m: m.update(type="reaction")),
    ("image has neither an id nor a url", lambda m: m.update(type="image", image={"caption": "c"})),
    ("location has no latitude", lambda m: m.update(type="location", location={"name": "x"})),
]


@pytest.mark.parametrize(("cause", "breaks"), BREAKAGES, ids=[cause for cause, _ in BREAKAGES])
def test_one_malformed_message_among_many_is_one_ignored_and_the_others_are_kept(cause: str, breaks: Any) -> None:
    messages = [text_message(f"wamid.{i}") for i in range(4)]
    statuses = [status(f"wamid.out.{i}") for i in range(3)]
    document = body(change(messages, statuses), change(messages, statuses), entries=2)
    breaks(document["entry"][1]["changes"][0]["value"]["messages"][2])
    found = whatsapp.parse(document)
    assert len(found) == 2 * 2 * 7
    broken = [item for item in found if isinstance(item, Ignored)]
    assert len(broken) == 1 and broken[0].malformed, found
    assert cause in broken[0].reason
    assert found.index(broken[0]) == 7 * 2 + 2
    assert sum(isinstance(item, InboundMessage) for item in found) == 15
    assert sum(isinstance(item, StatusUpdate) for item in found) == 12


@pytest.mark.parametrize(("broken_status", "cause"), [
    ({"id": "wamid.s", "timestamp": "1"}, "status is missing"),
    ({"id": "wamid.s", "status": "read"}, "timestamp is missing"),
    ({"status": "read", "timestamp": "1"}, "id is missing"),
    ("read", "not an object"),
])
def test_a_malformed_status_is_one_ignored_with_its_cause(broken_status: Any, cause: str) -> None:
    found = whatsapp.parse(body(change([text_message("wamid.1")], [status("wamid.2"), broken_status])))
    assert [type(item) for item in found] == [InboundMessage, StatusUpdate, Ignored]
    assert isinstance(found[2], Ignored) and found[2].malformed and cause in found[2].reason


@pytest.mark.parametrize("document", [
    None, [], "text", {}, {"object": "page"}, {"object": "whatsapp_business_account"},
    {"object": "whatsapp_business_account", "entry": {}}, {"object": "whatsapp_business_account", "entry": [1]},
    {"object": "whatsapp_business_account", "entry": [{"changes": "x"}]},
    {"object": "whatsapp_business_account", "entry": [{"changes": [None, {"field": "messages"}]}]},
    body(change([text_message("wamid.1")], account="")),
    body({"field": "messages", "value": {"messages": [text_message("wamid.1")]}}),
    body(change(messages=[], statuses=[])),
])
def test_unreadable_bodies_are_ignored_never_raised(document: Any) -> None:
    found = whatsapp.parse(document)
    assert found and all(isinstance(item, Ignored) for item in found)


def test_the_change_level_errors_mark_an_empty_interactive_message_unsupported() -> None:
    error = {"code": 131000, "title": "Something went wrong"}
    value = change([{"from": WA_ID, "id": "wamid.i", "timestamp": "1700000000", "type": "interactive"}])
    value["value"]["errors"] = [error]
    item = only(whatsapp.parse(body(value)))
    assert isinstance(item, InboundMessage)
    assert (item.kind, item.data["errors"]) == ("unsupported", [error])


def test_an_unknown_type_is_an_unsupported_placeholder_never_dropped() -> None:
    item = only(whatsapp.parse(body(change([{"from": WA_ID, "id": "wamid.n", "timestamp": "1700000000",
                                              "type": "hologram", "hologram": {}}]))))
    assert isinstance(item, InboundMessage)
    assert (item.kind, item.text, item.data["type"]) == (
        "unsupported", "[unsupported WhatsApp message: hologram]", "hologram")


@pytest.mark.corpus
def test_a_message_sent_from_the_business_app_is_an_echo_to_the_customer() -> None:
    echo = message_of("outgoing_message", "text")
    assert (echo.kind, echo.account, echo.provider_id, echo.text) == (
        "echo", "1122334455667", "<WHATSAPP_MESSAGE_ID>", "Test message")
    assert echo.sender == Identity("whatsapp", "<BSUID>")  # the customer it was sent to, not the business


def test_an_echo_names_the_customer_by_user_id_with_the_phone_as_a_second_identity() -> None:
    sent = {"from": "15550001111", "to": WA_ID, "to_user_id": BSUID, "id": "wamid.e1", "timestamp": "1700000000",
            "type": "text", "text": {"body": "Sent from the phone"}}
    echoes = change(field="smb_message_echoes", contacts=[contact()])
    echoes["value"]["message_echoes"] = [sent]
    payload = body(echoes)
    echo = only(whatsapp.parse(payload))
    assert isinstance(echo, InboundMessage)
    assert (echo.kind, echo.sender, echo.text) == ("echo", Identity("whatsapp", BSUID), "Sent from the phone")
    assert Identity("phone", f"+{WA_ID}") in echo.identities


@pytest.mark.corpus
@pytest.mark.parametrize(("key", "reason"), [("delete", "echo of a delete"), ("edit", "echo of a edit")])
def test_echoes_of_edits_and_deletions_are_ignored_with_their_reason(key: str, reason: str) -> None:
    assert whatsapp.parse(payloads("outgoing_message")[key]) == [Ignored("whatsapp", reason)]
