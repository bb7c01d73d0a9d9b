"""Email from the whole world through the pipeline: each class of hard mail lands on the right ticket or on none,
and nothing automatic is ever answered (an acknowledgement trigger is active throughout)."""

from __future__ import annotations

import email
import json
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest

from tests.support import Pipeline, make_email, sample
from tests.unit.channels.test_email_world import ARF, FORWARDED, sns_mail


def _sent(to: str | None = None) -> list[EmailMessage]:
    from moto.ses.models import ses_backends

    mails = [email.message_from_string(m.raw_data, policy=policy.default)
             for m in ses_backends["123456789012"]["us-east-1"].sent_messages]
    return [m for m in mails if to is None or to in str(m["To"])]


def _tickets(p: Pipeline) -> list[dict[str, Any]]:
    return list(p.json("GET", "/api/v2/tickets.json")["tickets"])


def _comments(p: Pipeline, ticket_id: int) -> list[dict[str, Any]]:
    return list(p.json("GET", f"/api/v2/tickets/{ticket_id}/comments.json")["comments"])


@pytest.fixture
def desk(pipeline: Pipeline) -> Pipeline:
    """A desk that acknowledges every new ticket by mail, and one ticket from Dana, acknowledged."""
    pipeline.json("POST", "/api/v2/triggers.json", json.loads(sample("api_trigger_acknowledge.json")), expect=201)
    pipeline.email(make_email(message_id="first@customer.example", sender="dana@customer.example"))
    pipeline.dispatcher.drain()
    assert len(_sent("dana@customer.example")) == 1
    return pipeline


def _our_message_id(p: Pipeline) -> str:
    [ack] = _sent("dana@customer.example")
    return str(ack["Message-ID"]).strip("<>")


def _deliver(p: Pipeline, raw: bytes) -> None:
    before = len(_sent())
    p.email(raw)
    p.dispatcher.drain()
    assert len(_sent()) == before, "automatic mail was answered"


@pytest.mark.parametrize(("charset", "subject", "name"), [
    ("euc-kr", "주문한 상품이 아직 도착하지 않았습니다", "김민수"),
    ("gb2312", "我的订单还没有收到", "王小明"),
    ("shift_jis", "注文した商品がまだ届いていません", "山田太郎"),
])
def test_a_mail_with_raw_legacy_header_bytes_makes_a_ticket_with_its_subject_and_requester(
        desk: Pipeline, charset: str, subject: str, name: str) -> None:
    raw = (b"From: " + name.encode(charset) + b" <buyer@customer.example>\r\nTo: support@example.com\r\n"
           b"Subject: " + subject.encode(charset) + b"\r\nMessage-ID: <cjk-" + charset.encode() +
           b"@customer.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=" + charset.encode() +
           b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + subject.encode(charset) + b"\r\n")
    desk.email(raw)
    desk.dispatcher.drain()
    ticket = next(t for t in _tickets(desk) if t["id"] != 1)
    assert ticket["subject"] == subject
    requester = desk.deps().users.get(ticket["requester_id"])
    assert (requester.name, requester.email) == (name, "buyer@customer.example")
    assert len(_sent("buyer@customer.example")) == 1  # a person: acknowledged


def test_iso_2022_jp_and_a_damaged_header_block_make_a_ticket(desk: Pipeline) -> None:
    subject = "ご注文の確認"
    raw = (b"Received: from mx.customer.example\r\n\x93\x94 broken gateway line\r\n"
           b"From: Taro <taro@customer.example>\r\nTo: support@example.com\r\nSubject: " +
           subject.encode("iso2022_jp") + b"\r\nMessage-ID: <jp1@customer.example>\r\n"
           b"Content-Type: text/plain; charset=ISO-2022-JP\r\n\r\n" + "注文番号1234".encode("iso2022_jp") + b"\r\n")
    desk.email(raw)
    desk.dispatcher.drain()
    ticket = next(t for t in _tickets(desk) if t["id"] != 1)
    assert ticket["subject"] == subject and ticket["description"] == "注文番号1234"
    assert desk.deps().users.get(ticket["requester_id"]).email == "taro@customer.example"


