"""Sending through Twilio: the Messages.json request for a reply, a template or media, and what Twilio's answer
means for the reply (sent with its SID, retry, failed, window closed, opted out, reauthorise the channel)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

import pytest

from helpdesk.channels.messaging.items import Identity, InboundMessage, StatusUpdate
from helpdesk.channels.messaging.twilio import account_parts, parse_inbound, parse_status, status_callback_url
from helpdesk.channels.messaging.twilio_send import (
    SendResult,
    TwilioRequest,
    build_message,
    outcome_of_error,
    read_response,
)
from helpdesk.domain.errors import InvalidInput
from tests.twilio_forms import ACCOUNT, CUSTOMER, OUR_NUMBER, OUR_WHATSAPP, SENT, SERVICE, status_callback, whatsapp

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
PATH = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
CALLBACK = "https://help.example.com/inbound/twilio/status?c=t42-c3"
TEMPLATE = "HX" + "f6" * 16
PHONE = Identity("phone", CUSTOMER)


def test_an_sms_reply_is_posted_from_our_number_with_its_status_callback() -> None:
    assert build_message(ACCOUNT, OUR_NUMBER, PHONE, "Your parcel left today", [], CALLBACK) == TwilioRequest(
        "POST", PATH, [("To", CUSTOMER), ("From", OUR_NUMBER), ("Body", "Your parcel left today"),
                       ("StatusCallback", CALLBACK)])


def test_a_messaging_service_sends_in_place_of_a_number() -> None:
    _, _, form = build_message(ACCOUNT, SERVICE, PHONE, "Hi", [], CALLBACK)
    assert ("MessagingServiceSid", SERVICE) in form and "From" not in dict(form)


def test_whatsapp_addresses_carry_the_whatsapp_prefix() -> None:
    _, _, form = build_message(ACCOUNT, OUR_WHATSAPP, Identity("whatsapp", CUSTOMER[1:]), "Hi", [], None)
    assert form == [("To", f"whatsapp:{CUSTOMER}"), ("From", f"whatsapp:{OUR_WHATSAPP}"), ("Body", "Hi")]
    _, _, form = build_message(ACCOUNT, SERVICE, Identity("whatsapp", "US.13491208655302741918"), "Hi", [], None)
    assert form == [("To", "whatsapp:US.13491208655302741918"), ("MessagingServiceSid", SERVICE), ("Body", "Hi")]


def test_a_template_goes_as_content_sid_and_variables_without_a_body() -> None:
    _, _, form = build_message(ACCOUNT, OUR_WHATSAPP, Identity("whatsapp", "14133881111"), "", [], CALLBACK,
                               content_sid=TEMPLATE, content_variables={"1": "Dana", "2": "ticket #42 ✓"})
    fields = dict(form)
    assert "Body" not in fields and fields["ContentSid"] == TEMPLATE
    assert json.loads(fields["ContentVariables"]) == {"1": "Dana", "2": "ticket #42 ✓"}
    assert build_message(ACCOUNT, OUR_WHATSAPP, Identity("whatsapp", "14133881111"), "", [], None,
                         content_sid=TEMPLATE).form[-1] == ("ContentSid", TEMPLATE)


def test_up_to_ten_media_urls_repeat_the_field() -> None:
    urls = [f"https://files.example.com/a{i}.jpg" for i in range(10)]
    request = build_message(ACCOUNT, OUR_NUMBER, PHONE, "", urls, CALLBACK)
    assert [value for key, value in request.form if key == "MediaUrl"] == urls
    assert "Body" not in dict(request.form)
    assert parse_qsl(urlencode(request.form)) == request.form  # what the transport posts reads back the same


@pytest.mark.parametrize(("args", "changes", "cause"), [
    (("AC1", OUR_NUMBER, PHONE, "Hi"), {}, "AccountSid"),
    ((ACCOUNT, "support", PHONE, "Hi"), {}, "sender"),
    ((ACCOUNT, OUR_NUMBER, Identity("email", "dana@example.com"), "Hi"), {}, "email"),
    ((ACCOUNT, OUR_NUMBER, Identity("phone", "14133881111"), "Hi"), {}, "phone"),
    ((ACCOUNT, OUR_NUMBER, Identity("whatsapp", "someone"), "Hi"), {}, "whatsapp"),
    ((ACCOUNT, OUR_NUMBER, PHONE, ""), {}, "nothing to send"),
    ((ACCOUNT, OUR_NUMBER, PHONE, "Hi"), {"media_urls": [f"https://f.example/{i}" for i in range(11)]}, "10"),
    ((ACCOUNT, OUR_NUMBER, PHONE, "Hi"), {"media_urls": ["file:///etc/passwd"]}, "MediaUrl"),
    ((ACCOUNT, OUR_NUMBER, PHONE, "Hi"), {"content_sid": TEMPLATE}, "Body"),
    ((ACCOUNT, OUR_NUMBER, PHONE, ""), {"content_sid": "HX1"}, "ContentSid"),
    ((ACCOUNT, OUR_NUMBER, PHONE, "Hi"), {"content_variables": {"1": "x"}}, "ContentSid"),
])
def test_a_request_twilio_would_refuse_is_bad_input_with_the_cause(args: tuple[str, str, Identity, str],
                                                                    changes: dict[str, object], cause: str) -> None:
    kwargs: dict[str, object] = {"media_urls": [], "status_callback": None, **changes}
    with pytest.raises(InvalidInput, match=cause):
        build_message(*args, **kwargs)  # type: ignore[arg-type]


def test_a_reply_sent_through_the_message_s_account_comes_back_to_its_conversation() -> None:
    """Customer message -> its account names the sender -> our request -> the status callback Twilio posts for it
    lands in the customer's conversation, with our correlation id."""
    for inbound in (whatsapp(), whatsapp(MessagingServiceSid=SERVICE), whatsapp(ExternalUserId="whatsapp:US.77")):
        message = parse_inbound(inbound, NOW)[0]
        assert isinstance(message, InboundMessage)
        account_sid, sender = account_parts(message.account)
        _, _, form = build_message(account_sid, sender, message.sender, "On its way", [],
                                   status_callback_url("https://help.example.com", "t42-c3"))
        sent = dict(form)
        posted = status_callback("delivered", To=sent["To"], MessagingServiceSid=sent.get("MessagingServiceSid"),
                                 From=sent.get("From", f"whatsapp:{OUR_WHATSAPP}"))
        update = parse_status(posted, {"c": "t42-c3"}, NOW)[0]
        assert isinstance(update, StatusUpdate)
        assert (update.conversation, update.correlation) == (message.conversation, "t42-c3")


