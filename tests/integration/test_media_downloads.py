"""The providers' media over HTTP (adapters.provider_http.HttpMediaDownloads) against real local servers: which
request carries which credentials, redirects, the size cap while streaming, refusals and unreachable hosts."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from helpdesk.adapters.provider_http import HttpMediaDownloads, MessagingCredentials
from helpdesk.local.fake_providers import FakeProviders
from helpdesk.local.network import free_port
from helpdesk.ports import MediaUnavailable

SID = "AC" + "a" * 32
TWILIO_ACCOUNT = f"{SID}/+14155238886"
DATA = b"a document" * 1000


class _Secrets:
    def get_secret_value(self, SecretId: str) -> dict[str, str]:
        return {"SecretString": json.dumps({"whatsapp_token": "wa-token", "twilio_auth_tokens": {SID: "tw-token"}})}


@pytest.fixture
def provider() -> Iterator[FakeProviders]:
    fake = FakeProviders().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def other() -> Iterator[FakeProviders]:
    fake = FakeProviders().start()
    try:
        yield fake
    finally:
        fake.stop()


def downloads(provider: FakeProviders, *, allow_private: bool = True) -> HttpMediaDownloads:
    return HttpMediaDownloads(MessagingCredentials(_Secrets(), "arn"), whatsapp_base=f"{provider.url}/v21.0",
                              twilio_base=provider.url, allow_private_sources=allow_private)


def test_whatsapp_resolves_the_id_then_downloads_both_with_the_bearer_token(provider: FakeProviders) -> None:
    provider.add_media("42", DATA, "application/pdf", sha256="ab" * 32)
    found = downloads(provider).download("whatsapp", "106540352242922", "42", 10**6)
    assert (found.data, found.content_type, found.sha256) == (DATA, "application/pdf", ("ab" * 32,))
    lookup, media = provider.fetched()
    assert lookup.path == "/v21.0/42?phone_number_id=106540352242922"
    assert lookup.headers["authorization"] == media.headers["authorization"] == "Bearer wa-token"


def test_a_media_id_cannot_walk_out_of_the_api_path(provider: FakeProviders) -> None:
    provider.add_media("42", DATA)
    with pytest.raises(MediaUnavailable):
        downloads(provider).download("whatsapp", "1", "../../media/42?x=", 10**6)
    assert [call.path for call in provider.fetched()] == ["/v21.0/..%2F..%2Fmedia%2F42%3Fx%3D?phone_number_id=1"]


def test_twilio_basic_auth_goes_to_the_accounts_own_media_and_not_through_a_redirect(
        provider: FakeProviders, other: FakeProviders) -> None:
    foreign = other.add_media("stored", DATA, auth=False)
    provider.add_media("ME1", DATA, redirect_to=foreign)
    url = f"{provider.url}/2010-04-01/Accounts/{SID}/Messages/MM1/Media/ME1"
    assert downloads(provider).download("sms", TWILIO_ACCOUNT, url, 10**6).data == DATA
    [asked] = provider.fetched()
    [followed] = other.fetched()
    assert asked.headers["authorization"] == "Basic " + base64.b64encode(f"{SID}:tw-token".encode()).decode()
    assert "authorization" not in followed.headers


def test_twilio_credentials_stay_off_another_accounts_path_on_the_same_host(provider: FakeProviders) -> None:
    provider.add_media("ME2", DATA, auth=False)
    url = f"{provider.url}/2010-04-01/Accounts/{'AC' + 'b' * 32}/Messages/MM1/Media/ME2"
    downloads(provider).download("sms", TWILIO_ACCOUNT, url, 10**6)
    assert "authorization" not in provider.fetched()[0].headers


def test_messenger_urls_never_get_a_token(provider: FakeProviders) -> None:
    url = provider.add_media("fb", DATA, auth=False)
    downloads(provider).download("facebook", "1234567890", url, 10**6)
    downloads(provider).download("instagram_dm", "17841400000000000", url, 10**6)
    assert [call.headers.get("authorization") for call in provider.fetched()] == [None, None]


def test_a_private_address_named_by_a_payload_is_refused_before_any_request(provider: FakeProviders,
                                                                            other: FakeProviders) -> None:
    """Unless the deployment allows private targets (the local stack does), only the configured providers may be
    on a private address: a payload's URL pointing at 127.0.0.1 (a VPC service, the metadata endpoint) is not
    fetched. The configured provider itself still is."""
    url = other.add_media("inner", DATA, auth=False)
    with pytest.raises(MediaUnavailable) as refused:
        downloads(provider, allow_private=False).download("facebook", "1", url, 10**6)
    assert refused.value.reason == "forbidden_source" and not refused.value.retry
    assert other.fetched() == []
    provider.add_media("43", DATA)
    assert downloads(provider, allow_private=False).download("whatsapp", "1", "43", 10**6).data == DATA


@pytest.mark.parametrize(("status", "reason"), [(404, "not_found"), (410, "not_found"), (401, "unauthorized"),
                                                (403, "unauthorized"), (429, "provider_error"),
                                                (500, "provider_error")])
def test_an_http_error_is_a_retryable_reason(provider: FakeProviders, status: int, reason: str) -> None:
    url = provider.add_media("fb", DATA, auth=False)
    provider.fail_media("fb", status)
    with pytest.raises(MediaUnavailable) as failed:
        downloads(provider).download("facebook", "1", url, 10**6)
    assert (failed.value.reason, failed.value.retry) == (reason, True)
    assert f"HTTP {status} from 127.0.0.1" == failed.value.detail


def test_a_declared_size_over_the_cap_is_refused_without_reading(provider: FakeProviders) -> None:
    provider.add_media("big", DATA)
    with pytest.raises(MediaUnavailable) as refused:  # WhatsApp's lookup says file_size
        downloads(provider).download("whatsapp", "1", "big", len(DATA) - 1)
    assert refused.value.reason == "too_large" and not refused.value.retry
    assert [call.provider for call in provider.fetched()] == ["whatsapp_media"]
    url = provider.add_media("big2", DATA, auth=False)
    with pytest.raises(MediaUnavailable) as refused:  # Content-Length says it
        downloads(provider).download("facebook", "1", url, len(DATA) - 1)
    assert refused.value.reason == "too_large"


class _Streaming(BaseHTTPRequestHandler):
    """Answers without Content-Length (HTTP/1.0: the body ends when the connection closes)."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.end_headers()
        for _ in range(64):
            self.wfile.write(b"x" * 16384)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def streaming() -> Iterator[str]:
    httpd = HTTPServer(("127.0.0.1", 0), _Streaming)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/video"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_an_undeclared_size_is_capped_while_streaming(provider: FakeProviders, streaming: str) -> None:
    assert len(downloads(provider).download("facebook", "1", streaming, 2**20).data) == 2**20
    with pytest.raises(MediaUnavailable) as refused:
        downloads(provider).download("facebook", "1", streaming, 2**20 - 1)
    assert refused.value.reason == "too_large"


