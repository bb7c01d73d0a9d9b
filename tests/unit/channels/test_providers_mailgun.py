"""Mailgun route forwards: HMAC signature and freshness first, then body-mime or the parsed fields."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import urlencode

import pytest

from helpdesk.channels.email.parse import parse_email
from helpdesk.channels.email.providers.formdata import FormValue, encode_form_data
from helpdesk.channels.email.providers.mailgun import mailgun_delivery, verify_mailgun
from helpdesk.domain.errors import InvalidInput, InvalidSignature

KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
NOW = 1_700_000_000.0
MIME = (
    b"From: Bob <bob@example.com>\r\nTo: help@example.com\r\nSubject: Printer on fire\r\n"
    b"Message-Id: <mg-1@mail.example.com>\r\nX-Mailgun-Spf: Pass\r\nX-Mailgun-Sflag: Yes\r\n\r\nIt burns.\r\n"
)


def _signed(timestamp: float = NOW, token: str = "a" * 50, key: str = KEY) -> dict[str, str]:
    stamp = str(int(timestamp))
    signature = hmac.new(key.encode(), (stamp + token).encode(), hashlib.sha256).hexdigest()
    return {"timestamp": stamp, "token": token, "signature": signature}


def _post(fields: dict[str, str], files: list[FormValue] | None = None) -> tuple[bytes, str]:
    return encode_form_data([*(FormValue(k, v.encode()) for k, v in fields.items()), *(files or [])])


def test_correct_signature_passes() -> None:
    verify_mailgun(_signed(), KEY, NOW)
    verify_mailgun(_signed(NOW - 299), KEY, NOW)
    verify_mailgun(_signed(NOW + 299), KEY, NOW)


@pytest.mark.parametrize(
    ("fields", "key", "reason"),
    [
        ({**_signed(), "signature": "0" * 64}, KEY, "does not match"),
        (_signed(key="other-key"), KEY, "does not match"),
        ({**_signed(), "signature": "é" * 64}, KEY, "does not match"),
        ({k: v for k, v in _signed().items() if k != "token"}, KEY, "missing"),
        ({**_signed(), "timestamp": ""}, KEY, "missing"),
        (_signed(NOW - 301), KEY, "stale timestamp"),
        (_signed(NOW + 301), KEY, "stale timestamp"),
        (_signed(), "", "not configured"),
    ],
)
def test_bad_signatures_are_refused(fields: dict[str, str], key: str, reason: str) -> None:
    with pytest.raises(InvalidSignature, match=reason):
        verify_mailgun(fields, key, NOW)


def test_non_numeric_timestamp_is_refused() -> None:
    token = "t" * 50
    signature = hmac.new(KEY.encode(), ("soon" + token).encode(), hashlib.sha256).hexdigest()
    with pytest.raises(InvalidSignature, match="not a number"):
        verify_mailgun({"timestamp": "soon", "token": token, "signature": signature}, KEY, NOW)


def test_mime_mode() -> None:
    body, content_type = _post({**_signed(), "recipient": "Help@Example.com, other@example.com"},
                               [FormValue("body-mime", MIME, filename="message.mime", content_type="message/rfc822")])
    delivery = mailgun_delivery(body, content_type, KEY, NOW)
    assert delivery.provider == "mailgun"
    assert delivery.raw == MIME
    assert delivery.recipients == ["help@example.com", "other@example.com"]
    assert delivery.verdicts == {"spf": "PASS", "spam": "FAIL"}
    assert delivery.quarantine_reason == "spam"
    assert parse_email(delivery.raw).subject == "Printer on fire"
    assert delivery.signed_token == "a" * 50  # what the api checks for replays


def test_parsed_mode() -> None:
    headers = [["Message-Id", "<mg-2@mail.example.com>"], ["In-Reply-To", "<ticket-9.z@help.example.com>"],
               ["X-Mailgun-Dkim-Check-Result", "Fail"], ["X-Mailgun-Spf", "Fail"], ["Subject", "ignored"]]
    fields = {
        **_signed(), "recipient": "help@example.com", "sender": "bob@example.com",
        "from": "Bob <bob@example.com>", "subject": "Printer on fire", "body-plain": "It burns.",
        "body-html": "<p>It burns.</p>", "message-headers": json.dumps(headers), "attachment-count": "1",
        "content-id-map": json.dumps({"<img1@x>": "attachment-1"}),
    }
    photo = FormValue("attachment-1", b"\xff\xd8\xff\r\n", filename="fire.jpg", content_type="image/jpeg")
    delivery = mailgun_delivery(*_post(fields, [photo]), KEY, NOW)
    assert delivery.verdicts == {"dkim": "FAIL", "spf": "FAIL"}
    assert delivery.spoofed
    parsed = parse_email(delivery.raw)
    assert parsed.from_ is not None and parsed.from_.address == "bob@example.com"
    assert (parsed.subject, parsed.text.strip()) == ("Printer on fire", "It burns.")
    assert (parsed.message_id, parsed.in_reply_to) == ("mg-2@mail.example.com", "ticket-9.z@help.example.com")
    assert [(a.filename, a.data, a.content_id) for a in parsed.attachments] == [
        ("fire.jpg", b"\xff\xd8\xff\r\n", "img1@x")
    ]


def test_message_id_field_is_used_when_headers_lack_it() -> None:
    fields = {**_signed(), "from": "bob@example.com", "Message-Id": "<field@x>", "body-plain": "hi"}
    assert parse_email(mailgun_delivery(*_post(fields), KEY, NOW).raw).message_id == "field@x"


def test_signature_is_checked_before_anything_else() -> None:
    fields = {**_signed(), "signature": "f" * 64, "message-headers": "{not json"}
    with pytest.raises(InvalidSignature):
        mailgun_delivery(*_post(fields), KEY, NOW)


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"message-headers": "{not json"}, "not valid JSON"),
        ({"message-headers": json.dumps([["a", 1]])}, "list of"),
        ({"content-id-map": "[]"}, "not a JSON object"),
        ({"from": ""}, "neither body-mime nor a from"),
        ({"body-mime": ""}, "empty message"),
    ],
)
def test_bad_posts_are_invalid_input(extra: dict[str, str], reason: str) -> None:
    fields = {**_signed(), "from": "bob@example.com", **extra}
    with pytest.raises(InvalidInput, match=reason):
        mailgun_delivery(*_post(fields), KEY, NOW)


def test_url_encoded_post() -> None:
    body = urlencode({**_signed(), "from": "bob@example.com", "subject": "hi", "body-plain": "x"}).encode()
    delivery = mailgun_delivery(body, "application/x-www-form-urlencoded", KEY, NOW)
    assert parse_email(delivery.raw).subject == "hi"
