"""WhatsApp Cloud, the Messenger Send API and Twilio's Messages API, faked on 127.0.0.1 for the local stack and the
tests: each send is answered as the provider answers it (a message id), recorded, and written into a folder as a
JSON file (``method``, ``url``, ``body``) next to the outbox's .eml files. A test can script the next answers of a
provider (an error code, a throttle) to see how the product reacts.

Media a person sent are served as the providers serve them, once added with ``add_media``: WhatsApp's
``GET /v21.0/<media id>`` (bearer token required) answers the download URL with its ``mime_type``, ``sha256`` (hex)
and ``file_size``; ``GET /media/<id>`` is that download (a Messenger attachment URL, or a CDN, when added without
``auth``); Twilio's ``GET /2010-04-01/Accounts/<sid>/Messages/<MM>/Media/<id>`` needs basic auth. A media can
fail its next downloads with a status (``fail_media``) or redirect elsewhere (another fake: a CDN, an attacker).
Every GET is recorded as a call and written into the folder too."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
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
class FakeMedia:
    data: bytes
    mime_type: str
    sha256: str  # what WhatsApp's media endpoint answers (hex)
    auth: bool  # the download needs an Authorization header (WhatsApp, Twilio), or not (Messenger, a CDN)
    url: str | None = None  # where WhatsApp's media endpoint says it is (default: this server's /media/<id>)
    redirect_to: str | None = None
    failures: deque[int] = field(default_factory=deque)


WHATSAPP_MEDIA = re.compile(r"/v\d+\.\d+/([A-Za-z0-9_.-]+)")
MEDIA = re.compile(r"/media/([A-Za-z0-9_.-]+)")
TWILIO_MEDIA = re.compile(r"/2010-04-01/Accounts/AC[0-9a-fA-F]{32}/Messages/[A-Za-z0-9]+/Media/([A-Za-z0-9_.-]+)")


@dataclass
class FakeProviders:
    folder: Path | None = None
    calls: list[Call] = field(default_factory=list)
    scripted: dict[str, deque[tuple[int, Any]]] = field(default_factory=dict)
    media: dict[str, FakeMedia] = field(default_factory=dict)
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

            def do_GET(self) -> None:
                status, headers, data = fake.handle_get(self.path, dict(self.headers))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
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

    def add_media(self, media_id: str, data: bytes, mime_type: str = "image/jpeg", *, auth: bool = True,
                  sha256: str | None = None, url: str | None = None, redirect_to: str | None = None) -> str:
        """Serve a media under ``media_id``; returns its download URL on this server."""
        with self._lock:
            self.media[media_id] = FakeMedia(data, mime_type, sha256 or hashlib.sha256(data).hexdigest(), auth, url,
                                             redirect_to)
        return f"{self.url}/media/{media_id}"

    def fail_media(self, media_id: str, status: int, times: int = 1) -> None:
        """Answer the next ``times`` requests for the media (its lookup or its download) with ``status``."""
        with self._lock:
            self.media[media_id].failures.extend([status] * times)

    def fetched(self, provider: str | None = None) -> list[Call]:
        """The GETs received: ``whatsapp_media`` (media id lookups), ``media`` (downloads), ``twilio_media``."""
        return [c for c in self.sent(provider) if c.method == "GET"]

    def handle_get(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        route = path.split("?", 1)[0]
        kinds = (("twilio_media", TWILIO_MEDIA), ("media", MEDIA), ("whatsapp_media", WHATSAPP_MEDIA))
        provider, media_id = next(((name, found.group(1)) for name, pattern in kinds
                                   if (found := pattern.fullmatch(route))), ("unknown", ""))
        lowered = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            number = next(self._numbers)
            call = Call(provider, "GET", path, lowered, None)
            self.calls.append(call)
            media = self.media.get(media_id)
            failure = media.failures.popleft() if media is not None and media.failures else None
        self._write(number, call)
        if media is None:
            return _json(404 if provider != "whatsapp_media" else 400, {"error": {
                "message": f"Unsupported get request. Object with ID '{media_id}' does not exist", "code": 100}})
        if failure is not None:
            return _json(failure, {"error": {"message": f"scripted failure {failure}"}})
        if (provider == "whatsapp_media" or media.auth) and not lowered.get("authorization"):
            return _json(401, {"error": {"message": "Authentication required", "code": 190}})
        if provider == "whatsapp_media":
            return _json(200, {"messaging_product": "whatsapp", "url": media.url or f"{self.url}/media/{media_id}",
                               "mime_type": media.mime_type, "sha256": media.sha256,
                               "file_size": len(media.data), "id": media_id})
        if media.redirect_to:
            return 302, {"Location": media.redirect_to}, b""
        return 200, {"Content-Type": media.mime_type}, media.data

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
        what = "send" if call.method == "POST" else "fetch"
        (self.folder / f"{number:04d}-{call.provider}-{what}.json").write_text(json.dumps(document, indent=2))


def _json(status: int, document: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(document).encode()
