"""`helpdesk email parse` (JSON lines, order, error lines, exit codes) and the pure parts of `replay`."""

from __future__ import annotations

import errno
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from helpdesk.cli import main
from helpdesk.email_cli import Progress, ReplaySourceError, Tally, dead_letter_queue_url
from tests.support import EVENTS, make_email


def _lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def test_parse_prints_one_json_object_per_file_in_the_order_given(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    second = tmp_path / "second.eml"
    second.write_bytes(make_email(message_id="second@customer.example", subject="Second"))
    first = EVENTS / "email_order_refund.eml"
    assert main(["email", "parse", str(second), str(first)]) == 0
    lines = _lines(capsys.readouterr().out)
    assert [line["file"] for line in lines] == [str(second), str(first)]
    assert lines[0]["subject"] == "Second" and lines[0]["message_id"] == "second@customer.example"
    assert lines[1]["from"] == {"name": "Alice Martin", "address": "alice@customer.example"}
    assert set(lines[1]) >= {"file", "message_id", "text", "reply_text", "attachments", "kind", "bounce"}


def test_parse_says_why_a_mail_is_automatic_and_whether_a_bounce_is_temporary(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    delayed = tmp_path / "delayed.eml"
    delayed.write_bytes(b"From: MAILER-DAEMON@mx.customer.example\nSubject: Warning: message delayed\n"
                        b"Message-ID: <w@mx>\n\nDelivery to the following recipient has been delayed: "
                        b"slow@customer.example\nDelivery attempts will continue to be made for 4 days.\n")
    person = tmp_path / "person.eml"
    person.write_bytes(make_email(message_id="p@customer.example"))
    assert main(["email", "parse", str(delayed), str(person)]) == 0
    bounce, mail = _lines(capsys.readouterr().out)
    assert (bounce["kind"], bounce["kind_reason"]) == ("bounce", "sender: mailer-daemon")
    assert bounce["bounce"]["recipient"] == "slow@customer.example" and bounce["bounce"]["temporary"] is True
    assert (mail["kind"], mail["kind_reason"], mail["bounce"]) == ("normal", "", None)


def test_a_file_that_cannot_be_read_gets_an_error_line_and_exit_code_1(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    good = EVENTS / "email_order_refund.eml"
    missing = tmp_path / "missing.eml"
    assert main(["email", "parse", str(missing), str(good), str(tmp_path)]) == 1
    lines = _lines(capsys.readouterr().out)
    assert [line["file"] for line in lines] == [str(missing), str(good), str(tmp_path)]
    assert lines[0] == {"file": str(missing), "error": "No such file or directory"}
    assert "error" not in lines[1]
    assert lines[2] == {"file": str(tmp_path), "error": "Is a directory"}


def test_an_unreadable_file_gets_an_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "locked.eml"
    locked.write_bytes(b"Subject: x\n\nbody\n")
    real_read = Path.read_bytes

    def read_bytes(path: Path) -> bytes:  # root reads files whatever their mode: refuse as a normal user is
        if path == locked:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_read(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    assert main(["email", "parse", str(locked), str(EVENTS / "email_order_refund.eml")]) == 1
    lines = _lines(capsys.readouterr().out)
    assert lines[0] == {"file": str(locked), "error": "Permission denied"}
    assert lines[1]["subject"] == "Refund for order #1234"


def test_garbage_still_parses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.eml"
    junk.write_bytes(b"\xff\xfe\x00 not a mail at all")
    assert main(["email", "parse", str(junk)]) == 0
    [line] = _lines(capsys.readouterr().out)
    assert line["message_id"].endswith("@missing.invalid")


def test_replay_needs_exactly_one_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["email", "replay"]) == 2
    assert main(["email", "replay", "some/folder", "--dead-letters"]) == 2
    assert "SOURCE or --dead-letters" in capsys.readouterr().err


def test_the_progress_bar_counts_and_names() -> None:
    stream = io.StringIO()
    progress = Progress(4, stream, width=8)
    for name in ("a.eml", "b.eml", "c.eml", "d.eml"):
        progress.step(name)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "[##......] 1/4 a.eml"
    assert lines[-1] == "[########] 4/4 d.eml"


def test_the_summary_lists_reasons() -> None:
    tally = Tally(queued=2, dropped=["a.eml: our own mail came back (loop)"], failed=["b.eml: the message is empty"])
    assert tally.summary("queued").splitlines() == [
        "2 queued, 1 dropped, 1 failed",
        "  dropped a.eml: our own mail came back (loop)",
        "  failed b.eml: the message is empty",
    ]


class FakeSqs:
    def __init__(self, names: list[str]) -> None:
        self.urls = [f"https://sqs.eu-west-1.amazonaws.com/123456789012/{name}" for name in names]

    def list_queues(self, QueueNamePrefix: str) -> dict[str, list[str]]:
        return {"QueueUrls": [u for u in self.urls if u.rsplit("/", 1)[-1].startswith(QueueNamePrefix)]}


def test_the_dead_letter_queue_is_found_by_name() -> None:
    base = "https://sqs.eu-west-1.amazonaws.com/123456789012/"
    local = FakeSqs(["helpdesk-InboundQueue.fifo", "helpdesk-InboundDeadLetterQueue.fifo"])
    assert dead_letter_queue_url(local, base + "helpdesk-InboundQueue.fifo") == local.urls[1]
    deployed = FakeSqs(["prod-InboundQueue-1AB2.fifo", "prod-InboundDeadLetterQueue-9ZZ8.fifo",
                        "prod-InboundDeadLetterQueue-OLD"])
    assert dead_letter_queue_url(deployed, base + "prod-InboundQueue-1AB2.fifo") == deployed.urls[1]
    with pytest.raises(ReplaySourceError, match="INBOUND_DLQ_URL"):
        dead_letter_queue_url(FakeSqs([]), base + "prod-InboundQueue-1AB2.fifo")
