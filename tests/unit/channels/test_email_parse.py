"""parse_email on hand-written mail: charsets, encoded headers, bodies, attachments, broken input."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta

import pytest

from helpdesk.channels.email.parse import parse_email


def mail(headers: str, body: bytes = b"Hello\n", *, content_type: str | None = None) -> bytes:
    head = "From: Jane <jane@example.com>\nTo: help@example.com\nSubject: Hi\nMessage-ID: <m1@example.com>\n"
    if content_type:
        head += f"MIME-Version: 1.0\nContent-Type: {content_type}\n"
    return (head + headers).encode("ascii") + b"\n" + body


@pytest.mark.parametrize(
    ("charset", "encoded", "expected"),
    [
        ("EUC-KR", "안녕하세요".encode("euc-kr"), "안녕하세요"),
        ("ISO-2022-JP", "こんにちは".encode("iso2022_jp"), "こんにちは"),
        ("windows-1251", "Привет".encode("cp1251"), "Привет"),
        ("windows-1252", "café “quoted”".encode("cp1252"), "café “quoted”"),
        ("UTF-7", "Grüße".encode("utf-7"), "Grüße"),
        ("X-UNKNOWN", "Grüße".encode(), "Grüße"),
        ("unknown-8bit", "Grüße".encode("cp1252"), "Grüße"),
        ("us-ascii", "naïve".encode(), "naïve"),  # mislabelled UTF-8
        ("utf-8", "naïve".encode("latin-1"), "naïve"),  # mislabelled Latin-1
        ("rot13", b"plain", "plain"),  # a codec that is not a charset
        ("iso-8859-1", "10 € \u2013 “ok”".encode("cp1252"), "10 € \u2013 “ok”"),  # Latin-1 labels hold Windows-1252
        ("ISO-8859-1", b"odd \x81 byte \xe9", "odd \x81 byte é"),  # undefined in 1252: kept as Latin-1
        ("ks_c_5601-1987", "똠방각하".encode("cp949"), "똠방각하"),  # Outlook's Korean label
        ("shift_jis", "①髙".encode("cp932"), "①髙"),  # Windows extensions under the plain label
        ("gb2312", "镕".encode("gb18030"), "镕"),
    ],
)
def test_body_charsets_decode_or_degrade(charset: str, encoded: bytes, expected: str) -> None:
    raw = mail("Content-Transfer-Encoding: 8bit\n", encoded + b"\n", content_type=f"text/plain; charset={charset}")
    assert parse_email(raw).text.strip() == expected


def test_base64_body_in_euc_kr() -> None:
    body = base64.b64encode("고객 지원".encode("euc-kr")) + b"\n"
    raw = mail("Content-Transfer-Encoding: base64\n", body, content_type='text/plain; charset="euc-kr"')
    assert parse_email(raw).text.strip() == "고객 지원"


def test_encoded_word_headers() -> None:
    raw = (
        b"From: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>\n"
        b'To: =?utf-8?b?w4lsb2RpZQ==?= <elodie@example.com>, "Doe, John" <john@example.com>\n'
        b"Cc: =?x-unknown?q?Gr=FC=DFe?= <g@example.com>\n"
        b"Subject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?= and =?utf-8?q?caf=C3=A9?=\n"
        b"Message-ID: <a@b>\n\nbody\n"
    )
    parsed = parse_email(raw)
    assert parsed.from_ is not None
    assert (parsed.from_.name, parsed.from_.address) == ("André Pirard", "pirard@vm1.ulg.ac.be")
    assert [(a.name, a.address) for a in parsed.to] == [
        ("Élodie", "elodie@example.com"),
        ("Doe, John", "john@example.com"),
    ]
    assert parsed.cc[0].name == "Grüße"
    assert parsed.subject == "こんにちは and café"


def test_raw_8bit_headers_degrade() -> None:
    raw = "From: Jörg <jorg@example.com>\nSubject: Größe\nMessage-ID: <a@b>\n\nx\n".encode("latin-1")
    parsed = parse_email(raw)
    assert parsed.subject == "Größe"
    assert parsed.from_ is not None and parsed.from_.name == "Jörg"


def test_malformed_headers_degrade() -> None:
    raw = mail("Date: yesterday at noon\nCc: <<<@@@>>>, ,\nReply-To: not an address\n").replace(
        b"To: help@example.com", b"To: help@example.com www.example.com"
    )
    parsed = parse_email(raw)
    assert parsed.date is None
    assert parsed.cc == [] and parsed.reply_to == []
    assert [a.address for a in parsed.to] == ["help@example.com"]


def test_dates_are_timezone_aware() -> None:
    assert parse_email(mail("Date: Mon, 1 Jan 2024 10:00:00 +0200\n")).date == datetime(2024, 1, 1, 8, 0, tzinfo=UTC)
    naive = parse_email(mail("Date: Mon, 1 Jan 2024 10:00:00 -0000\n")).date
    assert naive is not None and naive.utcoffset() == timedelta(0)


def test_rfc2231_and_rfc2047_filenames() -> None:
    body = (
        b"--XX\nContent-Type: text/plain\n\nsee files\n"
        b"--XX\nContent-Type: application/pdf\n"
        b"Content-Disposition: attachment; filename*0*=UTF-8''%E2%82%AC%20ra; filename*1=\"tes.pdf\"\n\n%PDF\n"
        b'--XX\nContent-Type: application/pdf; name="=?ISO-8859-1?Q?caf=E9.pdf?="\n'
        b"Content-Disposition: attachment\n\n%PDF\n"
        b"--XX\nContent-Type: application/pdf\n"
        b"Content-Disposition: attachment; filename*=iso-8859-1'fr'd%E9j%E0.pdf\n\n%PDF\n"
        b'--XX\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="caf\xe9.pdf"\n\n%PDF\n'
        b'--XX\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="../../etc/passwd"\n\nx\n'
        b"--XX--\n"
    )
    parsed = parse_email(mail("", body, content_type='multipart/mixed; boundary="XX"'))
    assert [a.filename for a in parsed.attachments] == ["€ rates.pdf", "café.pdf", "déjà.pdf", "café.pdf", "passwd"]
    assert parsed.text.strip() == "see files"


def test_html_only_mail_gets_a_text_body() -> None:
    html = (
        b"<html><head><style>p {color: red}</style><script>alert('x')</script></head>"
        b"<body><p>Hello&nbsp;&amp; welcome</p><div>Line one<br>Line two</div></body></html>"
    )
    parsed = parse_email(mail("", html, content_type="text/html; charset=utf-8"))
    assert parsed.html is not None and "<p>" in parsed.html
    assert parsed.text == "Hello & welcome\n\nLine one\nLine two"
    assert parsed.reply_text == parsed.text


def test_alternative_keeps_both_bodies_and_trims_reply() -> None:
    body = (
        b"--A\nContent-Type: text/plain; charset=utf-8\n\n"
        b"Yes.\n\nOn Mon, Jan 1, 2024 at 9:00 AM Help <help@example.com> wrote:\n> Q?\n"
        b"--A\nContent-Type: text/html; charset=utf-8\n\n<p>Yes.</p>\n--A--\n"
    )
    parsed = parse_email(mail("", body, content_type='multipart/alternative; boundary="A"'))
    assert parsed.reply_text == "Yes."
    assert "wrote:" in parsed.text
    assert parsed.html is not None and "<p>Yes.</p>" in parsed.html


def test_inline_images_nameless_parts_and_attached_messages() -> None:
    inner = b"From: a@example.com\nSubject: Original\nMessage-ID: <inner@example.com>\n\ninner body\n"
    body = (
        b'--R\nContent-Type: text/html\n\n<img src="cid:img1@x">\n'
        b"--R\nContent-Type: image/png\nContent-ID: <img1@x>\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n"
        b"--R\nContent-Type: application/octet-stream\n\n\x00\x01\n"
        b"--R\nContent-Type: message/rfc822\n\n" + inner + b"--R--\n"
    )
    parsed = parse_email(mail("", body, content_type='multipart/related; boundary="R"'))
    image, blob, message = parsed.attachments
    assert (image.inline, image.content_id, image.filename, image.size) == (True, "img1@x", "attachment-1.png", 8)
    assert (blob.inline, blob.filename) == (False, "attachment-2.bin")
    assert (message.content_type, message.filename) == ("message/rfc822", "Original.eml")
    assert b"inner body" in message.data
    assert parsed.to_json()["attachments"][0] == {
        "filename": "attachment-1.png",
        "content_type": "image/png",
        "size": 8,
        "sha256": image.sha256,
        "inline": True,
        "content_id": "img1@x",
    }


def test_missing_message_id_gets_a_stable_synthetic_id() -> None:
    raw = b"From: a@example.com\nSubject: no id\n\nbody\n"
    first, second = parse_email(raw), parse_email(raw)
    assert first.message_id == second.message_id
    assert first.message_id.startswith("sha256-") and first.message_id.endswith("@missing.invalid")
    assert parse_email(raw + b"x").message_id != first.message_id


def test_message_id_without_brackets_and_references_order() -> None:
    raw = b"Message-ID: bare-id@example.com\nIn-Reply-To: <p2@x>\nReferences: <p0@x>\n <p1@x> <p2@x>\n\nb\n"
    parsed = parse_email(raw)
    assert parsed.message_id == "bare-id@example.com"
    assert parsed.in_reply_to == "p2@x"
    assert parsed.references == ["p0@x", "p1@x", "p2@x"]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe" * 100,
        b"\n\n\n",
        b"Content-Type: multipart/mixed; boundary=Z\n\n--Z\nContent-Type: text/plain\n\nunterminated",
        b'Content-Type: text/plain; charset="\nContent-Transfer-Encoding: base64\n\n!!!not base64***\n',
        b"Content-Type: multipart/mixed\n\nno boundary given\n",
        b"Content-Type: message/rfc822\n\nnot really a message",
        b'From: "unterminated <a@b\nTo: ,,,@,,\nDate: 99 Foo 99999 99:99:99\nSubject: =?utf-8?b?####?=\n\nx',
        b"Content-Type: multipart/mixed; boundary=a\n\n" + b"--a\nContent-Type: multipart/mixed; boundary=a\n\n" * 200,
    ],
)
def test_garbage_never_raises(raw: bytes) -> None:
    parsed = parse_email(raw)
    assert parsed.message_id
    parsed.to_json()


def test_random_bytes_never_raise() -> None:
    rng = random.Random(1234)
    for _ in range(200):
        parse_email(bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 400))))


def test_loop_marker_is_read() -> None:
    parsed = parse_email(mail("X-Helpdesk-Loop: acme-123\n"))
    assert parsed.loop_marker == "acme-123"
    assert parse_email(mail("")).loop_marker is None


def test_a_mail_without_from_is_attributed_to_its_sender_then_its_reply_to() -> None:
    body = b"Subject: no from\r\n{}\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
    sender = parse_email(body.replace(b"{}", b"Sender: Bob <bob@example.org>\r\nReply-To: r@example.org"))
    assert (sender.from_.name, sender.from_.address) == ("Bob", "bob@example.org")  # type: ignore[union-attr]
    reply_to = parse_email(body.replace(b"{}", b"Reply-To: r@example.org\r\nReturn-Path: <bounce@relay.example>"))
    assert reply_to.from_ is not None and reply_to.from_.address == "r@example.org"
    assert (sender.from_source, reply_to.from_source) == ("sender", "reply-to")
    nobody = parse_email(body.replace(b"{}", b"Return-Path: <bounce@relay.example>"))
    assert nobody.from_ is not None and nobody.from_.address == "bounce@relay.example"  # the last resort,
    assert nobody.from_source == "return-path" and nobody.to_json()["from_source"] == "return-path"  # said so
    assert nobody.kind == "normal"
    both = parse_email(body.replace(b"{}", b"From: a@example.org\r\nSender: list@example.org"))
    assert both.from_ is not None and both.from_.address == "a@example.org"


@pytest.mark.parametrize(("declared", "body", "text", "files"), [
    ("multipart/mixed; boundary=Z",  # the header names a boundary the body never uses
     b"--B\nContent-Type: text/plain\n\nhello\n--B\nContent-Type: application/pdf; name=a.pdf\n"
     b"Content-Transfer-Encoding: base64\n\nJVBERg==\n--B--\n", "hello", ["a.pdf"]),
    ("multipart/mixed", b"no boundary at all, just text\n", "no boundary at all, just text", []),
    ("multipart/alternative; boundary=Z", b"plain words only\n", "plain words only", []),
])
def test_a_multipart_whose_boundary_is_wrong_is_still_read(declared: str, body: bytes, text: str,
                                                           files: list[str]) -> None:
    parsed = parse_email(mail("", body, content_type=declared))
    assert parsed.text.strip() == text
    assert [a.filename for a in parsed.attachments] == files


def test_an_address_hidden_in_an_encoded_word_is_found() -> None:
    parsed = parse_email(b"From: =?utf-8?Q?Ann_=3Cann@x.example=3E?=\r\nSubject: t\r\n\r\nbody\r\n")
    assert parsed.from_ is not None and (parsed.from_.name, parsed.from_.address) == ("Ann", "ann@x.example")


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-11-23T10:00:00Z", "2026-11-23T10:00:00+00:00"),  # ISO 8601 from scripts
    ("2026-11-23 10:00:00+01:00", "2026-11-23T10:00:00+01:00"),
    ("Mon, 23 Nov 2026 10:00:00 +0100", "2026-11-23T10:00:00+01:00"),
])
def test_dates_in_rfc_5322_or_iso_8601(value: str, expected: str) -> None:
    parsed = parse_email(f"From: a@b.example\r\nDate: {value}\r\n\r\nx".encode())
    assert parsed.date is not None and parsed.date.isoformat() == expected


@pytest.mark.parametrize("header", ["From", "To", "Cc", "Reply-To"])
def test_deeply_nested_comments_in_an_address_header_keep_the_mail_readable(header: str) -> None:
    """Comments nested deeper than the stdlib parser's recursion allow are dropped, not the whole mail."""
    fields = {"From": "Dana <dana@c.example>", "To": "help@example.com", "Cc": "ann@example.com",
              "Reply-To": "dana@c.example"}
    fields[header] += " " + "(" * 600 + "x" + ")" * 600
    raw = "".join(f"{name}: {value}\r\n" for name, value in fields.items()) + "Subject: Hi\r\n\r\nHello\r\n"
    parsed = parse_email(raw.encode())
    assert parsed.from_ is not None and parsed.from_.address == "dana@c.example"
    assert (parsed.subject, [a.address for a in parsed.cc]) == ("Hi", ["ann@example.com"])
