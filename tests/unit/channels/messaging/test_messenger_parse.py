"""Messenger and Instagram DM webhooks become one item per event of every entry (messaging and standby); what the
desk does not act on is Ignored with its reason, an empty or unknown event never raises."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from helpdesk.channels.messaging import messenger
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

PAGE, PSID, IG, IGSID = "111899832631525", "1433960459967306", "17841400000000001", "5330000000000002"


def fixture(name: str) -> dict[str, Any]:
    return dict(json.loads(corpus("messenger_webhooks", name).read_text()))


def only(found: list[WebhookItem]) -> Any:
    assert len(found) == 1, found
    return found[0]


def typed(found: list[WebhookItem]) -> list[Any]:
    """The items, for tests that check each one's type where it matters."""
    return list(found)


def event(extra: dict[str, Any], *, sender: str = PSID, recipient: str = PAGE,
          timestamp: int | str | None = 1480279487147) -> dict[str, Any]:
    found: dict[str, Any] = {"sender": {"id": sender}, "recipient": {"id": recipient}, **extra}
    if timestamp is not None:
        found["timestamp"] = timestamp
    return found


def page(*events: Any, standby: list[Any] | None = None, account: str = PAGE, obj: str = "page") -> dict[str, Any]:
    entry: dict[str, Any] = {"id": account, "time": 1480279487271, "messaging": list(events)}
    if standby is not None:
        entry["standby"] = standby
    return {"object": obj, "entry": [entry]}


@pytest.mark.corpus
def test_every_corpus_body_parses_and_every_item_survives_the_queue() -> None:
    files = [path for path in sorted(corpus("messenger_webhooks").glob("*.json")) if "signature" not in path.name]
    assert len(files) >= 13
    for path in files:
        found = messenger.parse(json.loads(path.read_text()))
        assert len(found) == 1, path.name
        for item in found:
            assert not (isinstance(item, Ignored) and item.malformed), (path.name, item)
            if not isinstance(item, Ignored):
                assert item_from_json(json.loads(json.dumps(to_json(item)))) == item


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "expected"), [
    ("message_1.json", {"provider_id": "mid.1480279487147:4388d3b344", "text": "Hi", "kind": "message"}),
    ("message_2.json", {"provider_id": "mid.$cAABlxfDuVgpkzP8I5Fem7nAgTm_7", "text": "bye, see you tomorrow at 4pm",
                        "sent_at": datetime(2017, 9, 19, 19, 59, 55, 620000, tzinfo=UTC)}),
    ("message_3.json", {"text": "Hi Julia"}),
    ("message_quick_reply_1.json", {"text": "Red", "payload": "MY_PAYLOAD"}),
    ("postback_1.json", {"provider_id": f"postback:{PSID}:1480279487147", "text": "", "payload": "MY_PAYLOAD"}),
])
def test_each_corpus_message_reads_as_written_by_hand(name: str, expected: dict[str, Any]) -> None:
    message = only(messenger.parse(fixture(name)))
    assert isinstance(message, InboundMessage)
    assert (message.channel, message.account, message.sender) == ("facebook", PAGE, Identity("messenger", PSID))
    for field, value in expected.items():
        assert getattr(message, field) == value, (field, message)
    assert message.conversation == f"facebook#{PAGE}#messenger:{PSID}"


@pytest.mark.corpus
def test_an_echo_is_the_page_speaking_to_the_person() -> None:
    echo = only(messenger.parse(fixture("echo_1.json")))
    assert isinstance(echo, InboundMessage)
    assert (echo.kind, echo.text, echo.provider_id) == ("echo", "Hi", "mid.1480279487147:4388d3b344")
    assert echo.sender == Identity("messenger", PAGE)  # the corpus echo is addressed to the page itself


def test_the_echo_of_our_own_send_carries_our_correlation_id() -> None:
    echo = only(messenger.parse(page(event({"message": {
        "is_echo": True, "app_id": 1821152484774199, "metadata": "t42c7", "mid": "m_echo", "text": "On its way"}},
        sender=PAGE, recipient=PSID))))
    assert (echo.kind, echo.sender, echo.data) == (
        "echo", Identity("messenger", PSID), {"correlation": "t42c7", "app_id": "1821152484774199"})


@pytest.mark.corpus
def test_delivery_and_read_watermarks_become_status_updates() -> None:
    delivered = only(messenger.parse(fixture("delivery_1.json")))
    assert isinstance(delivered, StatusUpdate)
    watermark = datetime(2016, 3, 22, 17, 47, 36, 253000, tzinfo=UTC)
    assert (delivered.status, delivered.provider_id, delivered.watermark, delivered.at) == (
        "delivered", "mid.1458668856218:ed81099e15d3f4f233", watermark, watermark)  # no timestamp: the watermark
    assert delivered.recipient == Identity("messenger", "USER_ID")
    read = only(messenger.parse(fixture("read_1.json")))
    assert isinstance(read, StatusUpdate)
    assert (read.status, read.provider_id, read.watermark) == ("read", None, watermark)
    assert read.at == datetime(2016, 3, 22, 17, 47, 36, 463000, tzinfo=UTC)


