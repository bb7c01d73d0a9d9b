"""End to end: `helpdesk local --demo --json` on the local stack (moto server, HTTP API, dispatcher, clock)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from helpdesk.local.runtime import free_port
from tests.support import ROOT


def _helpdesk() -> list[str]:
    found = shutil.which("helpdesk", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "helpdesk.cli"]


def _demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HELPDESK_ADMIN_TOKEN"] = "e2e-token"
    return subprocess.run(
        [*_helpdesk(), "local", "--demo", *args, "--port", str(free_port()), "--outbox", str(tmp_path / "out"),
         "--log", str(tmp_path / "local.log")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_the_demo_shows_the_whole_pipeline(tmp_path: Path) -> None:
    result = _demo(tmp_path, "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert summary["problems"] == []
    assert len(summary["tickets"]) >= 3
    assert summary["threaded_replies"]
    assert summary["triggers_fired"]
    assert any(0 <= b["seconds_after_due"] <= 60 for b in summary["sla_breaches"])
    assert summary["surveys_sent"] and summary["ratings"]
    mails = sorted((tmp_path / "out").glob("*.eml"))
    assert len(mails) == len(summary["emails_sent"]) >= 3
    assert summary["failures"] == []
    assert summary["messages_in"] >= 2 and summary["channels"]["whatsapp"] == 1  # issue 7: a WhatsApp conversation
    assert any(m["provider"] == "whatsapp" for m in summary["messages_out"])
    assert summary["channels"]["web_widget"] == 1  # and a web chat conversation, the reply shown in the widget
    assert any(m["provider"] == "web_widget" for m in summary["messages_out"])
    calls = [json.loads(p.read_text()) for p in sorted((tmp_path / "out").glob("*-send.json"))]
    sent = [m for m in summary["messages_out"] if m["provider"] != "web_widget"]
    assert len(calls) == len(sent) and all({"method", "url", "body"} <= set(c) for c in calls)


def test_the_demo_reads_like_a_product(tmp_path: Path) -> None:
    """Issue 12: a progress line per step and the summary, under 100 lines; every request log in the log file."""
    result = _demo(tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = (result.stdout + result.stderr).splitlines()
    assert len(lines) < 100, lines
    steps = [line.split("]")[0] + "]" for line in lines if line.startswith("[")]
    assert steps == [f"[{i}/{len(steps)}]" for i in range(1, len(steps) + 1)] and len(steps) >= 10
    assert "Tickets" in result.stdout and "SLA breaches:" in result.stdout and "Surveys sent: 1" in result.stdout
    assert "Messages in: " in result.stdout and "whatsapp 1" in result.stdout and "web_widget 1" in result.stdout
    assert not any("HTTP/1.1" in line for line in lines)  # the request logs went to the log file
    assert "HTTP/1.1" in (tmp_path / "local.log").read_text()
    assert str(tmp_path / "local.log") in result.stderr


def test_the_clock_endpoint_refuses_bad_input(tmp_path: Path) -> None:
    import time
    import urllib.error
    import urllib.request

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen([*_helpdesk(), "local", "--port", str(port), "--outbox", str(tmp_path)],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert f"127.0.0.1:{port}" in banner
        deadline = time.monotonic() + 60
        url = f"http://127.0.0.1:{port}/_local/clock/advance"
        while True:
            try:
                urllib.request.urlopen(urllib.request.Request(url, data=b'{"minutes": -5}', method="POST"))
            except urllib.error.HTTPError as error:
                assert error.code == 400
                assert b"minutes" in error.read()
                break
            except urllib.error.URLError:
                assert time.monotonic() < deadline
                time.sleep(0.5)
        for garbage in (b"\xff\xfe{", b"[" * 20_000, b"null", b'{"minutes": true}'):  # each answered, 400
            try:
                urllib.request.urlopen(urllib.request.Request(url, data=garbage, method="POST"))
                raise AssertionError(f"{garbage[:20]!r} was accepted")
            except urllib.error.HTTPError as error:
                assert error.code == 400, garbage[:20]
        ok = urllib.request.urlopen(urllib.request.Request(url, data=b'{"minutes": 2}', method="POST"))
        assert json.loads(ok.read())["advanced_minutes"] == 2
    finally:
        process.terminate()
        process.wait(timeout=30)
