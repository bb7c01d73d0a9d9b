"""Webhooks: Zendesk's signature and the webhook object's validation."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from helpdesk.domain.errors import InvalidInput
from helpdesk.domain.webhooks import Webhook, sign, verify, webhook_id


def test_the_signature_is_zendesks() -> None:
    secret, timestamp, body = "dw8vJM1byx3ZJRWUAEdvUrULMS3IwjnMIO4ajtatR", "2026-11-23T09:00:00Z", '{"a":1}'
    expected = base64.b64encode(hmac.new(secret.encode(), (timestamp + body).encode(), hashlib.sha256).digest())
    assert sign(secret, timestamp, body) == expected.decode()
    assert verify(secret, timestamp, body.encode(), expected.decode())
    assert not verify(secret, "2026-11-23T09:00:01Z", body, expected.decode())
    assert not verify("other", timestamp, body, expected.decode())
    assert not verify(secret, timestamp, '{"a":2}', expected.decode())


def test_a_webhook_round_trips_and_keeps_its_secret_on_update() -> None:
    first = Webhook.from_api({"webhook": {"name": " Claims ", "endpoint": "https://b.example/x",
                                          "http_method": "put"}}, id=4, now_iso="t1", by="1")
    assert (first.name, first.http_method, first.status, first.request_format) == ("Claims", "PUT", "active", "json")
    assert Webhook.from_doc(first.to_doc()) == first
    second = Webhook.from_api({"name": "Claims", "endpoint": "https://b.example/y", "status": "inactive"},
                              id=4, now_iso="t2", by="2", existing=first)
    assert (second.signing_secret, second.created_at, second.updated_at) == (first.signing_secret, "t1", "t2")
    assert not second.active and second.to_api()["signing_secret"]["secret"] is None


def test_secrets_differ() -> None:
    one, two = (Webhook.from_api({"name": "x", "endpoint": "http://127.0.0.1:9/"}, id=i, now_iso="t", by="1")
                for i in (1, 2))
    assert one.signing_secret != two.signing_secret


def test_authentication_is_refused_rather_than_ignored() -> None:
    with pytest.raises(InvalidInput, match="authentication"):
        Webhook.from_api({"name": "x", "endpoint": "https://a.example", "authentication": {"type": "basic_auth"}},
                         id=1, now_iso="t", by="1")


@pytest.mark.parametrize(("raw", "expected"), [("12", 12), (12, 12), ("12.json", 12)])
def test_webhook_ids(raw: object, expected: int) -> None:
    assert webhook_id(raw) == expected


@pytest.mark.parametrize("raw", ["", "0", "-1", "abc", "1.5"])
def test_bad_webhook_ids(raw: str) -> None:
    with pytest.raises(InvalidInput):
        webhook_id(raw)
