"""Suspended tickets (Zendesk's Suspended Tickets API) on the real stack: mail SES failed as spam or virus, and mail
that failed DMARC, is held back with its cause instead of ticketed; an agent recovers it into exactly one ticket
through the inbound path, or deletes it."""

from __future__ import annotations

import json
from typing import Any

import boto3

from helpdesk.local.dispatcher import load_handler
from tests.support import ROOT, Pipeline, make_email, ses_receipt_event


def _ses(p: Pipeline, raw: bytes, key: str, **verdicts: str) -> None:
    """SES stores the mail and notifies through SNS onto SesInboundQueue, which the dispatcher drains."""
    boto3.client("s3", region_name="us-east-1").put_object(Bucket=p.stack.env["RAW_MAIL_BUCKET"], Key=key, Body=raw)
    envelope = ses_receipt_event(key, **verdicts)["Records"][0]["body"]
    p.sqs.send_message(QueueUrl=p.queue_url("SesInboundQueue"), MessageBody=envelope)
    p.dispatcher.drain()


def _suspended(p: Pipeline) -> list[dict[str, Any]]:
    return list(p.json("GET", "/api/v2/suspended_tickets.json")["suspended_tickets"])


def _tickets(p: Pipeline) -> list[dict[str, Any]]:
    return sorted(p.json("GET", "/api/v2/tickets.json")["tickets"], key=lambda t: t["id"])


def test_a_spam_mail_is_suspended_and_recovered_into_one_ticket(pipeline: Pipeline) -> None:
    p = pipeline
    raw = make_email(message_id="cheap@spam.example", sender="mona@spam.example", subject="Cheap watches",
                     body="Buy now, and tell me about my order 1234.")
    _ses(p, raw, "inbound/ses/spam-1", spam="FAIL")
    _ses(p, raw, "inbound/ses/spam-1", spam="FAIL")  # SES (or the queue) delivers it again
    assert _tickets(p) == []
    [held] = _suspended(p)
    assert (held["cause"], held["subject"], held["author"]["email"]) == (
        "Detected as spam", "Cheap watches", "mona@spam.example")
    assert "order 1234" in held["content"] and held["message_id"] == "cheap@spam.example"
    assert held["url"] == f"/api/v2/suspended_tickets/{held['id']}.json" and held["created_at"]
    assert p.json("GET", f"/api/v2/suspended_tickets/{held['id']}.json")["suspended_ticket"] == held
    kept = boto3.client("s3", region_name="us-east-1").list_objects_v2(
        Bucket=p.stack.env["RAW_MAIL_BUCKET"], Prefix="quarantine/ses/")
    assert kept["KeyCount"] == 1

    ticket = p.json("PUT", f"/api/v2/suspended_tickets/{held['id']}/recover.json")["ticket"]
    assert ticket["subject"] == "Cheap watches" and ticket["via"]["channel"] == "email"
    p.dispatcher.drain()
    assert [t["id"] for t in _tickets(p)] == [ticket["id"]]
    [comment] = p.json("GET", f"/api/v2/tickets/{ticket['id']}/comments.json")["comments"]
    assert "order 1234" in comment["body"]
    assert _suspended(p) == []
    again = p.call("PUT", f"/api/v2/suspended_tickets/{held['id']}/recover.json")
    assert again.status_code == 404 and "does not exist" in json.loads(again.body)["description"]
    late = load_handler(ROOT, p.stack.functions["EmailIngestFunction"])(
        ses_receipt_event("inbound/ses/spam-1", spam="FAIL"), None)  # a late copy after the recovery
    assert late == {"batchItemFailures": []}
    p.dispatcher.drain()
    assert [t["id"] for t in _tickets(p)] == [ticket["id"]] and _suspended(p) == []  # still one ticket


def test_mail_that_failed_dmarc_is_suspended_and_recovered_without_threading(pipeline: Pipeline) -> None:
    p = pipeline
    p.email(make_email(message_id="orig@customer.example"))
    p.dispatcher.drain()
    [original] = _tickets(p)
    forged = make_email(message_id="forged@evil.example", subject=f"Re: Help with my order [#{original['id']}]",
                        in_reply_to="orig@customer.example")
    _ses(p, forged, "inbound/ses/forged", dmarc="FAIL")
    assert len(_tickets(p)) == 1
    assert len(p.json("GET", f"/api/v2/tickets/{original['id']}/comments.json")["comments"]) == 1
    [held] = _suspended(p)
    assert held["cause"] == "Failed DMARC authentication"
    recovered = p.json("PUT", f"/api/v2/suspended_tickets/{held['id']}/recover")["ticket"]
    assert recovered["id"] != original["id"] and "suspicious" in recovered["tags"]  # never threaded
    assert len(p.json("GET", f"/api/v2/tickets/{original['id']}/comments.json")["comments"]) == 1


def test_suspended_mail_is_deleted_and_a_virus_is_never_recovered(pipeline: Pipeline) -> None:
    p = pipeline
    _ses(p, make_email(message_id="a@spam.example", subject="Spam A"), "inbound/ses/a", spam="FAIL")
    _ses(p, make_email(message_id="v@spam.example", subject="Invoice.exe"), "inbound/ses/v", virus="FAIL")
    _ses(p, make_email(message_id="b@spam.example", subject="Spam B"), "inbound/ses/b", spam="FAIL")
    listed = _suspended(p)
    assert [s["subject"] for s in listed] == ["Spam B", "Invoice.exe", "Spam A"]  # newest first
    virus = listed[1]
    assert virus["cause"] == "Detected as a virus"
    refused = p.call("PUT", f"/api/v2/suspended_tickets/{virus['id']}/recover.json")
    assert refused.status_code == 422 and "virus" in json.loads(refused.body)["description"]

    seen, path = [], "/api/v2/suspended_tickets.json?page%5Bsize%5D=2"
    while path:
        page = p.json("GET", path)
        seen += [s["id"] for s in page["suspended_tickets"]]
        path = page["links"]["next"]
        if path:
            path += "&page%5Bsize%5D=2"
    assert seen == [s["id"] for s in listed]

    assert p.call("DELETE", f"/api/v2/suspended_tickets/{listed[0]['id']}.json").status_code == 204
    assert [s["subject"] for s in _suspended(p)] == ["Invoice.exe", "Spam A"]
    gone = p.call("DELETE", f"/api/v2/suspended_tickets/{listed[0]['id']}.json")
    assert gone.status_code == 404
    assert _tickets(p) == []


def test_bad_suspended_ticket_requests_get_a_reason(pipeline: Pipeline) -> None:
    cases = [
        ("GET", "/api/v2/suspended_tickets.json?page%5Bafter%5D=forged", 400, "page[after]"),
        ("GET", "/api/v2/suspended_tickets/abc.json", 400, "not a suspended ticket id"),
        ("GET", "/api/v2/suspended_tickets/77.json", 404, "suspended ticket 77 does not exist"),
        ("PUT", "/api/v2/suspended_tickets/77/recover.json", 404, "suspended ticket 77 does not exist"),
        ("DELETE", "/api/v2/suspended_tickets/77", 404, "suspended ticket 77 does not exist"),
    ]
    for method, path, status, reason in cases:
        answer = pipeline.call(method, path)
        assert answer.status_code == status, (path, answer.body)
        assert reason in json.loads(answer.body)["description"], (path, answer.body)
