"""Webhook requests over HTTP(S) with the standard library: one request, a timeout, no redirects followed."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from helpdesk.ports import EndpointUnreachable, HttpResult, WebhookTransport

MAX_RESPONSE_BYTES = 2048


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is the endpoint's answer, not an instruction to send the signed body elsewhere


class UrllibWebhookTransport(WebhookTransport):
    def __init__(self) -> None:
        self._opener = urllib.request.build_opener(_NoRedirects())

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
