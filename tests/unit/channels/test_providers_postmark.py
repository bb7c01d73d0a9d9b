"""Postmark inbound JSON: the corpus payloads with and without RawEmail, header verdicts, malformed payloads."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from helpdesk.channels.email.parse import parse_email
from helpdesk.channels.email.providers.postmark import postmark_delivery, verify_postmark
from helpdesk.domain.errors import InvalidInput, InvalidSignature
from tests.support import corpus


def _payload(name: str) -> dict[str, Any]:
    path = corpus("providers", "postmark", name)
    value = json.loads(path.read_bytes())
    assert isinstance(value, dict)
    return value


def _bytes(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


@pytest.mark.corpus
def test_payload_without_raw_is_rebuilt() -> None:
    delivery = postmark_delivery(_bytes(_payload("postmark-inbound-test-payload.json")))
    assert delivery.provider == "postmark"
    assert delivery.provider_message_id == "00000000-0000-0000-0000-000000000000"
    assert delivery.recipients == ["mailbox+samplehash@inbound.postmarkapp.com"]
    assert delivery.verdicts == {}
    parsed = parse_email(delivery.raw)
    assert parsed.from_ is not None
    assert (parsed.from_.name, parsed.from_.address) == ("Postmarkapp Support", "support@postmarkapp.com")
    assert parsed.subject == "Test subject"
    assert parsed.text.strip() == "This is a test text body."
    assert [a.address for a in parsed.cc] == ["firstcc@postmarkapp.com", "secondcc@postmarkapp.com"]
    assert parsed.date is not None and parsed.date.year == 2023
    assert [(a.filename, a.content_type, a.data) for a in parsed.attachments] == [
        ("test.txt", "text/plain", b"This is attachment contents, base-64 encoded.")
    ]


@pytest.mark.corpus
def test_payload_with_raw_uses_raw_email() -> None:
    payload = _payload("postmark-inbound-test-payload-with-raw.json")
    delivery = postmark_delivery(_bytes(payload))
    assert delivery.raw == payload["RawEmail"].encode()
    parsed = parse_email(delivery.raw)
    assert parsed.from_ is not None and parsed.from_.address == "support@postmarkapp.com"
    assert (parsed.subject, parsed.text.strip()) == ("Test subject", "This is a test text body.")


def _minimal(**extra: Any) -> dict[str, Any]:
    return {"From": "a@example.com", "To": "help@example.com", "Subject": "s", "TextBody": "t", **extra}


def test_verdicts_and_threading_from_headers() -> None:
    headers = [
        {"Name": "Received-SPF", "Value": "Fail (protection.outlook.com: domain does not designate)"},
        {"Name": "Authentication-Results", "Value": "mx.postmarkapp.com; dkim=fail header.d=x; dmarc=fail"},
        {"Name": "Authentication-Results", "Value": "forged; dmarc=pass"},
        {"Name": "X-Spam-Status", "Value": "Yes, score=9.1"},
        {"Name": "Message-ID", "Value": "<pm-1@mail.example.com>"},
        {"Name": "References", "Value": "<ticket-3.a@help.example.com>"},
    ]
    attachment = {"Name": "p.png", "Content": base64.b64encode(b"\x89PNG").decode(), "ContentType": "image/png",
                  "ContentID": "p.png@01CE"}
    delivery = postmark_delivery(_bytes(_minimal(Headers=headers, Attachments=[attachment])))
    assert delivery.verdicts == {"spf": "FAIL", "dkim": "FAIL", "dmarc": "FAIL", "spam": "FAIL"}
    assert delivery.spoofed and delivery.quarantine_reason == "spam"
    parsed = parse_email(delivery.raw)
    assert (parsed.message_id, parsed.references) == ("pm-1@mail.example.com", ["ticket-3.a@help.example.com"])
    assert [(a.filename, a.content_id, a.inline) for a in parsed.attachments] == [("p.png", "p.png@01CE", True)]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[]", "not a JSON object"),
        (_bytes({"To": "x@y"}), "no From"),
        (_bytes({"From": 5}), "must be a string"),
        (_bytes(_minimal(Headers={"Name": "x"})), "must be a list"),
        (_bytes(_minimal(Headers=["x"])), "Headers must be"),
        (_bytes(_minimal(Attachments=[{"Name": "a", "Content": "%%%"}])), "base64"),
        (_bytes(_minimal(Attachments=[7])), "Attachments must be"),
        (_bytes(_minimal(FromFull=[])), "must be an object"),
    ],
)
def test_bad_payloads_are_invalid_input(payload: bytes, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        postmark_delivery(payload)


def test_basic_auth() -> None:
    verify_postmark("Basic " + base64.b64encode(b"pm:pw").decode(), "pm:pw")
    with pytest.raises(InvalidSignature):
        verify_postmark("Basic " + base64.b64encode(b"pm:pw2").decode(), "pm:pw")
    with pytest.raises(InvalidSignature, match="not configured"):
        verify_postmark("Basic " + base64.b64encode(b":").decode(), "")