def test_redirect_loops_and_other_schemes_are_not_followed(provider: FakeProviders) -> None:
    loop = f"{provider.url}/media/loop"
    provider.add_media("loop", DATA, auth=False, redirect_to=loop)
    with pytest.raises(MediaUnavailable) as looped:
        downloads(provider).download("facebook", "1", loop, 10**6)
    assert looped.value.reason == "too_many_redirects" and len(provider.fetched()) == 4
    provider.add_media("to-file", DATA, auth=False, redirect_to="file:///etc/passwd")
    with pytest.raises(MediaUnavailable) as bad:
        downloads(provider).download("facebook", "1", f"{provider.url}/media/to-file", 10**6)
    assert bad.value.reason == "bad_url" and not bad.value.retry


def test_an_unreachable_host_is_retryable(provider: FakeProviders) -> None:
    with pytest.raises(MediaUnavailable) as failed:
        downloads(provider).download("facebook", "1", f"http://127.0.0.1:{free_port()}/x", 10**6)
    assert failed.value.reason == "unreachable" and failed.value.retry


def test_a_channel_without_media_or_a_bad_twilio_account_is_not_retried(provider: FakeProviders) -> None:
    for channel, account in (("web_widget", "key"), ("sms", "ACnot-an-account")):
        with pytest.raises(MediaUnavailable) as failed:
            downloads(provider).download(channel, account, f"{provider.url}/media/x", 10**6)
        assert failed.value.reason == "no_source" and not failed.value.retry
