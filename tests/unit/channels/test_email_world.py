"""Email from the whole world, hand-made: legacy charsets in raw header bytes, ISO-2022, malformed From headers,
a damaged header block, and every kind of automatic mail (ARF, DMARC, SNS-wrapped SES notifications, plain and
forwarded bounces, bounces in other languages), each classified with its reason."""

from __future__ import annotations

import json

import pytest

from helpdesk.channels.email.charsets import decode_undeclared
from helpdesk.channels.email.parse import parse_email


def raw_mail(headers: bytes, body: bytes = b"Hello\n", *, content_type: bytes = b"text/plain; charset=utf-8") -> bytes:
    return (headers + b"\nTo: support@example.com\nMessage-ID: <m1@customer.example>\nMIME-Version: 1.0\n"
            b"Content-Type: " + content_type + b"\n\n" + body)


# ---- legacy charsets in raw 8-bit headers --------------------------------------------------------------------

@pytest.mark.parametrize(("subject", "name", "charset", "declared"), [
    ("주문 배송 문의드립니다", "김민수", "euc-kr", True),
    ("주문 배송 문의드립니다", "김민수", "euc-kr", False),
    ("关于我的订单还没有收到的问题", "王小明", "gb2312", True),
    ("关于我的订单还没有收到的问题", "王小明", "gbk", False),
    ("注文した商品がまだ届いていません", "山田太郎", "shift_jis", True),
    ("注文した商品がまだ届いていません", "山田太郎", "shift_jis", False),
    ("我的訂單還沒有收到", "陳大文", "big5", False),
])
def test_raw_8bit_headers_in_legacy_east_asian_charsets_are_read(subject: str, name: str, charset: str,
                                                                 declared: bool) -> None:
    """Undeclared bytes are read by the body's declared charset when there is one, else by the detector."""
    body_type = f"text/plain; charset={charset}".encode() if declared else b"text/plain"
    raw = raw_mail(b"From: " + name.encode(charset) + b" <buyer@customer.example>\nSubject: "
                   + subject.encode(charset), "本文".encode(charset) if declared else b"see subject\n",
                   content_type=body_type)
    parsed = parse_email(raw)
    assert parsed.subject == subject
    assert parsed.from_ is not None and (parsed.from_.name, parsed.from_.address) == (name, "buyer@customer.example")
    assert parsed.kind == "normal"


def test_latin_text_is_never_read_as_an_asian_or_cyrillic_charset() -> None:
    for text in ("Jörg", "Größe", "Café résumé", "€100 \u2013 \u201cquoted\u201d", "Ñandú", "Zoë Brontë"):
        assert decode_undeclared(text.encode("cp1252")) == text


def test_iso_2022_jp_is_decoded_in_raw_headers_and_in_bodies_declared_or_not() -> None:
    subject, body = "ご注文の確認", "お世話になっております。注文番号1234の件です。"
    raw = raw_mail(b"From: Taro <taro@customer.example>\nSubject: " + subject.encode("iso2022_jp"),
                   body.encode("iso2022_jp") + b"\n", content_type=b"text/plain")  # no charset declared
    parsed = parse_email(raw)
    assert (parsed.subject, parsed.text.strip()) == (subject, body)
    declared = parse_email(raw_mail(b"From: t@customer.example\nSubject: x", body.encode("iso2022_jp"),
                                    content_type=b"text/plain; charset=ISO-2022-JP"))
    assert declared.text.strip() == body
    korean = parse_email(raw_mail(b"From: k@customer.example\nSubject: x", "주문 문의".encode("iso2022_kr"),
                                  content_type=b"text/plain; charset=us-ascii"))
    assert korean.text.strip() == "주문 문의"


def test_an_encoded_word_with_a_wrong_charset_is_read_by_evidence() -> None:
    wrong = b"=?utf-8?B?" + __import__("base64").b64encode("注文の件".encode("shift_jis")) + b"?="
    parsed = parse_email(raw_mail(b"From: t@customer.example\nSubject: " + wrong))
    assert parsed.subject == "注文の件"


