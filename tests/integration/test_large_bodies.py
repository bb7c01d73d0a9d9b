"""Large mail and large comments: a text that cannot fit in a DynamoDB item (400 KB) or an event (256 KB) is kept
in S3 and comes back whole through the API, the triggers and the notifications (issue 13, finding 2)."""

from __future__ import annotations

import hashlib
import json
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any

from tests.support import Pipeline, make_email

DEAD_LETTER_QUEUES = ("InboundDeadLetterQueue", "TriggerDeadLetterQueue", "NotifyDeadLetterQueue",
                      "SurveyDeadLetterQueue", "SesInboundDeadLetterQueue")


def long_text(size: int, *, last_words: str = "the end") -> str:
    """About ``size`` bytes of plain text in short lines (no quoting or signature the trimming would cut),
    ending with ``last_words``."""
    lines, total, n = [], 0, 0
    while total < size:
        line = f"Line {n:07d}: the parcel {hashlib.sha256(str(n).encode()).hexdigest()[:24]} is still missing."
        lines.append(line)
        total += len(line) + 1
        n += 1
    lines.append(last_words)
    return "\n".join(lines)


def _comments(p: Pipeline, ticket_id: int) -> list[dict[str, Any]]:
    return list(p.json("GET", f"/api/v2/tickets/{ticket_id}/comments.json")["comments"])


def _only_ticket(p: Pipeline) -> dict[str, Any]:
    [ticket] = p.json("GET", "/api/v2/tickets.json")["tickets"]
    return dict(ticket)


def _nothing_dead_lettered(p: Pipeline) -> None:
    assert p.dispatcher.failures == []
    for queue in DEAD_LETTER_QUEUES:
        assert p.messages(queue) == [], queue


def _mail_becomes_a_whole_ticket(p: Pipeline, size: int) -> None:
    text = long_text(size)
    p.email(make_email(message_id=f"large-{size}@customer.example", body=text))
    p.dispatcher.drain()
    _nothing_dead_lettered(p)
    ticket = _only_ticket(p)
    assert ticket["description"] == text
    [comment] = _comments(p, ticket["id"])
    assert comment["body"] == text
    assert comment["plain_body"] == text + "\n"  # the text part as sent, its last line ended
    assert p.json("GET", f"/api/v2/tickets/{ticket['id']}.json")["ticket"]["description"] == text


def test_a_300_kb_mail_becomes_a_ticket_with_its_whole_text(pipeline: Pipeline) -> None:
    _mail_becomes_a_whole_ticket(pipeline, 300 * 1024)


def test_a_1_mb_mail_becomes_a_ticket_with_its_whole_text(pipeline: Pipeline) -> None:
    _mail_becomes_a_whole_ticket(pipeline, 1024 * 1024)


