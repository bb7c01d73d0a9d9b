"""What the desk sends on WhatsApp Cloud, and what the answer means."""

from __future__ import annotations

from typing import Any

import pytest

from helpdesk.channels.messaging import whatsapp
from helpdesk.channels.messaging.items import Identity
from helpdesk.channels.messaging.meta import SendResult
from helpdesk.domain.errors import InvalidInput

ACCOUNT = "1122334455667"
PHONE = Identity("phone", "+972987654321")
BSUID = Identity("whatsapp", "US.13491208655302741918")


def test_a_text_goes_to_the_number_with_our_correlation_id() -> None:
    path, body = whatsapp.build_text(ACCOUNT, PHONE, "Your order ships today.", "t42c7")
    assert path == f"/{ACCOUNT}/messages"
    assert body == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "972987654321",
                    "biz_opaque_callback_data": "t42c7", "type": "text",
                    "text": {"body": "Your order ships today.", "preview_url": False}}


@pytest.mark.parametrize(("to", "addressed"), [
    (BSUID, {"recipient": "US.13491208655302741918"}),
    (Identity("whatsapp", "US.ENT.11815799212886844830"), {"recipient": "US.ENT.11815799212886844830"}),
    (Identity("whatsapp", "972987654321"), {"to": "972987654321"}),
    (PHONE, {"to": "972987654321"}),
])
def test_a_bsuid_is_addressed_as_recipient_and_a_number_as_to(to: Identity, addressed: dict[str, str]) -> None:
    _, body = whatsapp.build_text(ACCOUNT, to, "hi", None)
    assert {key: body[key] for key in ("to", "recipient") if key in body} == addressed
    assert "biz_opaque_callback_data" not in body


@pytest.mark.parametrize("to", [
    Identity("messenger", "1433960459967306"), Identity("phone", "972987654321x"), Identity("whatsapp", "us.1"),
    Identity("whatsapp", ""), Identity("email", "dana@example.com"), Identity("phone", "+12"),
])
def test_a_recipient_that_is_not_a_whatsapp_identity_is_refused(to: Identity) -> None:
    with pytest.raises(InvalidInput, match="cannot send a WhatsApp message"):
        whatsapp.build_text(ACCOUNT, to, "hi", None)


def test_a_reply_quotes_the_customer_message() -> None:
    _, body = whatsapp.build_text(ACCOUNT, PHONE, "Yes", "c1", reply_to="wamid.quoted")
    assert body["context"] == {"message_id": "wamid.quoted"}