# ---- malformed From headers ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("header", "name", "address"), [
    (b"From: John Smith john@customer.example", "John Smith", "john@customer.example"),  # no quotes, no brackets
    (b'From: "John Smith" john@customer.example', "John Smith", "john@customer.example"),  # no angle brackets
    (b"From: John Smith <john@customer.example", "John Smith", "john@customer.example"),  # unclosed bracket
    (b"From: ??? junk ::: <john@customer.example>", "", "john@customer.example"),  # garbage before it
])
def test_malformed_from_headers_still_give_the_sender(header: bytes, name: str, address: str) -> None:
    parsed = parse_email(raw_mail(header + b"\nSubject: Order"))
    assert parsed.from_ is not None and parsed.from_.address == address
    if name:
        assert parsed.from_.name == name
    assert parsed.from_source == "from"


def test_the_mailer_daemon_with_an_empty_address_is_a_bounce_not_a_person() -> None:
    parsed = parse_email(raw_mail(b"From: MAILER-DAEMON <>\nSubject: failure notice",
                                  b"Sorry, I couldn't deliver your message to <gone@customer.example>.\n"))
    assert parsed.kind == "bounce" and "display name" in parsed.kind_reason
    assert parsed.bounce is not None and parsed.bounce.recipient == "gone@customer.example"


def test_without_from_sender_or_reply_to_the_return_path_is_the_sender_of_last_resort() -> None:
    parsed = parse_email(b"Return-Path: <ann@customer.example>\nSubject: Hello\nMessage-ID: <x@y>\n\nHi\n")
    assert parsed.from_ is not None and parsed.from_.address == "ann@customer.example"
    assert parsed.from_source == "return-path"


# ---- a damaged header block ------------------------------------------------------------------------------------

@pytest.mark.parametrize("damage", [b"\x00\x93\xff garbage line without a colon", b"=====", b"this is not a header"])
def test_a_damaged_line_does_not_hide_the_headers_after_it(damage: bytes) -> None:
    raw = (b"Received: from mx.customer.example by mx.example.com\n" + damage + b"\n"
           b"From: Ann <ann@customer.example>\nSubject: My refund\nMessage-ID: <r1@customer.example>\n"
           b"Content-Type: text/plain; charset=utf-8\n\nWhere is my refund?\n")
    parsed = parse_email(raw)
    assert parsed.from_ is not None and parsed.from_.address == "ann@customer.example"
    assert (parsed.subject, parsed.message_id, parsed.text.strip()) == (
        "My refund", "r1@customer.example", "Where is my refund?")


def test_a_body_without_a_blank_line_before_it_is_kept_as_body() -> None:
    parsed = parse_email(b"From: ann@customer.example\nSubject: x\nthis line starts the body\nand this\n")
    assert "this line starts the body" in parsed.text or parsed.subject == "x"


# ---- automatic mail, with the reason ---------------------------------------------------------------------------

ARF = (
    b"From: Abuse Desk <abuse@isp.example>\nTo: support@example.com\nSubject: Abuse report\n"
    b"Message-ID: <arf1@isp.example>\nMIME-Version: 1.0\n"
    b'Content-Type: multipart/report; report-type=feedback-report; boundary="A"\n\n'
    b"--A\nContent-Type: text/plain\n\nThis is an email abuse report for an email message received.\n"
    b"--A\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: SomeGenerator/1.0\n"
    b"Version: 1\nOriginal-Mail-From: <support@example.com>\nOriginal-Rcpt-To: <Dana@Customer.example>\n"
    b"Arrival-Date: Thu, 8 Mar 2026 14:00:00 EST\n"
    b"--A\nContent-Type: text/rfc822-headers\n\nFrom: support@example.com\nTo: dana@customer.example\n"
    b"Subject: [#42] Your order\nMessage-ID: <ticket-42.abc@help.example.com>\n"
    b"--A--\n")


def test_an_arf_abuse_report_is_a_complaint_naming_the_complainer_and_our_mail() -> None:
    parsed = parse_email(ARF)
    assert parsed.kind == "complaint" and "Feedback-Type abuse" in parsed.kind_reason
    assert parsed.bounce is not None
    assert (parsed.bounce.recipient, parsed.bounce.original_message_id) == (
        "dana@customer.example", "ticket-42.abc@help.example.com")
    assert parsed.auto_submitted


