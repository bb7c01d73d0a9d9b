"""compose_email round-trips through parse_email; ticket tokens in Message-IDs and subjects."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from helpdesk.channels.email.compose import (
    LOOP_HEADER,
    compose_email,
    make_message_id,
    subject_ticket_token,
    ticket_id_from_message_id,
)
from helpdesk.channels.email.message import Address
from helpdesk.channels.email.parse import parse_email
from helpdesk.domain.mailboxes import clean_text

DOMAIN = "help.example.com"


def test_make_message_id_and_parse_it_back() -> None:
    message_id = make_message_id(1234, "01HZX9", DOMAIN)
    assert message_id == "<ticket-1234.01HZX9@help.example.com>"
    assert ticket_id_from_message_id(message_id) == 1234
    assert ticket_id_from_message_id(message_id.strip("<>")) == 1234
    assert ticket_id_from_message_id(message_id, DOMAIN) == 1234
    assert ticket_id_from_message_id(message_id, "HELP.example.com") == 1234
    assert ticket_id_from_message_id(message_id, "other.example.com") is None
    assert ticket_id_from_message_id("<CAFkiBVz@mail.gmail.com>") is None
    assert ticket_id_from_message_id("") is None


def test_make_message_id_keeps_the_id_valid() -> None:
    message_id = make_message_id(5, "a b<c>@d", DOMAIN)
    assert " " not in message_id and message_id.count("@") == 1
    assert ticket_id_from_message_id(message_id, DOMAIN) == 5


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: [#1234] Printer on fire", 1234),
        ("AW: Printer [#77]", 77),
        ("[# 9 ] spaced", 9),
        ("Printer #1234", None),
        ("[1234] Printer", None),
        ("", None),
    ],
)
def test_subject_ticket_token(subject: str, expected: int | None) -> None:
    assert subject_ticket_token(subject) == expected


def test_compose_then_parse_round_trip() -> None:
    message_id = make_message_id(42, "u1", DOMAIN)
    raw = compose_email(
        sender=Address(name="Ünïcode Support", address="support@help.example.com"),
        to=[Address(name="Zoë Doe", address="zoe@example.com")],
        cc=[Address(name="", address="boss@example.com")],
        subject="[#42] Votre imprimante — réparée ✓",
        text="Bonjour Zoë,\n\nC'est réparé.\n",
        html="<p>Bonjour Zoë,</p><p>C'est réparé.</p>",
        message_id=message_id,
        in_reply_to="<CAF123@mail.gmail.com>",
        references=["first@example.com", "<CAF123@mail.gmail.com>"],
        auto_generated=True,
        loop_value="help.example.com:42",
        attachments=[("relevé.pdf", "application/pdf", b"%PDF-1.4 data")],
        date=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
    )
    assert raw.isascii()
    assert b"\r\n" in raw
    assert b"Auto-Submitted: auto-generated" in raw
    assert b"X-Auto-Response-Suppress: All" in raw
    assert b"References: <first@example.com> <CAF123@mail.gmail.com>" in raw

    parsed = parse_email(raw)
    assert parsed.message_id == "ticket-42.u1@help.example.com"
    assert ticket_id_from_message_id(parsed.message_id, DOMAIN) == 42
    assert parsed.in_reply_to == "CAF123@mail.gmail.com"
    assert parsed.references == ["first@example.com", "CAF123@mail.gmail.com"]
    assert parsed.from_ == Address(name="Ünïcode Support", address="support@help.example.com")
    assert parsed.to == [Address(name="Zoë Doe", address="zoe@example.com")]
    assert parsed.cc == [Address(name="", address="boss@example.com")]
    assert parsed.subject == "[#42] Votre imprimante — réparée ✓"
    assert subject_ticket_token(parsed.subject) == 42
    assert parsed.date == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert parsed.text == "Bonjour Zoë,\n\nC'est réparé.\n"
    assert parsed.html is not None and "<p>Bonjour Zoë,</p>" in parsed.html
    assert [(a.filename, a.content_type, a.data) for a in parsed.attachments] == [
        ("relevé.pdf", "application/pdf", b"%PDF-1.4 data")
    ]
    assert parsed.kind == "auto_reply"
    assert parsed.auto_submitted
    assert parsed.loop_marker == "help.example.com:42"


def test_plain_compose_has_no_automation_headers() -> None:
    raw = compose_email(
        sender=Address(name="Agent", address="agent@help.example.com"),
        to=[Address(name="", address="jane@example.com")],
        subject="Hello",
        text="Hi",
        message_id=make_message_id(1, "x", DOMAIN),
    )
    assert b"Auto-Submitted" not in raw
    assert LOOP_HEADER.encode() not in raw
    assert b"In-Reply-To" not in raw
    parsed = parse_email(raw)
    assert parsed.kind == "normal"
    assert parsed.date is not None and parsed.date.tzinfo is not None


INJECTIONS = ["Eve\r\nBcc: x@evil.example", "Eve\nBcc: x@evil.example", "Eve\rBcc: x@evil.example",
              "Eve\x00\x0b\x0cBcc: x@evil.example", "Eve\u2028Bcc: x@evil.example", "Eve\x85Bcc: x@evil.example",
              "Eve\r\n\r\nBody takeover"]


def _header_names(raw: bytes) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return [line.split(":", 1)[0].lower() for line in head.split("\r\n") if line and line[0] not in " \t"]


@pytest.mark.parametrize("evil", INJECTIONS)
def test_names_subjects_and_file_names_cannot_add_headers(evil: str) -> None:
    raw = compose_email(
        sender=Address(name=evil, address="support@help.example.com"),
        to=[Address(name=evil, address="eve@example.com")], cc=[Address(name=evil, address="cc@example.com")],
        subject=f"Re: {evil} [#7]", text="Hello", message_id=make_message_id(7, "x", DOMAIN),
        attachments=[(f"{evil}.pdf", "application/pdf", b"%PDF")])
    assert _header_names(raw) == ["from", "to", "cc", "subject", "date", "message-id", "mime-version",
                                  "content-type"]
    parsed = parse_email(raw)
    one_line = clean_text(evil)
    assert "\n" not in one_line and "\r" not in one_line
    assert parsed.to == [Address(name=one_line, address="eve@example.com")]
    assert parsed.subject.startswith("Re: Eve ") and parsed.subject.endswith(" [#7]")
    assert "\n" not in parsed.subject and "\r" not in parsed.subject
    assert [a.filename for a in parsed.attachments] == [f"{one_line}.pdf"]
    assert parsed.text.strip() == "Hello"


def test_a_domain_with_non_ascii_labels_is_written_idna_encoded() -> None:
    raw = compose_email(sender=Address(name="Support", address="support@help.example.com"),
                        to=[Address(name="Dana", address="dana@bücher.example")], subject="Hi", text="Hi",
                        message_id=make_message_id(1, "x", DOMAIN))
    assert raw.isascii()
    assert b"To: Dana <dana@xn--bcher-kva.example>" in raw
    assert parse_email(raw).to == [Address(name="Dana", address="dana@xn--bcher-kva.example")]


def test_a_local_part_that_needs_smtputf8_is_refused_with_the_reason() -> None:
    from helpdesk.domain.errors import InvalidInput

    with pytest.raises(InvalidInput, match="needs SMTPUTF8"):
        compose_email(sender=Address(name="Support", address="support@help.example.com"),
                      to=[Address(name="Dana", address="dañ\u0430@customer.example")], subject="Hi", text="Hi",
                      message_id=make_message_id(1, "x", DOMAIN))
