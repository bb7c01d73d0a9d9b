"""The web chat visitor's signed token, and a visitor's message as every channel's messages are."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.channels.messaging import web_widget
from helpdesk.channels.messaging.items import Identity
from helpdesk.domain.errors import ContentTooLarge, InvalidInput, VisitorTokenRejected

KEY = b"widget-key-for-tests"
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _reason(key: bytes, token: str | None, now: datetime = NOW) -> str:
    with pytest.raises(VisitorTokenRejected) as refused:
        web_widget.read_token(key, token, now)
    return str(refused.value)


def test_a_token_names_its_visitor_until_it_expires() -> None:
    token, visitor = web_widget.issue(KEY, "acme", NOW, email="dana@example.com", name="Dana")
    assert web_widget.read_token(KEY, token, NOW + timedelta(days=29)) == visitor
    assert visitor.conversation == f"web_widget#acme#webchat:{visitor.id}"
    assert "expired" in _reason(KEY, token, NOW + web_widget.TOKEN_LIFETIME)


def test_a_renewed_token_keeps_the_visitor() -> None:
    _, first = web_widget.issue(KEY, "acme", NOW)
    token, renewed = web_widget.issue(KEY, "acme", NOW + timedelta(days=20), visitor_id=first.id)
    assert renewed.id == first.id and renewed.expires_at > first.expires_at
    assert web_widget.read_token(KEY, token, NOW + timedelta(days=45)).id == first.id


def test_a_token_signed_with_another_key_is_refused() -> None:
    token, _ = web_widget.issue(b"another deployment's key", "acme", NOW)
    assert "signature does not verify" in _reason(KEY, token)


def test_forged_claims_are_refused() -> None:
    token, _ = web_widget.issue(KEY, "acme", NOW)
    version, body, mac = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    for forged in ({**claims, "v": "someone-elses-visitor-id"}, {**claims, "x": claims["x"] + 10**6},
                   {**claims, "w": "other-brand"}):
        forged_body = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
        assert "signature does not verify" in _reason(KEY, f"{version}.{forged_body}.{mac}")
    assert "signature does not verify" in _reason(KEY, f"{version}.{body}.{'A' * len(mac)}")


@pytest.mark.parametrize("token", ["", "   ", None, "v1.abc", "v2.a.b", "v1.a.b.c", "v1.é.x", "v1.a." + "x" * 2000,
                                   "v1.a.!!!"])
def test_missing_and_malformed_tokens_are_refused_with_a_reason(token: str | None) -> None:
    reason = _reason(KEY, token)
    assert "malformed" in reason or "no visitor token" in reason


def test_signed_but_unreadable_claims_are_refused() -> None:
    import hashlib
    import hmac

    for claims in (b"[1, 2]", b'{"v": "short", "w": "acme", "x": 99999999999}', b"not json"):
        body = base64.urlsafe_b64encode(claims).rstrip(b"=").decode()
        mac = base64.urlsafe_b64encode(hmac.new(KEY, f"v1.{body}".encode(), hashlib.sha256).digest())
        assert "unreadable" in _reason(KEY, f"v1.{body}.{mac.rstrip(b'=').decode()}")


def test_without_a_key_no_token_is_issued_or_accepted() -> None:
    token, _ = web_widget.issue(KEY, "acme", NOW)
    assert "signing key" in _reason(b"", token)
    with pytest.raises(VisitorTokenRejected):
        web_widget.issue(b"", "acme", NOW)


def test_a_message_is_the_inbound_message_every_channel_produces() -> None:
    _, visitor = web_widget.issue(KEY, "acme", NOW, email="dana@example.com", name="Dana")
    item = web_widget.inbound_message(visitor, "msg-0001-abc", "Where is my order?", NOW)
    assert (item.channel, item.account, item.sender) == ("web_widget", "acme", Identity("webchat", visitor.id))
    assert item.provider_id == f"{visitor.id}.msg-0001-abc"  # scoped: another visitor's same id is another message
    assert item.identities == (Identity("email", "dana@example.com"),)
    assert item.conversation == visitor.conversation and item.name == "Dana"
    ref = f"web_widget:acme:{item.provider_id}"
    assert web_widget.client_id_of(ref, visitor) == "msg-0001-abc"
    _, other = web_widget.issue(KEY, "acme", NOW)
    assert web_widget.client_id_of(ref, other) is None


def test_bad_messages_are_refused_with_the_reason() -> None:
    _, visitor = web_widget.issue(KEY, "acme", NOW)
    with pytest.raises(InvalidInput, match="message id"):
        web_widget.inbound_message(visitor, "short", "hi", NOW)
    with pytest.raises(InvalidInput, match="empty message"):
        web_widget.inbound_message(visitor, "msg-0001-abc", "   ", NOW)
    with pytest.raises(ContentTooLarge):
        web_widget.message_text("x" * (web_widget.MAX_TEXT_CHARS + 1))
    with pytest.raises(InvalidInput):
        web_widget.message_text(42)
    with pytest.raises(InvalidInput, match="widget"):
        web_widget.issue(KEY, "no spaces please", NOW)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=300), st.from_regex(r"\Av1\.[A-Za-z0-9_-]{0,200}\.[A-Za-z0-9_-]{0,60}\Z")))
def test_any_string_is_refused_as_a_token_and_never_raises_anything_else(token: str) -> None:
    with pytest.raises(VisitorTokenRejected):
        web_widget.read_token(KEY, token, NOW)
