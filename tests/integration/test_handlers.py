"""The handlers with the real-shaped events of events/ (the same files `sam local invoke` takes)."""

from __future__ import annotations

import json
from typing import Any

import boto3

from helpdesk.local.dispatcher import load_handler
from tests.support import EVENTS, ROOT, Pipeline, sample, ses_receipt_event


def _handler(p: Pipeline, logical_id: str) -> Any:
    return load_handler(ROOT, p.stack.functions[logical_id])


def _store(p: Pipeline, key: str, raw: bytes) -> None:
    boto3.client("s3", region_name="us-east-1").put_object(Bucket=p.stack.env["RAW_MAIL_BUCKET"], Key=key, Body=raw)


def test_email_ingest_takes_the_ses_notification_and_the_mail_ses_stored(pipeline: Pipeline) -> None:
    _store(pipeline, "inbound/ses/one", sample("email_invoice_question.eml"))
    result = _handler(pipeline, "EmailIngestFunction")(ses_receipt_event("inbound/ses/one"), None)
    assert result == {"batchItemFailures": []}
    pipeline.dispatcher.drain()
    [ticket] = pipeline.json("GET", "/api/v2/tickets.json")["tickets"]
    assert ticket["subject"] == "Invoice address for November"
    [comment] = pipeline.json("GET", f"/api/v2/tickets/{ticket['id']}/comments.json")["comments"]
    attachment = comment["attachments"][0]
    assert attachment["filename"] == "new-address.txt" and attachment["key"].startswith("attachments/")
    stored = boto3.client("s3", region_name="us-east-1").get_object(
        Bucket=pipeline.stack.env["RAW_MAIL_BUCKET"], Key=attachment["key"])["Body"].read()
    assert b"Rue de la Paix" in stored  # attachments live in S3; the comment holds a reference


def test_spam_or_virus_verdicts_are_quarantined_not_ticketed(pipeline: Pipeline) -> None:
    _store(pipeline, "inbound/ses/spam", sample("email_invoice_question.eml"))
    _handler(pipeline, "EmailIngestFunction")(ses_receipt_event("inbound/ses/spam", spam="FAIL"), None)
    pipeline.dispatcher.drain()
    assert pipeline.json("GET", "/api/v2/tickets.json")["tickets"] == []
    kept = boto3.client("s3", region_name="us-east-1").list_objects_v2(
        Bucket=pipeline.stack.env["RAW_MAIL_BUCKET"], Prefix="quarantine/ses/")
    assert kept["KeyCount"] == 1
    [held] = pipeline.json("GET", "/api/v2/suspended_tickets.json")["suspended_tickets"]
    assert held["cause"] == "Detected as spam"


def test_a_broken_notification_is_reported_as_a_failed_record(pipeline: Pipeline) -> None:
    event = ses_receipt_event("inbound/ses/missing-object")
    result = _handler(pipeline, "EmailIngestFunction")(event, None)
    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}


def test_email_ingest_drops_our_own_mail(pipeline: Pipeline) -> None:
    raw = (b"From: Support <support@example.com>\r\nTo: x@customer.example\r\nSubject: loop\r\n"
           b"Message-ID: <loop@example.com>\r\nX-Helpdesk-Loop: example.com\r\n\r\nbody\r\n")
    _store(pipeline, "inbound/ses/loop", raw)
    _handler(pipeline, "EmailIngestFunction")(ses_receipt_event("inbound/ses/loop"), None)
    assert pipeline.messages("InboundQueue") == []


def test_the_sla_handler_takes_the_scheduled_event(pipeline: Pipeline) -> None:
    event = json.loads((EVENTS / "schedule_sla_sweep.json").read_text())
    assert _handler(pipeline, "SlaEscalationFunction")(event, None) == {"read": 0, "breaches": [], "failed": [],
                                                                         "parked": []}


def test_csat_survey_reports_a_failed_record_and_processes_the_rest(pipeline: Pipeline) -> None:
    pipeline.json("POST", "/api/v2/tickets.json", {"ticket": {"subject": "s", "comment": {"body": "b"}}},
                  expect=201)
    pipeline.json("PUT", "/api/v2/tickets/1.json", {"ticket": {"status": "solved"}})
    event = json.loads((EVENTS / "sqs_ticket_solved.json").read_text())
    good = event["Records"][0]
    missing = {**good, "messageId": "for-a-missing-ticket",
               "body": good["body"].replace('"ticket_id": 1,', '"ticket_id": 999,')}
    response = _handler(pipeline, "CsatSurveyFunction")({"Records": [missing, good]}, None)
    assert response == {"batchItemFailures": [{"itemIdentifier": "for-a-missing-ticket"}]}
    ticket = pipeline.deps().tickets.get(1)
    assert ticket.satisfaction.survey_due_at is not None


def test_every_log_line_about_a_record_carries_its_ticket_id(pipeline: Pipeline) -> None:
    import io

    from helpdesk.observability import logger

    handler = logger().registered_handler
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        pipeline.json("POST", "/api/v2/triggers.json", json.loads(sample("api_trigger_acknowledge.json")), expect=201)
        pipeline.email(sample("email_order_refund.eml"))
        pipeline.dispatcher.drain()
    finally:
        handler.setStream(previous)
    lines = [json.loads(line) for line in buffer.getvalue().splitlines() if line.startswith("{")]
    about_records = [line for line in lines if line.get("function") in ("ticket_create", "trigger_eval", "notify")]
    assert {line["message"] for line in about_records} >= {"inbound mail handled", "triggers evaluated", "delivery"}
    assert all(line.get("ticket_id") == 1 for line in about_records), about_records
