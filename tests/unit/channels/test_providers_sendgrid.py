"""SendGrid Inbound Parse: the corpus posts in raw and parsed mode, basic auth on the Parse URL, verdicts."""

from __future__ import annotations

import base64
import json

import pytest

from helpdesk.channels.email.parse import parse_email
from helpdesk.channels.email.providers.formdata import FormValue, encode_form_data
from helpdesk.channels.email.providers.sendgrid import sendgrid_delivery, verify_sendgrid
from helpdesk.domain.errors import InvalidInput, InvalidSignature
from tests.support import corpus

CONTENT_TYPE = "multipart/form-data; boundary=xYzZY"


def _post(name: str) -> bytes:
    return corpus("providers", "sendgrid", name).read_bytes()


# file, expected subject, attachments (name, size)
CASES = [
    ("default_data.txt", "Testing non-raw", []),
    ("raw_data.txt", "Inbound Parse Test Raw Data", []),
    ("raw_data_with_attachments.txt", "Inbound Parse Test Raw Data with Attachment", [("SendGrid.jpg", 10295)]),
]


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "subject", "attachments"), CASES)
@pytest.mark.parametrize("crlf", [False, True])
def test_corpus_posts_become_deliveries(name: str, subject: str, attachments: list[tuple[str, int]],
                                       crlf: bool) -> None:
    body = _post(name)
    if crlf:  # the corpus is stored with bare newlines; SendGrid itself posts CRLF
        body = body.replace(b"\n", b"\r\n")
    delivery = sendgrid_delivery(body, CONTENT_TYPE)
    assert delivery.provider == "sendgrid"
    assert delivery.verdicts == {"spf": "PASS", "dkim": "PASS"}
    assert delivery.recipients and delivery.recipients[0].startswith("inbound@inbound.")
    assert not delivery.spoofed and delivery.quarantine_reason is None
    parsed = parse_email(delivery.raw)
    assert parsed.from_ is not None and parsed.from_.address == "test@example.com"
    assert parsed.subject == subject
    assert parsed.text.strip() == "Hello Twilio SendGrid!"
    assert [(a.filename, a.size) for a in parsed.attachments] == attachments
    if attachments:
        assert parsed.attachments[0].data.startswith(b"\xff\xd8\xff")  # a JPEG, decoded byte for byte


def _parsed_post(**extra: str) -> list[FormValue]:
    fields = {
        "headers": "Message-ID: <sg-1@mail.example.com>\nIn-Reply-To: <ticket-7.x@help.example.com>\n"
        "Content-Type: multipart/mixed; boundary=zz\nSubject: ignored\n",
        "from": "Zoë <zoe@example.com>",
        "to": "help@example.com",
        "subject": "Ünïcode [#7]",
        "text": "Body text",
        "envelope": json.dumps({"to": ["Help@Example.com"], "from": "zoe@example.com"}),
        "charsets": json.dumps({"subject": "UTF-8", "from": "UTF-8", "text": "iso-8859-1"}),
        "attachment-info": json.dumps({"attachment1": {"filename": "a.txt", "type": "text/plain",
                                                       "content-id": "cid1"}}),
        **extra,
    }
    return [FormValue(name, value.encode("utf-8")) for name, value in fields.items()]


def test_parsed_mode_rebuilds_with_threading_headers_and_files() -> None:
    values = [*_parsed_post(SPF="softfail", dkim="{@a.com : fail, @b.com : fail}", spam_score="7.3"),
              FormValue("attachment1", b"file\r\nbytes", filename="a.txt", content_type="text/plain")]
    body, content_type = encode_form_data(values)
    delivery = sendgrid_delivery(body, content_type)
    assert delivery.recipients == ["help@example.com"]
    assert delivery.verdicts == {"spf": "SOFTFAIL", "dkim": "FAIL", "spam": "FAIL"}
    assert delivery.quarantine_reason == "spam"
    parsed = parse_email(delivery.raw)
    assert (parsed.message_id, parsed.in_reply_to) == ("sg-1@mail.example.com", "ticket-7.x@help.example.com")
    assert parsed.subject == "Ünïcode [#7]"
    assert parsed.from_ is not None and parsed.from_.name == "Zoë"
    assert [(a.filename, a.data, a.content_id) for a in parsed.attachments] == [("a.txt", b"file\r\nbytes", "cid1")]


def test_dkim_and_spam_score_variants() -> None:
    body, content_type = encode_form_data(_parsed_post(dkim="{@a.com : fail, @b.com : pass}", spam_score="1.2"))
    assert sendgrid_delivery(body, content_type).verdicts == {"dkim": "PASS", "spam": "PASS"}
    body, content_type = encode_form_data(_parsed_post(dkim="none", spam_score="nan"))
    assert sendgrid_delivery(body, content_type).verdicts == {"dkim": "NONE"}


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"from": ""}, "neither an email nor a from"),
        ({"envelope": "{not json"}, "not valid JSON"),
        ({"envelope": json.dumps({"to": "x@y"})}, "must be a list"),
        ({"charsets": "[]"}, "not a JSON object"),
        ({"email": "  "}, "empty email"),
    ],
)
def test_bad_posts_are_invalid_input(extra: dict[str, str], reason: str) -> None:
    body, content_type = encode_form_data(_parsed_post(**extra))
    with pytest.raises(InvalidInput, match=reason):
        sendgrid_delivery(body, content_type)


def test_basic_auth() -> None:
    good = "Basic " + base64.b64encode(b"parse:s3cret").decode()
    verify_sendgrid(good, "parse:s3cret")
    verify_sendgrid("basic  " + base64.b64encode(b"parse:s3cret").decode(), "parse:s3cret")
    for header in (None, "", "Bearer x", "Basic", "Basic !!!", "Basic " + base64.b64encode(b"parse:wrong").decode()):
        with pytest.raises(InvalidSignature):
            verify_sendgrid(header, "parse:s3cret")
    with pytest.raises(InvalidSignature, match="not configured"):
        verify_sendgrid(good, "")