@pytest.mark.parametrize(("text", "correlation", "account", "reason"), [
    ("", "c", ACCOUNT, "text is empty"), ("  ", "c", ACCOUNT, "text is empty"),
    ("x" * 4097, "c", ACCOUNT, "4097 characters, more than 4096"),
    ("hi", "c" * 513, ACCOUNT, "correlation id has 513"), ("hi", "c", "../me", "phone number id"),
    ("hi", "c", "", "phone number id"),
])
def test_texts_out_of_bounds_are_refused(text: str, correlation: str, account: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        whatsapp.build_text(account, PHONE, text, correlation)


def test_reply_buttons_carry_ids_that_come_back_as_payload() -> None:
    _, body = whatsapp.build_buttons(ACCOUNT, BSUID, "How did we do?",
                                     [("csat:T1:good:sig", "Good 👍"), ("csat:T1:bad:sig", "Bad 👎")], "t1s")
    assert body["recipient"] == BSUID.value and body["type"] == "interactive"
    assert body["interactive"] == {"type": "button", "body": {"text": "How did we do?"}, "action": {"buttons": [
        {"type": "reply", "reply": {"id": "csat:T1:good:sig", "title": "Good 👍"}},
        {"type": "reply", "reply": {"id": "csat:T1:bad:sig", "title": "Bad 👎"}}]}}


@pytest.mark.parametrize(("buttons", "reason"), [
    ([], "1 to 3 reply buttons, not 0"),
    ([("a", "A"), ("b", "B"), ("c", "C"), ("d", "D")], "1 to 3 reply buttons, not 4"),
    ([("a", "x" * 21)], "button title has 21 characters, more than 20"),
    ([("a" * 257, "A")], "button id has 257 characters, more than 256"),
    ([("", "A")], "button id is empty"), ([("a", "")], "button title is empty"),
    ([("a", "A"), ("a", "B")], "ids must be unique"), ([("a", "A"), ("b", "A")], "titles must be unique"),
])
def test_buttons_beyond_whatsapp_limits_are_refused(buttons: list[tuple[str, str]], reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        whatsapp.build_buttons(ACCOUNT, PHONE, "Pick one", buttons, None)


def test_the_limits_themselves_are_accepted() -> None:
    buttons = [("a" * 256, "x" * 20), ("b", "y" * 20), ("c", "z")]
    _, body = whatsapp.build_buttons(ACCOUNT, PHONE, "t" * 1024, buttons, "c" * 512)
    assert len(body["interactive"]["action"]["buttons"]) == 3
    whatsapp.build_text(ACCOUNT, PHONE, "x" * 4096, None)


def test_a_template_fills_its_body_parameters_in_order() -> None:
    _, body = whatsapp.build_template(ACCOUNT, PHONE, "ticket_update", "en", ["#1234", "solved"], "t9")
    assert body["type"] == "template" and body["biz_opaque_callback_data"] == "t9"
    assert body["template"] == {"name": "ticket_update", "language": {"code": "en"}, "components": [
        {"type": "body", "parameters": [{"type": "text", "text": "#1234"}, {"type": "text", "text": "solved"}]}]}
    _, bare = whatsapp.build_template(ACCOUNT, PHONE, "hello_world", "en_US", [], None)
    assert bare["template"] == {"name": "hello_world", "language": {"code": "en_US"}}
    with pytest.raises(InvalidInput, match="template parameter is empty"):
        whatsapp.build_template(ACCOUNT, PHONE, "ticket_update", "en", ["#1", ""], None)


def test_media_is_sent_by_link_with_its_caption() -> None:
    _, body = whatsapp.build_media(ACCOUNT, PHONE, "image", "https://s3.example/x.png?sig=1", "Receipt", "t3")
    assert (body["type"], body["image"]) == ("image", {"link": "https://s3.example/x.png?sig=1", "caption": "Receipt"})
    _, document = whatsapp.build_media(ACCOUNT, PHONE, "document", "https://s3.example/r.pdf", None, None,
                                       filename="r.pdf")
    assert document["document"] == {"link": "https://s3.example/r.pdf", "filename": "r.pdf"}


@pytest.mark.parametrize(("kind", "link", "caption", "reason"), [
    ("hologram", "https://x", None, "cannot send media of kind"),
    ("image", "http://x/plain", None, "https URL"), ("image", "file:///etc/passwd", None, "https URL"),
    ("audio", "https://x/a.ogg", "words", "cannot carry a caption"),
    ("image", "https://x/a.png", "c" * 1025, "caption has 1025"),
])
def test_media_that_whatsapp_would_refuse_is_refused_here(kind: str, link: str, caption: str | None,
                                                           reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        whatsapp.build_media(ACCOUNT, PHONE, kind, link, caption, None)


def error(code: int, message: str = "m", **extra: Any) -> dict[str, Any]:
    return {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "A", **extra}}


@pytest.mark.parametrize(("status", "body", "expected"), [
    (200, {"messaging_product": "whatsapp", "contacts": [{"input": "972987654321", "wa_id": "972987654321"}],
           "messages": [{"id": "wamid.HBgL"}]}, SendResult("wamid.HBgL", "sent")),
    (200, {"messages": []}, SendResult(None, "failed", None, "HTTP 200 without a message id")),
    (200, None, SendResult(None, "failed", None, "HTTP 200 without a message id")),
    (400, error(131047, "Re-engagement message", error_data={"details": "More than 24 hours have passed"}),
     SendResult(None, "window_closed", "131047", "Re-engagement message; More than 24 hours have passed")),
    (400, error(130429, "Rate limit hit"), SendResult(None, "retry", "130429", "Rate limit hit")),
    (400, error(131056, "pair rate limit"), SendResult(None, "retry", "131056", "pair rate limit")),
    (500, error(131026, "x"), SendResult(None, "retry", "131026", "x")),
    (502, "Bad Gateway", SendResult(None, "retry", "http_502", None)),
    (401, error(190, "Error validating access token"),
     SendResult(None, "reauthorise", "190", "Error validating access token")),
    (401, {}, SendResult(None, "reauthorise", "http_401", None)),
    (400, error(131026, "Message undeliverable"), SendResult(None, "failed", "131026", "Message undeliverable")),
    (400, error(100, "Invalid parameter"), SendResult(None, "failed", "100", "Invalid parameter")),
])
def test_the_answer_to_a_send_is_read_into_an_outcome(status: int, body: Any, expected: SendResult) -> None:
    assert whatsapp.read_response(status, body) == expected
