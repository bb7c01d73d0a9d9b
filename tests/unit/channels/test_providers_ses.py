"""SES receipt notifications: content from the SNS action (BASE64 or UTF8) or the S3 action, verdicts stored."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

from helpdesk.channels.email.parse import parse_email
from helpdesk.channels.email.providers.ses import notification_from_json, ses_delivery, sns_envelope_message
from helpdesk.domain.errors import InvalidInput
from tests.support import corpus

RAW = (
    b"From: Jane Doe <janedoe@example.com>\r\nTo: johndoe@example.com\r\nSubject: Test Subject\r\n"
    b"Message-ID: <0123456789@example.com>\r\nContent-Type: text/plain; charset=UTF-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n\r\nH\xc3\xa9llo from SES\r\n"
)


def _event(name: str) -> dict[str, Any]:
    value = json.loads(corpus("aws_events", name).read_text())
    assert isinstance(value, dict)
    return value


def _notification(action: dict[str, Any], content: str | None = None) -> dict[str, Any]:
    """The receipt notification SES publishes to SNS, in the shape of the corpus' SES record."""
    record = copy.deepcopy(_event("sesEvent.json")["Records"][0]["ses"])
    notification: dict[str, Any] = {"notificationType": "Received", **record}
    notification["receipt"]["action"] = action
    if content is not None:
        notification["content"] = content
    return notification


def _no_s3(bucket: str, key: str) -> bytes:
    raise AssertionError(f"unexpected S3 read {bucket}/{key}")


def test_sns_action_base64_content() -> None:
    action = {"type": "SNS", "topicArn": "arn:aws:sns:us-east-1:123:inbound", "encoding": "BASE64"}
    delivery = ses_delivery(_notification(action, base64.b64encode(RAW).decode()), _no_s3)
    assert delivery.provider == "ses"
    assert delivery.raw == RAW
    assert delivery.recipients == ["johndoe@example.com"]
    assert delivery.provider_message_id == "o3vrnil0e2ic28tr"
    assert delivery.verdicts == {"spf": "PASS", "dkim": "PASS", "dmarc": "PASS", "spam": "PASS", "virus": "PASS"}
    assert delivery.quarantine_reason is None
    assert not delivery.spoofed
    parsed = parse_email(delivery.raw)
    assert parsed.from_ is not None and parsed.from_.address == "janedoe@example.com"
    assert (parsed.subject, parsed.text.strip()) == ("Test Subject", "Héllo from SES")


def test_sns_action_utf8_content() -> None:
    delivery = ses_delivery(_notification({"type": "SNS", "encoding": "UTF8"}, RAW.decode()), _no_s3)
    assert delivery.raw == RAW


def test_s3_action_reads_the_object() -> None:
    reads: list[tuple[str, str]] = []

    def fetch(bucket: str, key: str) -> bytes:
        reads.append((bucket, key))
        return RAW

    action = {"type": "S3", "bucketName": "inbound-mail", "objectKeyPrefix": "in/", "objectKey": "in/o3vrnil0"}
    delivery = ses_delivery(_notification(action), fetch)
    assert reads == [("inbound-mail", "in/o3vrnil0")]
    assert parse_email(delivery.raw).subject == "Test Subject"


@pytest.mark.parametrize(("field", "reason"), [("spamVerdict", "spam"), ("virusVerdict", "virus")])
def test_spam_or_virus_fail_quarantines(field: str, reason: str) -> None:
    notification = _notification({"type": "SNS", "encoding": "UTF8"}, RAW.decode())
    notification["receipt"][field] = {"status": "FAIL"}
    assert ses_delivery(notification, _no_s3).quarantine_reason == reason


def test_dmarc_fail_or_spf_and_dkim_fail_is_spoofed() -> None:
    notification = _notification({"type": "SNS", "encoding": "UTF8"}, RAW.decode())
    notification["receipt"]["dmarcVerdict"] = {"status": "FAIL"}
    assert ses_delivery(notification, _no_s3).spoofed
    notification["receipt"]["dmarcVerdict"] = {"status": "GRAY"}
    notification["receipt"]["spfVerdict"] = {"status": "FAIL"}
    assert not ses_delivery(notification, _no_s3).spoofed
    notification["receipt"]["dkimVerdict"] = {"status": "FAIL"}
    delivery = ses_delivery(notification, _no_s3)
    assert delivery.spoofed
    assert delivery.verdicts["dmarc"] == "GRAY"
    notification["receipt"]["spamVerdict"] = {"status": "PROCESSING_FAILED"}
    assert ses_delivery(notification, _no_s3).verdicts["spam"] == "PROCESSING_FAILED"


def test_sns_envelope_from_sqs_is_unwrapped() -> None:
    notification = _notification({"type": "SNS", "encoding": "UTF8"}, RAW.decode())
    record = copy.deepcopy(_event("snsSqsEvent.json")["Records"][0])
    envelope = json.loads(record["body"])
    envelope["Message"] = json.dumps(notification)
    record["body"] = json.dumps(envelope)
    assert notification_from_json(record["body"]) == notification
    assert sns_envelope_message(notification) is notification  # raw message delivery passes through


def test_sns_record_as_lambda_receives_it_is_unwrapped() -> None:
    notification = _notification({"type": "SNS", "encoding": "UTF8"}, RAW.decode())
    record = copy.deepcopy(_event("snsEvent.json")["Records"][0])
    record["Sns"]["Message"] = json.dumps(notification)
    assert sns_envelope_message(record) == notification
    record["Sns"]["Message"] = "Hello from SNS!"
    with pytest.raises(InvalidInput, match="not valid JSON"):
        sns_envelope_message(record)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"notificationType": "Bounce"}, "Bounce"),
        ({"notificationType": None}, "None"),
        ({"content": None}, "no message content"),
        ({"content": "!!not base64!!"}, "base64"),
        ({"content": 12}, "must be a string"),
        ({"receipt": []}, "must be an object"),
        ({"receipt": {"action": {"type": "SNS", "encoding": "ROT13"}}}, "unknown encoding"),
        ({"receipt": {"action": {"type": "S3", "bucketName": "b"}}}, "objectKey"),
        ({"receipt": {"action": {"type": "Lambda"}}}, "no message content"),
        ({"receipt": {"recipients": "x@y", "action": {"type": "SNS"}}}, "must be a list"),
        ({"mail": {"messageId": 5}}, "must be a string"),
    ],
)
def test_bad_notifications_are_invalid_input(change: dict[str, Any], reason: str) -> None:
    notification = _notification({"type": "SNS", "encoding": "BASE64"}, base64.b64encode(RAW).decode())
    notification.update(change)
    with pytest.raises(InvalidInput, match=reason):
        ses_delivery(notification, _no_s3)


def test_the_lambda_record_itself_is_not_a_notification() -> None:
    record = _event("sesEvent.json")["Records"][0]["ses"]
    with pytest.raises(InvalidInput, match="no received mail"):
        ses_delivery(record, _no_s3)


@pytest.mark.parametrize(
    "body",
    [{"Type": "SubscriptionConfirmation", "Message": "x"}, {"Type": "Notification"}, {"Type": "Notification",
                                                                                        "Message": "[1]"}],
)
def test_bad_sns_envelopes_are_invalid_input(body: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        sns_envelope_message(body)
