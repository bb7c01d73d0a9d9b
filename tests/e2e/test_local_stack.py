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


def test_the_demo_shows_the_whole_pipeline(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HELPDESK_ADMIN_TOKEN"] = "e2e-token"
    result = subprocess.run(
        [*_helpdesk(), "local", "--demo", "--json", "--port", str(free_port()), "--outbox", str(tmp_path / "out")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
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
        ok = urllib.request.urlopen(urllib.request.Request(url, data=b'{"minutes": 2}', method="POST"))
        assert json.loads(ok.read())["advanced_minutes"] == 2
    finally:
        process.terminate()
        process.wait(timeout=30)