def test_a_10_mb_mail_with_attachments_becomes_a_ticket_with_its_whole_text(pipeline: Pipeline) -> None:
    text = long_text(1024 * 1024, last_words="Regards, Dana")
    html = "<html><body>" + "".join(f"<p>{line}</p>" for line in text.splitlines()) + "</body></html>"
    mail = MIMEMultipart("mixed")
    mail["From"], mail["To"], mail["Subject"] = "Dana <dana@customer.example>", "support@example.com", "Photos"
    mail["Message-ID"] = "<large-attachments@customer.example>"
    body = MIMEMultipart("alternative")
    body.attach(MIMEText(text, "plain", "utf-8"))
    body.attach(MIMEText(html, "html", "utf-8"))
    mail.attach(body)
    files = {f"photo-{i}.bin": hashlib.sha256(str(i).encode()).digest() * (2 * 1024 * 1024 // 32)
             for i in range(4)}
    for name, data in files.items():
        part = MIMEApplication(data, Name=name)
        part["Content-Disposition"] = f'attachment; filename="{name}"'
        mail.attach(part)
    raw = mail.as_bytes()
    assert len(raw) > 10 * 1000 * 1000
    # SES stores it in S3 and notifies email_ingest: the way in for mail this size (API Gateway and Lambda
    # limit a request to 10 MB and 6 MB, and a binary body travels base64-encoded)
    import boto3

    from tests.support import ses_receipt_event

    key = "inbound/ses/large-attachments"
    boto3.client("s3", region_name="us-east-1").put_object(Bucket=pipeline.stack.env["RAW_MAIL_BUCKET"], Key=key,
                                                           Body=raw)
    pipeline.sqs.send_message(QueueUrl=pipeline.queue_url("SesInboundQueue"),
                              MessageBody=ses_receipt_event(key)["Records"][0]["body"])
    pipeline.dispatcher.drain()
    _nothing_dead_lettered(pipeline)
    ticket = _only_ticket(pipeline)
    assert ticket["description"] == text
    [comment] = _comments(pipeline, ticket["id"])
    assert comment["body"] == text and comment["plain_body"] == text
    assert comment["html_body"] == html
    assert sorted(a["filename"] for a in comment["attachments"]) == sorted(files)
    assert {a["sha256"] for a in comment["attachments"]} == {hashlib.sha256(d).hexdigest() for d in files.values()}


def test_a_1_mb_api_comment_is_kept_whole(pipeline: Pipeline) -> None:
    first, second = long_text(1024 * 1024, last_words="first"), long_text(1024 * 1024, last_words="second")
    created = pipeline.json("POST", "/api/v2/tickets.json",
                            {"ticket": {"subject": "Logs", "comment": {"body": first}}}, expect=201)["ticket"]
    html = "<pre>" + second + "</pre>"
    pipeline.json("PUT", f"/api/v2/tickets/{created['id']}.json",
                  {"ticket": {"comment": {"body": second, "html_body": html, "public": False}}})
    pipeline.dispatcher.drain()
    _nothing_dead_lettered(pipeline)
    assert pipeline.json("GET", f"/api/v2/tickets/{created['id']}.json")["ticket"]["description"] == first
    comments = _comments(pipeline, created["id"])
    assert [c["body"] for c in comments] == [first, second]
    assert comments[1]["html_body"] == html


def test_a_trigger_matches_a_word_at_the_end_of_a_1_mb_comment(pipeline: Pipeline) -> None:
    pipeline.json("POST", "/api/v2/triggers.json", {"trigger": {
        "title": "Escalate on refund", "conditions": {"all": [
            {"field": "comment_includes_word", "operator": "includes", "value": "chargeback"}]},
        "actions": [{"field": "set_tags", "value": "chargeback"},
                    {"field": "notification_user", "value": ["requester_id", "Seen: {{ticket.subject}}",
                                                             "{{ticket.latest_comment}}"]}]}}, expect=201)
    text = long_text(1024 * 1024, last_words="If not refunded I will file a chargeback")
    pipeline.email(make_email(message_id="trigger-large@customer.example", body=text))
    pipeline.dispatcher.drain()
    _nothing_dead_lettered(pipeline)
    ticket = _only_ticket(pipeline)
    assert ticket["tags"] == ["chargeback"]
    sent = _sent_mail(pipeline)
    [notice] = [m for m in sent if "Seen:" in m["Subject"]]
    assert text.splitlines()[-1] in notice["Body"]  # {{ticket.latest_comment}} is the whole comment


def _sent_mail(p: Pipeline) -> list[dict[str, Any]]:
    from email import message_from_string, policy

    from moto.ses.models import ses_backends

    found = []
    for message in ses_backends["123456789012"]["us-east-1"].sent_messages:
        parsed: Any = message_from_string(message.raw_data, policy=policy.default)
        plain = parsed.get_body(preferencelist=("plain",))
        found.append({"Subject": str(parsed["Subject"]), "Body": plain.get_content() if plain else ""})
    return found


def _tap_the_bus(p: Pipeline) -> str:
    """A queue that receives a copy of every event on the bus."""
    import boto3

    url = str(p.sqs.create_queue(QueueName="bus-tap")["QueueUrl"])
    arn = p.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = boto3.client("events", region_name="us-east-1")
    bus = p.stack.env["EVENT_BUS_NAME"]
    events.put_rule(Name="bus-tap", EventBusName=bus, EventPattern=json.dumps({"source": ["helpdesk"]}))
    events.put_targets(Rule="bus-tap", EventBusName=bus, Targets=[{"Id": "tap", "Arn": arn}])
    return url


def _tapped(p: Pipeline, url: str) -> list[str]:
    found: list[str] = []
    while batch := p.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        found += [m["Body"] for m in batch]
        p.sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])
    return found


def test_events_and_items_stay_within_their_limits(pipeline: Pipeline) -> None:
    """What goes on the bus and into each item is bounded: the texts live in S3 under bodies/<ticket>/."""
    import boto3

    tap = _tap_the_bus(pipeline)
    text = long_text(1024 * 1024)
    pipeline.email(make_email(message_id="bounded@customer.example", body=text))
    pipeline.dispatcher.drain()
    ticket = _only_ticket(pipeline)
    pipeline.json("PUT", f"/api/v2/tickets/{ticket['id']}.json",
                  {"ticket": {"status": "solved", "comment": {"body": text + " solved"}}})
    pipeline.dispatcher.drain()
    _nothing_dead_lettered(pipeline)
    published = _tapped(pipeline, tap)
    assert {json.loads(body)["detail-type"] for body in published} >= {"TicketCreated", "TicketUpdated",
                                                                      "ReplyPosted", "TicketSolved"}
    assert max(len(body.encode()) for body in published) < 64 * 1024
    dynamo = boto3.client("dynamodb", region_name="us-east-1")
    env = pipeline.stack.env
    for table in (env["TICKETS_TABLE"], env["ACTIVITY_TABLE"], env["DIRECTORY_TABLE"]):
        for item in dynamo.scan(TableName=table)["Items"]:
            assert len(json.dumps(item)) < 64 * 1024, (table, list(item))
    s3 = boto3.client("s3", region_name="us-east-1")
    stored = s3.list_objects_v2(Bucket=env["RAW_MAIL_BUCKET"], Prefix=f"bodies/{ticket['id']}/")["Contents"]
    # the mail's body (also the description), its text part as sent (a last newline more), the reply
    assert sorted(obj["Size"] for obj in stored) == [len(text), len(text) + 1, len(text) + len(" solved")]


