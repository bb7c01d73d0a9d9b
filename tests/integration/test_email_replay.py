"""`helpdesk email replay` on the whole pipeline (moto): folders, S3, the inbound dead-letter queue, dry runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from helpdesk.cli import main
from tests.support import Pipeline, make_email, sample


def _tickets(p: Pipeline) -> list[dict[str, Any]]:
    return list(p.json("GET", "/api/v2/tickets.json")["tickets"])


def _comments(p: Pipeline, ticket_id: int) -> list[dict[str, Any]]:
    return list(p.json("GET", f"/api/v2/tickets/{ticket_id}/comments.json")["comments"])


def _keys(p: Pipeline, prefix: str) -> list[str]:
    s3 = boto3.client("s3", region_name="us-east-1")
    listed = s3.list_objects_v2(Bucket=p.stack.env["RAW_MAIL_BUCKET"], Prefix=prefix)
    return [str(o["Key"]) for o in listed.get("Contents", [])]


def _mail_folder(root: Path) -> Path:
    (root / "2026" / "11").mkdir(parents=True)
    (root / "2026" / "11" / "b.eml").write_bytes(sample("email_order_refund.eml"))
    (root / "a.eml").write_bytes(make_email(message_id="replay-a@customer.example", subject="Lost parcel"))
    (root / "notes.txt").write_text("not mail: ignored")
    return root


def test_replaying_a_folder_twice_makes_each_ticket_once(pipeline: Pipeline, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    folder = _mail_folder(tmp_path / "mail")
    assert main(["email", "replay", str(folder)]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == ["2 queued, 0 dropped, 0 failed"]
    assert out.err.splitlines() == ["[##########..........] 1/2 2026/11/b.eml", "[####################] 2/2 a.eml"]
    pipeline.dispatcher.drain()
    assert main(["email", "replay", str(folder)]) == 0  # already ticketed: idempotency makes this a no-op
    pipeline.dispatcher.drain()
    tickets = _tickets(pipeline)
    assert sorted(t["subject"] for t in tickets) == ["Lost parcel", "Refund for order #1234"]
    assert all(len(_comments(pipeline, t["id"])) == 1 for t in tickets)
    assert pipeline.dispatcher.failures == []
    assert len(_keys(pipeline, "inbound/replay/")) == 2


def test_failures_and_drops_are_counted_with_their_reasons(pipeline: Pipeline, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty.eml").write_bytes(b"  \n")
    ours = pipeline.deps().settings.sender_address
    (tmp_path / "loop.eml").write_bytes(make_email(message_id="loop@x.example", sender=ours))
    (tmp_path / "ok.eml").write_bytes(make_email(message_id="ok@customer.example"))
    assert main(["email", "replay", str(tmp_path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "1 queued, 1 dropped, 1 failed"
    assert lines[1:] == ["  dropped loop.eml: our own mail came back (loop)",
                         "  failed empty.eml: the message is empty"]


def test_a_dry_run_queues_and_stores_nothing(pipeline: Pipeline, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    folder = _mail_folder(tmp_path / "mail")
    assert main(["email", "replay", str(folder), "--dry-run"]) == 0
    assert capsys.readouterr().out.startswith("2 would be queued (dry run), 0 dropped, 0 failed")
    assert pipeline.messages("InboundQueue") == []
    assert _keys(pipeline, "inbound/") == []
    pipeline.dispatcher.drain()
    assert _tickets(pipeline) == []


def test_replay_from_s3_queues_every_object_under_the_prefix(pipeline: Pipeline,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="mail-archive")
    s3.put_object(Bucket="mail-archive", Key="ses/2026/msg-1", Body=sample("email_invoice_question.eml"))
    s3.put_object(Bucket="mail-archive", Key="ses/2026/msg-2", Body=sample("email_password_reset.eml"))
    s3.put_object(Bucket="mail-archive", Key="other/msg-3", Body=sample("email_order_refund.eml"))
    assert main(["email", "replay", "s3://mail-archive/ses/"]) == 0
    assert capsys.readouterr().out.startswith("2 queued,")
    pipeline.dispatcher.drain()
    assert len(_tickets(pipeline)) == 2


def test_replay_of_the_raw_mail_bucket_queues_the_stored_keys_without_copies(pipeline: Pipeline) -> None:
    pipeline.email(sample("email_order_refund.eml"))
    pipeline.dispatcher.drain()
    before = _keys(pipeline, "inbound/")
    assert main(["email", "replay", f"s3://{pipeline.stack.env['RAW_MAIL_BUCKET']}/inbound/"]) == 0
    pipeline.dispatcher.drain()
    assert _keys(pipeline, "inbound/") == before
    [ticket] = _tickets(pipeline)
    assert len(_comments(pipeline, ticket["id"])) == 1


def test_a_dead_letter_comes_back_and_becomes_a_ticket(pipeline: Pipeline,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    pipeline.email(sample("email_order_refund.eml"))
    [key] = _keys(pipeline, "inbound/")
    s3 = boto3.client("s3", region_name="us-east-1")
    bucket = pipeline.stack.env["RAW_MAIL_BUCKET"]
    kept = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    s3.delete_object(Bucket=bucket, Key=key)  # the raw mail is missing for a while: every delivery fails
    pipeline.dispatcher.drain()
    assert _tickets(pipeline) == []
    [dead] = pipeline.messages("InboundDeadLetterQueue")
    pipeline.sqs.change_message_visibility(QueueUrl=pipeline.queue_url("InboundDeadLetterQueue"),
                                           ReceiptHandle=dead["ReceiptHandle"], VisibilityTimeout=0)
    s3.put_object(Bucket=bucket, Key=key, Body=kept)  # fixed

    assert main(["email", "replay", "--dead-letters", "--dry-run"]) == 0
    assert capsys.readouterr().out.startswith("1 would be moved back, 0 dropped, 0 failed")
    assert main(["email", "replay", "--dead-letters"]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("1 moved back to the inbound queue, 0 dropped, 0 failed")
    assert "1/1 CAF1-order-1234@mail.customer.example" in out.err
    assert pipeline.messages("InboundDeadLetterQueue") == []
    [back] = pipeline.messages("InboundQueue")
    assert back["Body"] == dead["Body"]
    assert back["Attributes"]["MessageGroupId"] == dead["Attributes"]["MessageGroupId"]
    assert back["Attributes"]["MessageDeduplicationId"] != dead["Attributes"]["MessageDeduplicationId"]
    pipeline.sqs.change_message_visibility(QueueUrl=pipeline.queue_url("InboundQueue"),
                                           ReceiptHandle=back["ReceiptHandle"], VisibilityTimeout=0)
    pipeline.dispatcher.drain()
    [ticket] = _tickets(pipeline)
    assert ticket["subject"] == "Refund for order #1234"
    assert len(_comments(pipeline, ticket["id"])) == 1


def test_the_dead_letter_queue_url_can_be_given(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("INBOUND_DLQ_URL", pipeline.queue_url("InboundQueue"))
    assert main(["email", "replay", "--dead-letters"]) == 2
    assert "the same queue" in capsys.readouterr().err


def test_a_missing_folder_is_a_bad_source(pipeline: Pipeline, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["email", "replay", str(tmp_path / "nowhere")]) == 2
    assert "neither a folder" in capsys.readouterr().err
