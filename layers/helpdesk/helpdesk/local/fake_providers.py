"""WhatsApp Cloud, the Messenger Send API and Twilio's Messages API, faked on 127.0.0.1 for the local stack and the
tests: each send is answered as the provider answers it (a message id), recorded, and written into a folder as a
JSON file (``method``, ``url``, ``body``) next to the outbox's .eml files. A test can script the next answers of a
provider (an error code, a throttle) to see how the product reacts."""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from helpdesk.local.network import free_port


@dataclass
class Call:
    provider: str  # whatsapp | messenger | twilio
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # the JSON document, or the form as a list of pairs


@dataclass
class FakeProviders:
    folder: Path | None = None
    calls: list[Call] = field(default_factory=list)
    scripted: dict[str, deque[tuple[int, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _numbers: Any = field(default_factory=lambda: itertools.count(1))
    _server: ThreadingHTTPServer | None = None

    def start(self) -> FakeProviders:
        port = free_port()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, answer = fake.handle(self.path, dict(self.headers), raw)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self._server.serve_forever, name="fake-providers", daemon=True).start()
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def answer_next(self, provider: str, status: int, body: Any) -> None:
        """Answer the next send to ``provider`` with this status and body instead of a success."""
        with self._lock:
            self.scripted.setdefault(provider, deque()).append((status, body))

    def sent(self, provider: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if provider is None or c.provider == provider]

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        if "/Accounts/" in path and path.endswith("/Messages.json"):
            provider, body = "twilio", parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
        else:
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                return 400, {"error": {"message": "the body is not JSON", "code": 100}}
            provider = "whatsapp" if isinstance(body, dict) and body.get("messaging_product") else "messenger"
        with self._lock:
            number = next(self._numbers)
            call = Call(provider, "POST", path, {k.lower(): v for k, v in headers.items()}, body)
            self.calls.append(call)
            script = self.scripted.get(provider)
            scripted = script.popleft() if script else None
        self._write(number, call)
        if scripted is not None:
            return scripted
        return 200 if provider != "twilio" else 201, self._success(provider, body, number)

    @staticmethod
    def _success(provider: str, body: Any, number: int) -> Any:
        if provider == "whatsapp":
            to = body.get("to") or body.get("recipient")
            return {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                    "messages": [{"id": f"wamid.FAKE{number:06d}{uuid.uuid4().hex[:8]}"}]}
        if provider == "messenger":
            return {"recipient_id": (body.get("recipient") or {}).get("id"), "message_id": f"m_FAKE{number:06d}"}
        form = dict(body)
        return {"sid": f"SM{uuid.uuid4().hex}", "status": "queued", "to": form.get("To"), "from": form.get("From"),
                "body": form.get("Body"), "error_code": None, "error_message": None}

    def _write(self, number: int, call: Call) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        document = {"method": call.method, "url": call.path, "body": call.body}
        (self.folder / f"{number:04d}-{call.provider}-send.json").write_text(json.dumps(document, indent=2))