def test_a_dmarc_forensic_report_and_an_aggregate_report_are_reports() -> None:
    forensic = parse_email(ARF.replace(b"Feedback-Type: abuse", b"Feedback-Type: auth-failure"))
    assert forensic.kind == "report" and "DMARC forensic" in forensic.kind_reason
    aggregate = parse_email(
        b"From: noreply-dmarc-support@google.com\nTo: dmarc@example.com\n"
        b"Subject: Report domain: example.com Submitter: google.com Report-ID: 1234567890\n"
        b"Message-ID: <dmarc1@google.com>\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="D"\n\n--D\nContent-Type: text/plain\n\nDMARC report\n'
        b"--D\nContent-Type: application/zip\nContent-Disposition: attachment; "
        b'filename="google.com!example.com!1700000000!1700086399.zip"\nContent-Transfer-Encoding: base64\n\n'
        b"UEsDBA==\n--D--\n")
    assert aggregate.kind == "report" and aggregate.kind_reason == "structure: DMARC aggregate report"
    assert aggregate.bounce is None and aggregate.auto_submitted


def sns_mail(notification: dict[str, object]) -> bytes:
    envelope = {"Type": "Notification", "MessageId": "5a1c", "TopicArn": "arn:aws:sns:eu-west-1:1:ses-bounces",
                "Message": json.dumps(notification), "Timestamp": "2026-11-30T10:00:00.000Z"}
    return (b"From: AWS Notifications <no-reply@sns.amazonaws.com>\nTo: ops@example.com\n"
            b"Subject: AWS Notification Message\nMessage-ID: <sns1@email.amazonses.com>\n"
            b"Content-Type: text/plain; charset=UTF-8\n\n" + json.dumps(envelope).encode() +
            b"\n\n--\nIf you wish to stop receiving notifications from this topic, please click ...\n")