def test_the_mailer_daemon_without_an_address_is_never_a_ticket(desk: Pipeline) -> None:
    _deliver(desk, b"From: MAILER-DAEMON <>\r\nTo: support@example.com\r\nSubject: failure notice\r\n"
                   b"Message-ID: <md@mx.example>\r\n\r\n"
                   b"I couldn't deliver your message to <gone@customer.example>.\r\n")
    assert len(_tickets(desk)) == 1


def test_an_arf_complaint_lands_on_its_ticket_and_nothing_automatic_goes_to_the_complainer(desk: Pipeline) -> None:
    ours = _our_message_id(desk)
    _deliver(desk, ARF.replace(b"ticket-42.abc@help.example.com", ours.encode()))
    [ticket] = _tickets(desk)
    notes = _comments(desk, ticket["id"])
    assert len(notes) == 2 and notes[1]["public"] is False and "reported this ticket's mail" in notes[1]["body"]
    dana = desk.deps().users.find_by_email("dana@customer.example")
    assert dana is not None and dana.complained and not dana.bouncing
    desk.email(make_email(message_id="second@customer.example", subject="Another question"))
    desk.dispatcher.drain()
    assert len(_tickets(desk)) == 2 and len(_sent("dana@customer.example")) == 1  # not acknowledged again


@pytest.mark.parametrize(("bounce_type", "bouncing_after"), [("Permanent", [True]), ("Transient", [False, True])])
def test_an_ses_bounce_in_an_sns_mail_marks_the_address_once_it_is_for_good(
        desk: Pipeline, bounce_type: str, bouncing_after: list[bool]) -> None:
    ours = _our_message_id(desk)
    for n, expected in enumerate(bouncing_after):
        failed = {"emailAddress": "dana@customer.example", "status": "5.2.2" if bounce_type == "Permanent" else "4.2.2"}
        notification: dict[str, object] = {
            "notificationType": "Bounce", "bounce": {"bounceType": bounce_type, "bouncedRecipients": [failed]},
            "mail": {"messageId": f"ses-{n}", "commonHeaders": {"messageId": f"<{ours}>"}}}
        _deliver(desk, sns_mail(notification).replace(b"<sns1@", f"<sns{n}-{bounce_type}@".encode()))
        dana = desk.deps().users.find_by_email("dana@customer.example")
        assert dana is not None and dana.bouncing is expected
    [ticket] = _tickets(desk)
    assert len(_comments(desk, ticket["id"])) == 1 + len(bouncing_after)


def test_a_bounce_forwarded_by_a_person_lands_on_its_ticket_unanswered(desk: Pipeline) -> None:
    ours = _our_message_id(desk)
    _deliver(desk, FORWARDED.replace(b"ticket-5.z@help.example.com", ours.encode()))
    [ticket] = _tickets(desk)
    assert "colleague@customer.example" in _comments(desk, ticket["id"])[1]["body"]
    colleague = desk.deps().users.find_by_email("colleague@customer.example")
    assert colleague is None or colleague.bouncing


def test_dmarc_reports_and_plain_bounces_of_no_ticket_are_never_tickets(desk: Pipeline) -> None:
    _deliver(desk, ARF.replace(b"Feedback-Type: abuse", b"Feedback-Type: auth-failure"))
    _deliver(desk, b"From: Mail Server <mail@mx.other.example>\r\nTo: support@example.com\r\n"
                   b"Subject: Unzustellbar: Ihre Bestellung\r\nMessage-ID: <de@mx>\r\n\r\n"
                   b"Die Nachricht konnte nicht zugestellt werden an someone@other.example.\r\n")
    assert len(_tickets(desk)) == 1
