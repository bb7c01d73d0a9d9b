"""Rebuilt mails keep threading and loop headers and parse back to the provider's fields."""

from __future__ import annotations

from collections.abc import Sequence
from email import message_from_bytes, policy

from helpdesk.channels.email.parse import parse_email
from helpdesk.channels.email.providers.rebuild import Attachment, rebuild_mime

ORIGINAL_HEADERS = (
    "MIME-Version: 1.0\r\n"
    "Received: by mx.example.com; Wed, 10 Aug 2016 18:10:13 -0700\r\n"
    "Message-ID: <reply-1@mail.example.com>\r\n"
    "In-Reply-To: <ticket-42.abc@help.example.com>\r\n"
    "References: <first@mail.example.com>\r\n <ticket-42.abc@help.example.com>\r\n"
    "Date: Wed, 10 Aug 2016 18:10:13 -0700\r\n"
    "Auto-Submitted: auto-replied\r\n"
    "Precedence: bulk\r\n"
    "List-Id: <support.example.com>\r\n"
    "X-Helpdesk-Loop: help.example.com\r\n"
    "From: Old Sender <old@example.com>\r\n"
    "Subject: old subject\r\n"
    "Content-Type: multipart/alternative; boundary=gone\r\n"
    "Content-Transfer-Encoding: 7bit\r\n"
)


DEFAULT_FILES: list[Attachment] = [
    ("résumé.pdf", "application/pdf", b"%PDF-\x00\xff\r\n", None),
    ("logo.png", "image/png; name=logo.png", b"\x89PNG\r\n", "<logo@x>"),
]


def _rebuild(
    *,
    headers: Sequence[tuple[str, str]] | str | None = ORIGINAL_HEADERS,
    from_: str = "Jöhn Doe <John@Example.com>",
    to: str = "help@example.com",
    cc: str | None = '"Smith, Ann" <ann@example.com>',
    subject: str = "Re: Hélp [#42]",
    text: str | None = "Thanks!\n\nOn Monday you wrote:\n> old",
    html: str | None = "<p>Thanks!</p>",
    attachments: Sequence[Attachment] = tuple(DEFAULT_FILES),
) -> bytes:
    return rebuild_mime(headers=headers, from_=from_, to=to, cc=cc, subject=subject, text=text, html=html,
                        attachments=attachments)


def test_round_trip_to_the_same_fields_and_threading_headers() -> None:
    parsed = parse_email(_rebuild())
    assert parsed.from_ is not None
    assert (parsed.from_.name, parsed.from_.address) == ("Jöhn Doe", "john@example.com")
    assert parsed.subject == "Re: Hélp [#42]"
    assert parsed.text.strip() == "Thanks!\n\nOn Monday you wrote:\n> old"
    assert parsed.html is not None and "<p>Thanks!</p>" in parsed.html
    assert parsed.message_id == "reply-1@mail.example.com"
    assert parsed.in_reply_to == "ticket-42.abc@help.example.com"
    assert parsed.references == ["first@mail.example.com", "ticket-42.abc@help.example.com"]
    assert parsed.date is not None and parsed.date.year == 2016
    assert [a.address for a in parsed.cc] == ["ann@example.com"]
    assert parsed.loop_marker == "help.example.com"
    assert parsed.auto_submitted
    files = {a.filename: a for a in parsed.attachments}
    assert files["résumé.pdf"].data == b"%PDF-\x00\xff\r\n"
    assert files["logo.png"].data == b"\x89PNG\r\n"
    assert (files["logo.png"].content_id, files["logo.png"].inline) == ("logo@x", True)
    assert files["logo.png"].content_type == "image/png"


def test_replaced_headers_appear_once_and_others_are_kept() -> None:
    message = message_from_bytes(_rebuild(), policy=policy.compat32)
    assert message.get_all("From") == ["=?utf-8?b?SsO2aG4gRG9l?= <John@Example.com>"]
    assert len(message.get_all("Subject") or []) == 1
    assert message.get_all("Content-Type") == [message["Content-Type"]]
    assert message.get_content_type() == "multipart/mixed"
    for name in ("Received", "Auto-Submitted", "Precedence", "List-Id"):
        assert message[name], name


def test_same_fields_give_the_same_bytes() -> None:
    assert _rebuild() == _rebuild()
    assert _rebuild() != _rebuild(text="other")


def test_pair_headers_html_only_and_no_headers() -> None:
    raw = _rebuild(headers=[("Message-Id", "<pair@x>"), ("X-Test", "one"), ("bad name", "dropped")], text=None)
    parsed = parse_email(raw)
    assert parsed.message_id == "pair@x"
    assert parsed.text.strip() == "Thanks!"
    assert b"bad name" not in raw
    bare = parse_email(_rebuild(headers=None, html=None, attachments=[], cc=None))
    assert bare.message_id.endswith("@missing.invalid")
    assert bare.cc == []


def test_header_values_cannot_inject_headers() -> None:
    raw = _rebuild(
        headers=[("X-Evil", "a\r\nBcc: victim@example.com")],
        subject="hi\r\nBcc: victim@example.com",
        from_="x@example.com\nBcc: victim@example.com",
    )
    message = message_from_bytes(raw, policy=policy.compat32)
    assert message["Bcc"] is None


def test_odd_inputs_degrade() -> None:
    raw = _rebuild(
        from_="not an address",
        to="",
        subject="\ud800 lone surrogate",
        text="x" * 5000 + "\ud83d",
        attachments=[
            ("", "multipart/mixed", b"--x\r\n", None),
            ("fwd.eml", "message/rfc822", b"Subject: in\r\n\r\nb", None),
            ("n.bin", "not a type", b"\x00", "bad cid with spaces"),
        ],
    )
    parsed = parse_email(raw)
    assert parsed.subject == "\ufffd lone surrogate"
    assert parsed.text.startswith("x" * 5000)
    types = [a.content_type for a in parsed.attachments]
    assert types == ["application/octet-stream", "message/rfc822", "application/octet-stream"]
    long_refs = " ".join(f"<id{i}@example.com>" for i in range(200))
    raw = _rebuild(headers=[("References", long_refs)])
    assert max(len(line) for line in raw.split(b"\r\n")) < 998
    assert len(parse_email(raw).references) == 200


def test_forwarded_mail_is_embedded_byte_for_byte() -> None:
    forwarded = "Subject: Fwd\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nGrüße\r\n".encode()
    raw = _rebuild(attachments=[("fwd.eml", "message/rfc822", forwarded, None)])
    assert forwarded in raw
    parsed = parse_email(raw)
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [("fwd.eml", "message/rfc822")]
    assert "Grüße".encode() in parsed.attachments[0].data


def test_deeply_nested_comments_in_addresses_neither_crash_nor_lose_the_address() -> None:
    """The stdlib's address parser recurses once per nested comment (RecursionError near 500 levels); a provider's
    ``from`` field of 500 "(" is a field like any other."""
    raw = _rebuild(from_="(" * 500, to="help@example.com " + "(" * 2000,
                   cc="Ann (a" + "(" * 800 + ") <ann@example.com>")
    parsed = parse_email(raw)
    assert [a.address for a in parsed.to] == ["help@example.com"]
    assert [a.address for a in parsed.cc] == ["ann@example.com"]