def test_a_large_bounce_keeps_the_whole_report(pipeline: Pipeline) -> None:
    pipeline.email(make_email(message_id="orig@customer.example"))
    pipeline.dispatcher.drain()
    report = long_text(600 * 1024, last_words="End of transcript")
    bounce = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\nTo: support@example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce-large@mx.example.com>\r\n"
        "Date: Mon, 23 Nov 2026 09:05:00 +0000\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        f"--b\r\nContent-Type: text/plain\r\n\r\n{report}\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
        "Final-Recipient: rfc822; dana@customer.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <orig@customer.example>\r\n"
        "Subject: x\r\n--b--\r\n").encode()
    pipeline.email(bounce)
    pipeline.dispatcher.drain()
    _nothing_dead_lettered(pipeline)
    ticket = _only_ticket(pipeline)
    [_, note] = _comments(pipeline, ticket["id"])
    assert note["public"] is False and "5.1.1" in note["body"]
    assert report in note["plain_body"]


class _CountingStore:
    def __init__(self, inner: Any) -> None:
        self.inner, self.gets = inner, 0

    def put(self, key: str, data: bytes, content_type: str = "message/rfc822") -> str:
        return str(self.inner.put(key, data, content_type))

    def get(self, key: str) -> bytes:
        self.gets += 1
        return bytes(self.inner.get(key))


def test_listing_comments_reads_only_the_large_texts(pipeline: Pipeline) -> None:
    """100 comments, none large: no object read; then one large among them: one read."""
    from typing import cast

    from pynamodb.connection import Connection

    from helpdesk.adapters.dynamo.repositories import DynamoTicketRepository
    from helpdesk.adapters.texts import ObjectStoreTexts
    from helpdesk.ports import RawMailStore

    created = pipeline.json("POST", "/api/v2/tickets.json", {"ticket": {"comment": {"body": "first"}}},
                            expect=201)["ticket"]
    for n in range(99):
        pipeline.json("PUT", f"/api/v2/tickets/{created['id']}.json", {"ticket": {"comment": f"note {n}"}})
    deps = pipeline.deps()
    deps.tickets  # noqa: B018 - binds the models to the stack's tables

    def listing() -> tuple[int, list[str]]:
        store = _CountingStore(deps.raw_store)
        repository = DynamoTicketRepository(Connection(region="us-east-1"), lambda: 0,
                                            ObjectStoreTexts(lambda: cast(RawMailStore, store)))
        bodies = [c.body for c in repository.comments(created["id"])]
        return store.gets, bodies

    reads, found = listing()
    assert (reads, len(found)) == (0, 100)
    large = long_text(100 * 1024)
    pipeline.json("PUT", f"/api/v2/tickets/{created['id']}.json", {"ticket": {"comment": large}})
    reads, found = listing()
    assert (reads, len(found), found[-1]) == (1, 101, large)


def test_what_cannot_fit_even_shrunk_is_refused_with_its_reason(pipeline: Pipeline) -> None:
    created = pipeline.json("POST", "/api/v2/tickets.json", {"ticket": {"comment": {"body": "hello"}}},
                            expect=201)["ticket"]
    path = f"/api/v2/tickets/{created['id']}.json"
    too_many = pipeline.call("PUT", path, {"ticket": {"tags": [f"t{i:05d}{'x' * 75}" for i in range(5000)]}})
    assert too_many.status_code == 413, too_many.body
    assert "too large" in json.loads(too_many.body)["description"]
    forged = pipeline.call("PUT", path, {"ticket": {"custom_fields": {"_offloaded": {"subject": "inbound/x"}}}})
    assert forged.status_code == 400 and "reserved" in json.loads(forged.body)["description"]
    assert pipeline.json("GET", path)["ticket"]["tags"] == []  # nothing of either was written


def test_a_rule_too_large_to_store_is_refused_with_413(pipeline: Pipeline) -> None:
    """Rules hold admin-written texts without a bound: one over the item budget was DynamoDB's 400 KB refusal,
    a 500. Every kind of rule is refused before it is written."""
    huge = "Thank you for writing. " * 25_000  # about 575 KB
    trigger = {"trigger": {"title": "Huge", "conditions": {"all": [
        {"field": "update_type", "operator": "is", "value": "Create"}], "any": []},
        "actions": [{"field": "notification_user", "value": ["requester_id", "Hi", huge]}]}}
    macro = {"macro": {"title": "Huge", "actions": [{"field": "comment_value", "value": huge}]}}
    for path, body in (("/api/v2/triggers.json", trigger), ("/api/v2/macros.json", macro)):
        response = pipeline.call("POST", path, body)
        assert response.status_code == 413, response.body
        assert b"limited to 300 KB" in response.body
    assert pipeline.json("GET", "/api/v2/triggers.json")["triggers"] == []
    small = json.loads(json.dumps(trigger).replace(huge, "Thank you for writing."))
    pipeline.json("POST", "/api/v2/triggers.json", small, expect=201)
