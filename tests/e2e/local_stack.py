"""`helpdesk local` as a user runs it: a child process on a free port, its banner read, called over HTTP."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpdesk.local.runtime import free_port
from tests.support import ROOT

ADMIN_EMAIL = "admin@example.com"
ADMIN_TOKEN = "e2e-admin-token"
META_APP_SECRET = "e2e-meta-app-secret"  # the messaging webhooks' secrets, given as a deployment gives them
TWILIO_AUTH_TOKEN = "e2e-twilio-auth-token"


def helpdesk_command() -> list[str]:
    found = shutil.which("helpdesk", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "helpdesk.cli"]


def child_environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(HELPDESK_ADMIN_EMAIL=ADMIN_EMAIL, HELPDESK_ADMIN_TOKEN=ADMIN_TOKEN,
               HELPDESK_META_APP_SECRET=META_APP_SECRET, HELPDESK_TWILIO_AUTH_TOKEN=TWILIO_AUTH_TOKEN, **extra)
    return env


def meta_signature(raw: bytes) -> str:
    import hashlib
    import hmac

    return "sha256=" + hmac.new(META_APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()


def basic(email: str, token: str) -> str:
    return "Basic " + base64.b64encode(f"{email}/token:{token}".encode()).decode()


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class LocalStackProcess:
    process: subprocess.Popen[str]
    url: str
    banner: list[str]
    log_file: Path
    printed: list[str] = field(default_factory=list)  # what it printed after the banner

    def __post_init__(self) -> None:
        threading.Thread(target=self._read_stdout, daemon=True).start()  # a full pipe would block the child

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.printed.append(line.rstrip("\n"))

    def call(self, method: str, path: str, body: bytes | str | dict[str, Any] | None = None, *,
             auth: str | None = None, content_type: str = "application/json", timeout: float = 120,
             headers: dict[str, str] | None = None) -> Answer:
        data = json.dumps(body).encode() if isinstance(body, dict) else body.encode() if isinstance(
            body, str) else body
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", content_type)
        if auth is not None:
            request.add_header("Authorization", auth)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Answer(int(response.status), response.read(), dict(response.headers))
        except urllib.error.HTTPError as error:
            return Answer(int(error.code), error.read(), dict(error.headers))

    def admin(self, method: str, path: str, body: Any = None, expect: int = 200, timeout: float = 120) -> Any:
        answer = self.call(method, path, body, auth=basic(ADMIN_EMAIL, ADMIN_TOKEN), timeout=timeout)
        assert answer.status == expect, answer.body[:500]
        return answer.json() if answer.body else None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_local_stack(tmp: Path, *args: str, timeout: float = 180) -> LocalStackProcess:
    """Start `helpdesk local` and read its banner up to "Ctrl-C stops it." (the API answers by then)."""
    port = free_port()
    log_file = tmp / "local.log"
    process = subprocess.Popen(
        [*helpdesk_command(), "local", "--port", str(port), "--outbox", str(tmp / "outbox"), "--log", str(log_file),
         *args], cwd=ROOT, env=child_environment(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    banner: list[str] = []
    deadline = time.monotonic() + timeout
    while not banner or banner[-1].strip() != "Ctrl-C stops it.":
        line = process.stdout.readline()
        if not line:
            process.wait(timeout=30)
            raise AssertionError(f"helpdesk local exited ({process.returncode}) after {banner}; see {log_file}")
        banner.append(line.rstrip("\n"))
        assert time.monotonic() < deadline, banner
    found = re.search(r"running on (http://127\.0\.0\.1:\d+)", banner[0])
    assert found, banner
    return LocalStackProcess(process, found.group(1), banner, log_file)
