"""The handlers with the real-shaped events of events/ (the same files `sam local invoke` takes)."""

from __future__ import annotations

import json
from typing import Any

import boto3

from helpdesk.local.dispatcher import load_handler
from tests.support import EVENTS, ROOT, Pipeline, sample


def _handler(p: Pipeline, logical_id: str) -> Any:
    return load_handler(ROOT, p.stack.functions[logical_id])


def test_email_ingest_reads_what_ses_wrote_to_s3_and_queues_it(pipeline: Pipeline) -> None:
    event = json.loads((EVENTS / "s3_ses_inbound.json").read_text())
    record = event["Records"][0]["s3"]
    bucket = pipeline.stack.env["RAW_MAIL_BUCKET"]
    record["bucket"]["name"] = bucket
    boto3.client("s3", region_name="us-east-1").put_object(
        Bucket=bucket, Key=record["object"]["key"], Body=sample("email_invoice_question.eml"))
    result = _handler(pipeline, "EmailIngestFunction")(event, None)
    assert result == {"queued": 1}
    pipeline.dispatcher.drain()
    [ticket] = pipeline.json("GET", "/api/v2/tickets.json")["tickets"]
    assert ticket["subject"] == "Invoice address for November"
    [comment] = pipeline.json("GET", f"/api/v2/tickets/{ticket['id']}/comments.json")["comments"]
    assert comment["attachments"][0]["filename"] == "new-address.txt"


def test_email_ingest_drops_our_own_mail(pipeline: Pipeline) -> None:
    bucket = pipeline.stack.env["RAW_MAIL_BUCKET"]
    raw = (b"From: Support <support@example.com>\r\nTo: x@customer.example\r\nSubject: loop\r\n"
           b"Message-ID: <loop@example.com>\r\nX-Helpdesk-Loop: example.com\r\n\r\nbody\r\n")
    boto3.client("s3", region_name="us-east-1").put_object(Bucket=bucket, Key="inbound/ses/loop", Body=raw)
    event = json.loads((EVENTS / "s3_ses_inbound.json").read_text())
    event["Records"][0]["s3"]["bucket"]["name"] = bucket
    event["Records"][0]["s3"]["object"]["key"] = "inbound/ses/loop"
    assert _handler(pipeline, "EmailIngestFunction")(event, None) == {"queued": 0}


def test_the_sla_handler_takes_the_scheduled_event(pipeline: Pipeline) -> None:
    event = json.loads((EVENTS / "schedule_sla_sweep.json").read_text())
    assert _handler(pipeline, "SlaEscalationFunction")(event, None) == {"read": 0, "breaches": []}


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
