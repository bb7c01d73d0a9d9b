"""The urllib webhook transport against real local sockets: statuses, redirects, refusals and timeouts."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from helpdesk.adapters.webhook_http import UrllibWebhookTransport
from helpdesk.ports import EndpointUnreachable


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/elsewhere")
        elif self.path == "/slow":
            threading.Event().wait(2)
            self.send_response(200)
        else:
            self.send_response(int(self.path.strip("/") or 200))
        self.end_headers()
        self.wfile.write(b"answer")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize("status", [200, 204, 400, 429, 500])
def test_every_status_is_returned(server: str, status: int) -> None:
    result = UrllibWebhookTransport().send("POST", f"{server}/{status}", {}, b"{}", 5)
    assert result.status == status


def test_redirects_are_not_followed(server: str) -> None:
    assert UrllibWebhookTransport().send("POST", f"{server}/redirect", {}, b"{}", 5).status == 302


def test_a_closed_port_and_a_timeout_are_unreachable(server: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    with pytest.raises(EndpointUnreachable):
        UrllibWebhookTransport().send("POST", f"http://127.0.0.1:{closed}/", {}, b"{}", 2)
    with pytest.raises(EndpointUnreachable):
        UrllibWebhookTransport().send("POST", f"{server}/slow", {}, b"{}", 0.3)
