"""Kind detection: bounces, auto-replies and list mail, in that order of precedence."""

from __future__ import annotations

import pytest

from helpdesk.channels.email.parse import parse_email


def mail(headers: str = "", subject: str = "Question", sender: str = "Jane <jane@example.com>") -> bytes:
    return (
        f"From: {sender}\nTo: help@example.com\nSubject: {subject}\nMessage-ID: <m@example.com>\n{headers}\nBody\n"
    ).encode()


@pytest.mark.parametrize(
    "headers",
    [
        "Auto-Submitted: auto-replied\n",
        "Auto-Submitted: auto-generated; owner-email=x@example.com\n",
        "X-Autoreply: yes\n",
        "X-Autorespond: Out of office\n",
        "Precedence: bulk\n",
        "Precedence: junk\n",
        "Precedence: auto_reply\n",
        "X-Auto-Response-Suppress: All\n",
        "X-Auto-Response-Suppress: OOF\n",
    ],
)
def test_auto_reply_headers(headers: str) -> None:
    parsed = parse_email(mail(headers))
    assert parsed.kind == "auto_reply"
    assert parsed.auto_submitted


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office: Question",
        "Automatic reply: [#12] Printer",
        "Autoreply: Question",
        "Auto-Reply: Question",
        "Abwesenheitsnotiz: Frage",
        "Réponse automatique : Question",
        "Respuesta automática: Pregunta",
        "Risposta automatica: Domanda",
        "Automatisch antwoord: Vraag",
        "RE: I am out of the office until Monday",
        "自动回复: 问题",
        "不在のお知らせ",
        "부재중 안내",
        "Jane Doe is out of the office.",
        "Out of office until Monday",
        "Abwesenheit bis 5.1.",
        "[OOO] your ticket",
        "AutoReply",
    ],
)
def test_vacation_subjects(subject: str) -> None:
    assert parse_email(mail(subject=subject)).kind == "auto_reply"


@pytest.mark.parametrize(
    "subject",
    [
        "Re: out of office question about my order",  # a customer writing about the feature, not a responder
        "How do I set up out of office replies?",
        "Fwd: automatic reply settings broken",
        "Vacation rental booking problem",
        "Re: OOO tickets in the queue",
        "不在着",
    ],
)
def test_subjects_that_only_mention_absence_are_people(subject: str) -> None:
    assert parse_email(mail(subject=subject)).kind == "normal"


def test_normal_mail_and_auto_submitted_no() -> None:
    parsed = parse_email(mail("Auto-Submitted: no\n", subject="Re: my office printer is broken"))
    assert parsed.kind == "normal"
    assert not parsed.auto_submitted
    assert parse_email(mail("X-Auto-Response-Suppress:\n")).kind == "normal"


@pytest.mark.parametrize(
    "headers",
    ["List-Id: <users.lists.example.com>\n", "List-Unsubscribe: <mailto:u@example.com>\n", "Precedence: list\n"],
)
def test_list_mail(headers: str) -> None:
    parsed = parse_email(mail(headers))
    assert parsed.kind == "list"
    assert not parsed.auto_submitted


def test_auto_reply_wins_over_list() -> None:
    assert parse_email(mail("List-Id: <l.example.com>\nAuto-Submitted: auto-replied\n")).kind == "auto_reply"


@pytest.mark.parametrize(
    ("headers", "subject", "sender"),
    [
        ("", "Hello", "MAILER-DAEMON@mx.example.net"),
        ("", "Hello", "Mail System <postmaster@example.net>"),
        ("Return-Path: <>\n", "Undeliverable: Question", "Jane <jane@example.com>"),
        ("Return-Path: <>\n", "Mail delivery failed: returning message to sender", "x@example.net"),
    ],
)
def test_bounce_senders_and_null_return_path(headers: str, subject: str, sender: str) -> None:
    parsed = parse_email(mail(headers, subject=subject, sender=sender))
    assert parsed.kind == "bounce"
    assert parsed.auto_submitted
    assert parsed.bounce is not None


def test_null_return_path_alone_is_automatic_but_not_a_bounce() -> None:
    """product.md lists Return-Path: <> among the signs of automatic mail (RFC 3834 responders use it); without
    a report, a daemon sender or a bounce subject it is not a bounce."""
    parsed = parse_email(mail("Return-Path: <>\n", subject="Hello"))
    assert (parsed.kind, parsed.bounce, parsed.auto_submitted) == ("auto_reply", None, True)
    assert parse_email(mail("Return-Path: <jane@example.com>\n", subject="Hello")).kind == "normal"


def test_delivery_status_notification_with_returned_headers() -> None:
    raw = (
        b"From: Mail Delivery System <mailer@mx.example.net>\nTo: help@example.com\nSubject: Returned\n"
        b"Auto-Submitted: auto-replied\nMessage-ID: <dsn@mx.example.net>\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        b"--B\nContent-Type: text/plain\n\nYour mail could not be delivered.\n"
        b"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
        b"Original-Recipient: rfc822;Someone@Example.org\nFinal-Recipient: rfc822; other@example.org\n"
        b"Action: failed\nStatus: 5.1.1 (user unknown)\n"
        b"--B\nContent-Type: text/rfc822-headers\n\nFrom: help@example.com\n"
        b"Message-ID: <ticket-42.abc@help.example.com>\nSubject: [#42] Printer\n"
        b"--B--\n"
    )
    parsed = parse_email(raw)
    assert parsed.kind == "bounce"
    assert parsed.bounce is not None
    assert parsed.bounce.original_message_id == "ticket-42.abc@help.example.com"
    assert parsed.bounce.recipient == "someone@example.org"
    assert parsed.bounce.status == "5.1.1"
    assert parsed.to_json()["bounce"] == {
        "original_message_id": "ticket-42.abc@help.example.com",
        "recipient": "someone@example.org",
        "status": "5.1.1",
        "temporary": False,
    }


def test_bounce_without_report_finds_the_message_id_in_the_text() -> None:
    raw = (
        mail("X-Failed-Recipients: gone@example.org\n", subject="failure notice", sender="MAILER-DAEMON@mx.example.net")
        + b"--- Original message follows.\nMessage-ID: <ticket-7.x@help.example.com>\n"
    )
    parsed = parse_email(raw)
    assert parsed.bounce is not None
    assert parsed.bounce.original_message_id == "ticket-7.x@help.example.com"
    assert parsed.bounce.recipient == "gone@example.org"


def test_read_receipt_is_automatic() -> None:
    raw = mail(
        'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=disposition-notification; boundary="B"\n'
    )
    assert parse_email(raw).kind == "auto_reply"
