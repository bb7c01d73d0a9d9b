"""The urllib webhook transport against real local sockets: statuses, redirects, refusals, timeouts, and the
guard that keeps webhooks off loopback, private and link-local addresses unless allowed."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from helpdesk.adapters.webhook_http import UrllibWebhookTransport, public_address
from helpdesk.ports import EndpointForbidden, EndpointUnreachable

SEEN: list[str] = []


def local_transport() -> UrllibWebhookTransport:
    return UrllibWebhookTransport(allow_private_targets=True)


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        SEEN.append(self.path)
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
    result = local_transport().send("POST", f"{server}/{status}", {}, b"{}", 5)
    assert result.status == status


def test_redirects_are_not_followed(server: str) -> None:
    assert local_transport().send("POST", f"{server}/redirect", {}, b"{}", 5).status == 302


def test_a_closed_port_and_a_timeout_are_unreachable(server: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    with pytest.raises(EndpointUnreachable):
        local_transport().send("POST", f"http://127.0.0.1:{closed}/", {}, b"{}", 2)
    with pytest.raises(EndpointUnreachable):
        local_transport().send("POST", f"{server}/slow", {}, b"{}", 0.3)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_by_default_a_loopback_endpoint_is_refused_before_anything_is_sent(server: str, host: str) -> None:
    SEEN.clear()
    url = server.replace("127.0.0.1", host) + "/200"
    with pytest.raises(EndpointForbidden, match="not a public address"):
        UrllibWebhookTransport().send("POST", url, {}, b'{"secret": "x"}', 5)
    assert SEEN == []
    assert local_transport().send("POST", url, {}, b"{}", 5).status == 200  # allowed on the local stack
    assert SEEN == ["/200"]


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.5", "172.16.3.4", "192.168.1.1", "169.254.169.254",
                                     "100.64.0.1", "0.0.0.0", "::1", "fe80::1%eth0", "fd00::1", "::ffff:127.0.0.1",
                                     "::ffff:169.254.169.254", "224.0.0.1"])
def test_private_loopback_and_link_local_addresses_are_not_public(address: str) -> None:
    assert not public_address(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "52.94.236.248", "2606:4700:4700::1111", "::ffff:1.1.1.1"])
def test_internet_addresses_are_public(address: str) -> None:
    assert public_address(address)