def test_a_delivery_without_mids_is_one_watermark_and_with_mids_one_per_message() -> None:
    bare = only(messenger.parse(page(event({"delivery": {"watermark": 1458668856253, "seq": 37}}))))
    assert (bare.provider_id, bare.status) == (None, "delivered")
    many = typed(messenger.parse(page(event({"delivery": {"mids": ["m_1", "m_2"], "watermark": 1458668856253}}))))
    assert [(item.provider_id, item.watermark is not None) for item in many] == [("m_1", True), ("m_2", True)]


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "reason"), [
    ("account_linking_1.json", "account_linking"), ("optin_1.json", "optin"), ("referral_1.json", "referral"),
    ("empty_messaging_event.json", "empty messaging item"), ("unknown_event_type.json", "unknown messaging item: foo"),
])
def test_events_the_desk_does_not_act_on_are_ignored_with_their_reason(name: str, reason: str) -> None:
    assert messenger.parse(fixture(name)) == [Ignored("facebook", reason)]


@pytest.mark.parametrize(("extra", "reason"), [
    ({"pass_thread_control": {"new_owner_app_id": "1"}}, "pass_thread_control"),
    ({"take_thread_control": {"previous_owner_app_id": "1"}}, "take_thread_control"),
    ({"policy_enforcement": {"action": "block", "reason": "spam"}}, "policy_enforcement:block"),
    ({"policy_enforcement": {"action": "unblock"}}, "policy_enforcement:unblock"),
])
def test_thread_control_is_ignored_and_policy_enforcement_has_its_own_reason(extra: dict[str, Any],
                                                                            reason: str) -> None:
    assert messenger.parse(page(event(extra))) == [Ignored("facebook", reason)]


def test_attachments_become_media_or_lines_of_text() -> None:
    message = only(messenger.parse(page(event({"message": {"mid": "m_att", "text": "see", "attachments": [
        {"type": "image", "payload": {"url": "https://scontent.xx.fbcdn.net/a.jpg"}},
        {"type": "image", "payload": {"url": "https://scontent.xx.fbcdn.net/s.png", "sticker_id": 369239263222822}},
        {"type": "file", "payload": {"url": "https://cdn.fbsbx.com/r.pdf"}},
        {"type": "location", "title": "Home", "payload": {"coordinates": {"lat": 52.52, "long": 13.405}}},
        {"type": "fallback", "title": "An article", "payload": {"url": "https://example.com/a"}},
    ]}}))))
    assert message.media == (Media("image", "https://scontent.xx.fbcdn.net/a.jpg"),
                             Media("sticker", "https://scontent.xx.fbcdn.net/s.png"),
                             Media("file", "https://cdn.fbsbx.com/r.pdf"))
    assert message.text == "see\nHome (52.52, 13.405)\n[fallback] An article https://example.com/a"
    assert len(message.data["attachments"]) == 5


def test_a_quoted_reply_targets_the_quoted_message() -> None:
    message = only(messenger.parse(page(event({"message": {"mid": "m_r", "text": "this one",
                                                           "reply_to": {"mid": "m_quoted"}}}))))
    assert (message.target, message.text) == ("m_quoted", "this one")


def test_a_postback_keeps_its_mid_title_and_payload() -> None:
    message = only(messenger.parse(page(event({"postback": {"mid": "m_pb", "title": "Talk to an agent",
                                                            "payload": "AGENT"}}))))
    assert (message.provider_id, message.text, message.payload, message.kind) == (
        "m_pb", "Talk to an agent", "AGENT", "message")


def test_reactions_edits_and_unsends_are_message_events_with_their_own_ids() -> None:
    react, unreact, edit = typed(messenger.parse(page(
        event({"reaction": {"mid": "m_1", "action": "react", "emoji": "❤", "reaction": "love"}}),
        event({"reaction": {"mid": "m_1", "action": "unreact"}}, timestamp=1480279487999),
        event({"message_edit": {"mid": "m_1", "text": "fixed typo", "num_edit": 2}}))))
    assert (react.kind, react.target, react.data) == ("reaction", "m_1", {"emoji": "❤", "reaction": "love",
                                                                         "removed": False})
    assert react.provider_id == f"reaction:m_1:{PSID}:1480279487147:react"
    assert (unreact.kind, unreact.data["removed"]) == ("reaction", True)
    assert (edit.kind, edit.target, edit.text, edit.provider_id) == ("edit", "m_1", "fixed typo", "m_1#edit:2")
    assert len({react.provider_id, unreact.provider_id, edit.provider_id, "m_1"}) == 4