def _answer(doc: object) -> bytes:
    return json.dumps(doc).encode()


@pytest.mark.parametrize(("status", "body", "expected"), [
    (201, _answer({"sid": SENT, "status": "queued", "error_code": None}), SendResult(SENT, "sent")),
    (201, _answer({"status": "accepted"}), SendResult(None, "sent", None, "Twilio accepted the message without a sid")),
    (201, _answer({"sid": SENT, "status": "failed", "error_code": 63016}), SendResult(SENT, "window_closed", "63016")),
    (429, _answer({"code": 20429, "message": "Too Many Requests"}),
     SendResult(None, "retry", "20429", "HTTP 429: Too Many Requests")),
    (429, b"", SendResult(None, "retry", None, "HTTP 429")),
    (500, b"<html>oops</html>", SendResult(None, "retry", None, "HTTP 500: <html>oops</html>")),
    (503, _answer({"code": 20503, "message": "Service unavailable"}),
     SendResult(None, "retry", "20503", "HTTP 503: Service unavailable")),
    (400, _answer({"code": 30001, "message": "Queue overflow"}),
     SendResult(None, "retry", "30001", "HTTP 400: Queue overflow")),
    (400, _answer({"code": 63016, "message": "Outside messaging window"}),
     SendResult(None, "window_closed", "63016", "HTTP 400: Outside messaging window")),
    (400, _answer({"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400}),
     SendResult(None, "opted_out", "21610", "HTTP 400: Attempt to send to unsubscribed recipient")),
    (401, _answer({"code": 20003, "message": "Authenticate"}),
     SendResult(None, "reauthorise", "20003", "HTTP 401: Authenticate")),
    (401, b"", SendResult(None, "reauthorise", None, "HTTP 401")),
    (403, _answer({"code": 20003, "message": "Permission denied"}),
     SendResult(None, "reauthorise", "20003", "HTTP 403: Permission denied")),
    (400, _answer({"code": 21211, "message": "Invalid 'To' Phone Number"}),
     SendResult(None, "failed", "21211", "HTTP 400: Invalid 'To' Phone Number")),
    (404, _answer(["not", "an", "object"]), SendResult(None, "failed", None, "HTTP 404")),
    (400, _answer({"code": True, "message": "odd"}), SendResult(None, "failed", None, "HTTP 400: odd")),
    (302, b"", SendResult(None, "failed", None, "HTTP 302")),
    (400, b"\xff\xfe", SendResult(None, "failed", None, "HTTP 400: \ufffd\ufffd")),
])
def test_twilio_s_answer_says_what_became_of_the_reply(status: int, body: bytes, expected: SendResult) -> None:
    assert read_response(status, body) == expected
    assert read_response(status, body.decode("utf-8", "replace")) == expected


def test_a_long_error_message_is_cut() -> None:
    result = read_response(400, _answer({"code": 21617, "message": "x" * 5000}))
    assert result.outcome == "failed" and result.detail is not None and len(result.detail) <= 300


@pytest.mark.parametrize(("code", "outcome"), [("63016", "window_closed"), ("21610", "opted_out"),
                                               ("30001", "retry"), ("20429", "retry"), ("20003", "reauthorise"),
                                               ("30006", None), (None, None), ("", None)])
def test_a_status_callback_s_error_code_maps_to_the_same_outcomes(code: str | None, outcome: str | None) -> None:
    assert outcome_of_error(code) == outcome
