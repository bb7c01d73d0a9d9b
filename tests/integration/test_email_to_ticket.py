"""Email in -> ticket or comment: idempotency, threading, follow-ups, poison messages, lost publishes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support import Pipeline, make_email, sample


def _tickets(p: Pipeline) -> list[dict[str, Any]]:
    return list(p.json("GET", "/api/v2/tickets.json")["tickets"])


def _comments(p: Pipeline, ticket_id: int) -> list[dict[str, Any]]:
    return list(p.json("GET", f"/api/v2/tickets/{ticket_id}/comments.json")["comments"])


def test_an_email_becomes_a_ticket_with_its_requester(pipeline: Pipeline) -> None:
    pipeline.email(sample("email_order_refund.eml"))
    pipeline.dispatcher.drain()
    [ticket] = _tickets(pipeline)
    assert ticket["subject"] == "Refund for order #1234"
    assert ticket["via"]["channel"] == "email"
    assert ticket["status"] == "new"
    requester = pipeline.deps().users.get(ticket["requester_id"])
    assert requester.email == "alice@customer.example" and requester.name == "Alice Martin"
    [comment] = _comments(pipeline, ticket["id"])
    assert "arrived broken" in comment["body"]
    assert comment["metadata"]["message_id"] == "CAF1-order-1234@mail.customer.example"


def test_the_same_email_delivered_twice_makes_one_comment(pipeline: Pipeline) -> None:
    raw = sample("email_order_refund.eml")
    pipeline.email(raw)
    pipeline.email(raw)  # a provider retry through the API
    url = pipeline.queue_url("InboundQueue")
    body = json.dumps({"raw_key": "inbound/api/" + _key(pipeline), "message_id": "x", "source": "api"})
    for dedup in ("redelivery-1", "redelivery-2"):  # redeliveries SQS does not deduplicate
        pipeline.sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g", MessageDeduplicationId=dedup)
    pipeline.dispatcher.drain()
    [ticket] = _tickets(pipeline)
    assert len(_comments(pipeline, ticket["id"])) == 1
    assert pipeline.dispatcher.failures == []


def _key(p: Pipeline) -> str:
    import boto3

    s3 = boto3.client("s3", region_name="us-east-1")
    [obj] = s3.list_objects_v2(Bucket=p.stack.env["RAW_MAIL_BUCKET"], Prefix="inbound/api/")["Contents"]
    return str(obj["Key"]).removeprefix("inbound/api/")


def test_a_reply_threads_by_in_reply_to_and_reopens(pipeline: Pipeline) -> None:
    pipeline.email(sample("email_order_refund.eml"))
    pipeline.dispatcher.drain()
    [ticket] = _tickets(pipeline)
    pipeline.json("PUT", f"/api/v2/tickets/{ticket['id']}.json", {"ticket": {"status": "pending"}})
    pipeline.email(sample("email_reply_order_refund.eml"))
    pipeline.dispatcher.drain()
    [ticket] = _tickets(pipeline)
    comments = _comments(pipeline, ticket["id"])
    assert len(comments) == 2
    assert ticket["status"] == "open"  # a requester reply moves pending back to open
    assert "photo of the damage" in comments[1]["body"]
    assert "wrote:" not in comments[1]["body"]  # the quoted history is trimmed from the stored reply
    assert "wrote:" in comments[1]["plain_body"]  # and the full body is kept


def test_two_replies_of_one_thread_arriving_together_make_one_ticket(pipeline: Pipeline) -> None:
    root = "thread-root@customer.example"
    pipeline.email(make_email(message_id=root))
    pipeline.email(make_email(message_id="r1@customer.example", in_reply_to=root, references=f"<{root}>",
                              subject="Re: Help with my order"))
    pipeline.email(make_email(message_id="r2@customer.example", in_reply_to=root, references=f"<{root}>",
                              subject="Re: Help with my order"))
    pipeline.dispatcher.drain()
    [ticket] = _tickets(pipeline)
    assert len(_comments(pipeline, ticket["id"])) == 3


def test_subject_token_threads_only_for_a_participant(pipeline: Pipeline) -> None:
    pipeline.email(make_email(message_id="first@customer.example"))
    pipeline.dispatcher.drain()
    [ticket] = _tickets(pipeline)
    token_subject = f"Re: Help with my order [#{ticket['id']}]"
    pipeline.email(make_email(message_id="own@customer.example", subject=token_subject))
    pipeline.email(make_email(message_id="stranger@evil.example", sender="mallory@evil.example",
                              subject=token_subject))
    pipeline.dispatcher.drain()
    tickets = _tickets(pipeline)
    assert len(tickets) == 2  # the stranger's mail opened its own ticket
    assert len(_comments(pipeline, ticket["id"])) == 2


def test_a_reply_to_a_closed_ticket_opens_a_linked_follow_up(pipeline: Pipeline) -> None:
    pipeline.email(make_email(message_id="orig@customer.example"))
    pipeline.dispatcher.drain()
    [ticket] = _tickets(pipeline)
    pipeline.json("PUT", f"/api/v2/tickets/{ticket['id']}", {"ticket": {"status": "closed"}})
    pipeline.email(make_email(message_id="late@customer.example", in_reply_to="orig@customer.example",
                              subject="Re: Help with my order"))
    pipeline.dispatcher.drain()
    tickets = sorted(_tickets(pipeline), key=lambda t: t["id"])
    assert [t["status"] for t in tickets] == ["closed", "new"]
    assert tickets[1]["followup_source_id"] == ticket["id"]


def test_a_poison_message_goes_to_the_dead_letter_queue_and_the_batch_goes_on(pipeline: Pipeline) -> None:
    url = pipeline.queue_url("InboundQueue")
    pipeline.sqs.send_message(QueueUrl=url, MessageBody='{"raw_key": "inbound/missing.eml"}',
                              MessageGroupId="poison", MessageDeduplicationId="poison")
    pipeline.sqs.send_message(QueueUrl=url, MessageBody="not json at all", MessageGroupId="garbage",
                              MessageDeduplicationId="garbage")
    pipeline.email(make_email(message_id="good-1@customer.example"))
    pipeline.email(make_email(message_id="good-2@customer.example", sender="erin@customer.example"))
    for _ in range(8):  # redrive after maxReceiveCount receives
        pipeline.dispatcher.drain()
    assert len(_tickets(pipeline)) == 2
    dead = pipeline.messages("InboundDeadLetterQueue")
    assert sorted(m["Body"] for m in dead) == sorted(['{"raw_key": "inbound/missing.eml"}', "not json at all"])
    assert pipeline.messages("InboundQueue") == []


def test_a_crash_between_the_write_and_the_publish_loses_no_event(
        pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk.adapters.eventbridge import EventBridgePublisher, PublishFailed

    real = EventBridgePublisher.publish
    calls = {"n": 0}

    def flaky(self: EventBridgePublisher, events: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise PublishFailed("simulated crash after the transaction")
        real(self, events)

    monkeypatch.setattr(EventBridgePublisher, "publish", flaky)
    pipeline.json("POST", "/api/v2/triggers.json", json.loads(sample("api_trigger_refund_priority.json")),
                  expect=201)
    pipeline.email(sample("email_order_refund.eml"))
    pipeline.dispatcher.drain()
    [ticket] = _tickets(pipeline)
    assert ticket["priority"] == "high" and "refund" in ticket["tags"]  # the trigger saw the event
    assert len(_comments(pipeline, ticket["id"])) == 1
    assert pipeline.dispatcher.invocations["TicketCreateFunction"] == 2  # failed once, redelivered once
    assert pipeline.deps().tickets.get(ticket["id"]).audit_count == 2  # created once, changed by rule once