def test_instagram_is_its_own_channel_and_identity_with_its_own_events() -> None:
    found = typed(messenger.parse(page(
        event({"message": {"mid": "aWdf1", "text": "hello from IG"}}, sender=IGSID, recipient=IG),
        event({"message": {"mid": "aWdf1", "is_deleted": True}}, sender=IGSID, recipient=IG),
        event({"message": {"mid": "aWdf2", "is_unsupported": True}}, sender=IGSID, recipient=IG),
        event({"message": {"mid": "aWdf3", "attachments": [{"type": "story_mention", "payload": {
            "url": "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1"}}]}}, sender=IGSID, recipient=IG),
        event({"message": {"mid": "aWdf4", "text": "nice", "reply_to": {"story": {
            "url": "https://cdn/story", "id": "1790"}}}}, sender=IGSID, recipient=IG),
        event({"read": {"mid": "aWdf_ours"}}, sender=IGSID, recipient=IG),
        account=IG, obj="instagram")))
    assert {(item.channel, item.account) for item in found} == {("instagram_dm", IG)}
    message, deleted, unsupported, mention, story_reply, read = found
    assert (message.sender, message.text) == (Identity("instagram", IGSID), "hello from IG")
    assert (deleted.kind, deleted.target, deleted.provider_id, deleted.text) == (
        "delete", "aWdf1", "aWdf1#deleted", "")
    assert (unsupported.kind, unsupported.text) == ("unsupported", "[unsupported message]")
    assert mention.text == "[story_mention] https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1"
    assert story_reply.data["story"] == {"url": "https://cdn/story", "id": "1790"}
    assert isinstance(read, StatusUpdate)
    assert (read.status, read.provider_id, read.watermark, read.recipient) == (
        "read", "aWdf_ours", None, Identity("instagram", IGSID))


def test_standby_events_are_read_and_marked() -> None:
    found = typed(messenger.parse(page(event({"message": {"mid": "m_live", "text": "a"}}),
                                       standby=[event({"message": {"mid": "m_standby", "text": "b"}})])))
    assert [(item.provider_id, item.data.get("standby")) for item in found] == [("m_live", None),
                                                                                ("m_standby", True)]


def test_a_batch_of_entries_and_events_gives_every_event_and_one_bad_event_is_one_ignored() -> None:
    events = [event({"message": {"mid": f"m_{n}", "text": f"t{n}"}}, timestamp=1480279487000 + n) for n in range(5)]
    events[3] = event({"message": {"mid": "m_bad", "text": "x"}}, timestamp="soon")
    events.append(event({"read": {"watermark": 1480279487100}}))
    document = {"object": "page", "entry": [{"id": f"{PAGE}{k}", "messaging": events} for k in range(3)]}
    found = typed(messenger.parse(document))
    assert len(found) == 3 * 6
    broken = [item for item in found if isinstance(item, Ignored)]
    assert len(broken) == 3 and all(item.malformed and "timestamp is not a number" in item.reason for item in broken)
    assert [item.provider_id for item in found[:6] if isinstance(item, InboundMessage)] == [
        "m_0", "m_1", "m_2", "m_4"]
    assert [item.account for item in found[::6]] == [f"{PAGE}0", f"{PAGE}1", f"{PAGE}2"]


@pytest.mark.parametrize(("broken", "cause"), [
    ({"message": {"text": "no mid"}}, "mid is missing"),
    ({"recipient": {"id": PAGE}, "timestamp": 1, "message": {"mid": "m"}}, "sender is missing"),
    ({"sender": {"id": PSID}, "message": {"mid": "m"}}, "timestamp is missing"),
    ({"message": "text"}, "message is a str"),
    ({"delivery": {"seq": 1}}, "neither a watermark nor a message id"),
    ({"reaction": {"action": "react"}}, "mid is missing"),
])
def test_a_malformed_event_is_ignored_with_its_cause(broken: dict[str, Any], cause: str) -> None:
    document = page(event({"message": {"mid": "m_ok", "text": "ok"}}),
                    broken if "sender" in broken or "recipient" in broken else event(broken))
    ok, bad = messenger.parse(document)
    assert isinstance(ok, InboundMessage)
    assert isinstance(bad, Ignored) and bad.malformed and cause in bad.reason, bad


@pytest.mark.parametrize("document", [
    None, [], {}, {"object": "user"}, {"object": "page"}, {"object": "page", "entry": "x"},
    {"object": "page", "entry": [None]}, {"object": "page", "entry": [{"messaging": [{}]}]},
    {"object": "page", "entry": [{"id": PAGE, "messaging": [None, "x", 3]}]},
    {"object": "instagram", "entry": [{"id": IG, "time": 1, "changes": [{"field": "comments", "value": {}}]}]},
])
def test_unreadable_or_foreign_bodies_are_ignored_never_raised(document: Any) -> None:
    found = messenger.parse(document)
    assert found and all(isinstance(item, Ignored) for item in found)