@pytest.mark.parametrize(("bounce_type", "temporary"), [("Permanent", False), ("Transient", True)])
def test_an_amazon_ses_bounce_wrapped_in_an_sns_mail_is_a_bounce(bounce_type: str, temporary: bool) -> None:
    parsed = parse_email(sns_mail({
        "notificationType": "Bounce",
        "bounce": {"bounceType": bounce_type, "bouncedRecipients": [
            {"emailAddress": "Gone@Customer.example", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1"}]},
        "mail": {"messageId": "0102018f-ses", "commonHeaders": {"messageId": "<ticket-7.x@help.example.com>"}}}))
    assert parsed.kind == "bounce" and "Amazon SES Bounce" in parsed.kind_reason
    assert parsed.bounce is not None
    assert (parsed.bounce.recipient, parsed.bounce.original_message_id, parsed.bounce.status,
            parsed.bounce.temporary) == ("gone@customer.example", "ticket-7.x@help.example.com", "5.1.1", temporary)


def test_an_amazon_ses_complaint_is_a_complaint() -> None:
    parsed = parse_email(sns_mail({
        "notificationType": "Complaint",
        "complaint": {"complainedRecipients": [{"emailAddress": "dana@customer.example"}],
                      "complaintFeedbackType": "abuse"},
        "mail": {"messageId": "0102", "headers": [{"name": "Message-ID", "value": "<ticket-9.y@help.example.com>"}]}}))
    assert parsed.kind == "complaint"
    assert parsed.bounce is not None and parsed.bounce.recipient == "dana@customer.example"
    assert parsed.bounce.original_message_id == "ticket-9.y@help.example.com"


FORWARDED = (
    b"From: Dana <dana@customer.example>\nTo: support@example.com\n"
    b"Subject: Fwd: Returned mail: see transcript for details\nMessage-ID: <fwd1@customer.example>\n"
    b"Content-Type: text/plain; charset=utf-8\n\n"
    b"---------- Forwarded message ---------\nFrom: Mail Delivery Subsystem <MAILER-DAEMON@mx.customer.example>\n"
    b"Subject: Returned mail: see transcript for details\n\n"
    b"   ----- The following addresses had permanent fatal errors -----\n<colleague@customer.example>\n"
    b"    (reason: 550 5.1.1 User unknown)\n\n   ----- Original message -----\n"
    b"Message-ID: <ticket-5.z@help.example.com>\n")


def test_a_bounce_forwarded_by_a_person_is_a_bounce() -> None:
    parsed = parse_email(FORWARDED)
    assert parsed.kind == "bounce" and "forwarded bounce" in parsed.kind_reason
    assert parsed.bounce is not None
    assert (parsed.bounce.recipient, parsed.bounce.original_message_id, parsed.bounce.status) == (
        "colleague@customer.example", "ticket-5.z@help.example.com", "5.1.1")


@pytest.mark.parametrize(("subject", "body"), [
    ("Unzustellbar: Ihre Bestellung", "Die Nachricht konnte nicht zugestellt werden an gone@customer.example."),
    ("Non remis : Votre commande", "Votre message n'a pas pu être remis à gone@customer.example."),
    ("No se puede entregar: Pedido", "No se pudo entregar el mensaje a gone@customer.example."),
    ("Mail delivery failed: returning message to sender",
     "A message that you sent could not be delivered to one or more of its recipients.\n  gone@customer.example"),
    ("Undeliverable: Your order", "Delivery has failed to these recipients or groups:\ngone@customer.example"),
    ("配信不能: ご注文", "次の宛先に配信できませんでした: gone@customer.example"),
])
def test_plain_text_bounces_in_several_languages_are_bounces_with_their_recipient(subject: str, body: str) -> None:
    raw = (f"From: Mail Server <mail@mx.customer.example>\nTo: support@example.com\nSubject: {subject}\n"
           f"Message-ID: <b@mx>\nContent-Type: text/plain; charset=utf-8\n\n{body}\n").encode()
    parsed = parse_email(raw)
    assert parsed.kind == "bounce", parsed.kind_reason
    assert parsed.bounce is not None and parsed.bounce.recipient == "gone@customer.example"


def test_a_delay_warning_is_a_temporary_bounce() -> None:
    raw = (b"From: MAILER-DAEMON@mx.customer.example\nTo: support@example.com\n"
           b"Subject: Warning: message delayed\nMessage-ID: <w@mx>\n\n"
           b"Delivery to the following recipient has been delayed: slow@customer.example\n"
           b"Delivery attempts will continue to be made for 4 days.\n")
    parsed = parse_email(raw)
    assert parsed.kind == "bounce" and parsed.bounce is not None
    assert (parsed.bounce.recipient, parsed.bounce.temporary) == ("slow@customer.example", True)
    assert parsed.to_json()["bounce"]["temporary"] is True


@pytest.mark.parametrize(("subject", "body"), [
    ("Delivery failed for my parcel", "Hi, the courier says the delivery failed. Can you resend order 1234?"),
    ("Undeliverable package", "My package is marked undeliverable, please help."),
    ("Re: Returned mail", "I returned the item by mail last week, where is my refund?"),
])
def test_a_person_writing_about_failed_deliveries_is_a_person(subject: str, body: str) -> None:
    raw = (f"From: Dana <dana@customer.example>\nTo: support@example.com\nSubject: {subject}\n"
           f"Message-ID: <p@customer.example>\nContent-Type: text/plain; charset=utf-8\n\n{body}\n").encode()
    parsed = parse_email(raw)
    assert (parsed.kind, parsed.kind_reason, parsed.bounce) == ("normal", "", None)


def test_the_reason_is_in_the_parsed_json() -> None:
    shown = parse_email(ARF).to_json()
    assert shown["kind"] == "complaint" and shown["kind_reason"].startswith("structure: ARF report")
    assert parse_email(raw_mail(b"From: a@customer.example\nSubject: hi")).to_json()["kind_reason"] == ""


def test_a_damaged_outlook_msg_file_degrades_instead_of_raising() -> None:
    from helpdesk.channels.email.outlook_msg import OLE_MAGIC

    parsed = parse_email(OLE_MAGIC + b"\x00" * 600 + b"not really a compound file")
    assert parsed.from_ is None and parsed.kind == "normal"
