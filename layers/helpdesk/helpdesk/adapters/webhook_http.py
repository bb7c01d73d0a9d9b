"""Webhook requests over HTTP(S) with the standard library: one request, a timeout, no redirects followed.

A webhook's endpoint is typed by an admin, so it may name anything the function's network can reach: the instance
metadata service (169.254.169.254), a VPC-internal service, localhost. Unless private targets are allowed (the
local stack, whose backends live on 127.0.0.1), the address a connection actually reached is checked before the
request is sent: checking the socket's peer rather than a DNS answer also defeats a name that resolves to a public
address when validated and to a private one when used.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from helpdesk.ports import EndpointForbidden, EndpointUnreachable, HttpResult, WebhookTransport

MAX_RESPONSE_BYTES = 2048


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is the endpoint's answer, not an instruction to send the signed body elsewhere


def public_address(address: str) -> bool:
    """Whether an IP address belongs to the public internet (IPv4-mapped IPv6 judged as the IPv4 it maps)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _guarded_connect(connect: Callable[..., socket.socket]) -> Callable[..., socket.socket]:
    def create_connection(*args: Any, **kwargs: Any) -> socket.socket:
        sock = connect(*args, **kwargs)
        peer = str(sock.getpeername()[0])
        if not public_address(peer):
            sock.close()
            raise EndpointForbidden(f"{args[0][0] if args else 'the endpoint'} is {peer}, not a public address")
        return sock

    return create_connection


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _guarded_connect(socket.create_connection)


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _guarded_connect(socket.create_connection)  # checked before the TLS handshake


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_GuardedHTTPConnection, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_GuardedHTTPSConnection, req)


def guarded_opener(allow_private_targets: bool = False) -> urllib.request.OpenerDirector:
    """An opener that follows no redirect (a 3xx raises HTTPError, the caller decides) and, unless private targets
    are allowed, raises EndpointForbidden before sending a byte to an address outside the public internet."""
    # no proxies from the environment: through a proxy the peer checked would be the proxy, not the endpoint
    handlers: list[urllib.request.BaseHandler] = [_NoRedirects(), urllib.request.ProxyHandler({})]
    if not allow_private_targets:
        handlers += [_GuardedHTTPHandler(), _GuardedHTTPSHandler()]
    return urllib.request.build_opener(*handlers)


class UrllibWebhookTransport(WebhookTransport):
    def __init__(self, allow_private_targets: bool = False) -> None:
        self._opener = guarded_opener(allow_private_targets)

    def send(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None,
             timeout: float) -> HttpResult:
        request = urllib.request.Request(url, data=body, headers=dict(headers), method=method)
        try:
            with self._opener.open(request, timeout=timeout) as response:
                return HttpResult(int(response.status), _excerpt(response))
        except urllib.error.HTTPError as error:
            with error:
                return HttpResult(int(error.code), _excerpt(error))
        except (http.client.HTTPException, OSError) as error:  # URLError, timeouts and TLS errors are OSErrors
            raise EndpointUnreachable(f"{method} {url}: {error}") from error


def _excerpt(response: Any) -> str:
    try:
        data = response.read(MAX_RESPONSE_BYTES)
    except (OSError, http.client.HTTPException):
        return ""
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else ""
