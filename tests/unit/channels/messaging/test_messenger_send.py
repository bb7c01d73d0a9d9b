"""What the desk sends on Messenger and Instagram DM, and what the answer means."""

from __future__ import annotations

from typing import Any

import pytest

from helpdesk.channels.messaging import messenger
from helpdesk.channels.messaging.items import Identity
from helpdesk.channels.messaging.meta import SendResult
from helpdesk.domain.errors import InvalidInput

PAGE = "111899832631525"
PERSON = Identity("messenger", "1433960459967306")


def test_a_reply_inside_the_window_is_a_response_carrying_our_correlation_id() -> None:
    path, body = messenger.build_text(PAGE, PERSON, "Your refund is on its way.", "t42c7")
    assert path == f"/{PAGE}/messages"
    assert body == {"recipient": {"id": PERSON.value}, "messaging_type": "RESPONSE",
                    "message": {"text": "Your refund is on its way.", "metadata": "t42c7"}}


def test_a_human_agent_reply_outside_the_window_is_tagged() -> None:
    _, body = messenger.build_text(PAGE, Identity("instagram", "5330000000000002"), "Sorry for the wait", None,
                                   human_agent=True)
    assert (body["messaging_type"], body["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    assert body["message"] == {"text": "Sorry for the wait"}


def test_quick_replies_carry_payloads_that_come_back_on_the_answer() -> None:
    _, body = messenger.build_quick_replies("me", PERSON, "How did we do?",
                                            [("csat:T1:good:sig", "Good 👍"), ("csat:T1:bad:sig", "Bad 👎")], "t1s")
    assert body["message"] == {"text": "How did we do?", "metadata": "t1s", "quick_replies": [
        {"content_type": "text", "title": "Good 👍", "payload": "csat:T1:good:sig"},
        {"content_type": "text", "title": "Bad 👎", "payload": "csat:T1:bad:sig"}]}


@pytest.mark.parametrize(("replies", "reason"), [
    ([], "1 to 13 quick replies, not 0"),
    ([(f"p{n}", f"t{n}") for n in range(14)], "1 to 13 quick replies, not 14"),
    ([("p", "x" * 21)], "quick reply title has 21 characters, more than 20"),
    ([("p" * 1001, "t")], "quick reply payload has 1001"),
    ([("p", "a"), ("p", "b")], "payloads must be unique"),
])
def test_quick_replies_beyond_the_limits_are_refused(replies: list[tuple[str, str]], reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        messenger.build_quick_replies(PAGE, PERSON, "Pick", replies, None)


def test_thirteen_quick_replies_of_twenty_characters_are_accepted() -> None:
    _, body = messenger.build_quick_replies(PAGE, PERSON, "x" * 2000, [(f"p{n}", f"{n:020d}") for n in range(13)],
                                            "m" * 1000)
    assert len(body["message"]["quick_replies"]) == 13


def test_an_attachment_is_sent_by_url() -> None:
    _, body = messenger.build_attachment(PAGE, PERSON, "file", "https://s3.example/r.pdf?sig=1", "t5")
    assert body["message"] == {"metadata": "t5", "attachment": {
        "type": "file", "payload": {"url": "https://s3.example/r.pdf?sig=1", "is_reusable": False}}}


@pytest.mark.parametrize(("call", "reason"), [
    (lambda: messenger.build_text(PAGE, PERSON, "", None), "text is empty"),
    (lambda: messenger.build_text(PAGE, PERSON, "x" * 2001, None), "2001 characters, more than 2000"),
    (lambda: messenger.build_text(PAGE, PERSON, "x", "m" * 1001), "metadata has 1001"),
    (lambda: messenger.build_text("../evil", PERSON, "x", None), "not a page or Instagram account id"),
    (lambda: messenger.build_text(PAGE, Identity("whatsapp", "123"), "x", None), "cannot send"),
    (lambda: messenger.build_text(PAGE, Identity("messenger", "12/../34"), "x", None), "cannot send"),
    (lambda: messenger.build_attachment(PAGE, PERSON, "sticker", "https://x", None), "attachment of kind"),
    (lambda: messenger.build_attachment(PAGE, PERSON, "image", "http://x", None), "https URL"),
])
def test_what_the_send_api_would_refuse_is_refused_here(call: Any, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        call()


def error(code: int, subcode: int | None = None, message: str = "m") -> dict[str, Any]:
    found: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "B"}
    if subcode is not None:
        found["error_subcode"] = subcode
    return {"error": found}


@pytest.mark.parametrize(("status", "body", "expected"), [
    (200, {"recipient_id": "1433960459967306", "message_id": "m_AG5Hz"}, SendResult("m_AG5Hz", "sent")),
    (200, {"recipient_id": "1433960459967306"}, SendResult(None, "failed", None, "HTTP 200 without a message id")),
    (400, error(10, 2018278, "(#10) This message is sent outside of allowed window."),
     SendResult(None, "window_closed", "10", "(#10) This message is sent outside of allowed window.")),
    (403, error(10, 2534022, "This message is sent outside of allowed window."),
     SendResult(None, "window_closed", "10", "This message is sent outside of allowed window.")),
    (400, error(10, 2018065, "(#10) permission"), SendResult(None, "failed", "10", "(#10) permission")),
    (400, error(190, 460, "Error validating access token"),
     SendResult(None, "reauthorise", "190", "Error validating access token")),
    (400, error(613, None, "Calls to this api have exceeded the rate limit."),
     SendResult(None, "retry", "613", "Calls to this api have exceeded the rate limit.")),
    (400, error(4), SendResult(None, "retry", "4", "m")), (400, error(17), SendResult(None, "retry", "17", "m")),
    (400, error(32), SendResult(None, "retry", "32", "m")), (500, error(2), SendResult(None, "retry", "2", "m")),
    (400, error(551, None, "This person isn't available right now."),
     SendResult(None, "failed", "551", "This person isn't available right now.")),
    (503, None, SendResult(None, "retry", "http_503", None)),
])
def test_the_answer_to_a_send_is_read_into_an_outcome(status: int, body: Any, expected: SendResult) -> None:
    assert messenger.read_response(status, body) == expected
