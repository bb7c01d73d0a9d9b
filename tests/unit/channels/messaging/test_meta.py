"""Meta webhooks (WhatsApp, Messenger, Instagram): the X-Hub-Signature-256 of every POST is checked over the exact
bytes received, and the subscription handshake answers only our verify token."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.channels.messaging.meta import HandshakeRefused, SendResult, graph_failure, handshake, verify_signature
from helpdesk.domain.errors import Forbidden, InvalidSignature
from tests.support import corpus

SECRET = "test-app-secret"
# What Meta sends: non-ASCII text escaped (\u00e9); a body with the same text unescaped is other bytes.
ESCAPED = (b'{"object":"page","entry":[{"id":"1","messaging":[{"message":{"mid":"m.1",'
           b'"text":"Caf\\u00e9 \\ud83d\\ude00 \\u05e9\\u05dc\\u05d5\\u05dd"}}]}]}')


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_a_signature_over_the_raw_bytes_passes_escaped_or_not() -> None:
    unescaped = json.dumps(json.loads(ESCAPED), ensure_ascii=False, separators=(",", ":")).encode()
    assert "Café 😀 שלום".encode() in unescaped
    for body in (ESCAPED, unescaped):
        verify_signature(body, sign(body), SECRET)


def test_a_signature_over_a_reserialised_body_is_refused() -> None:
    """What a framework that parses then re-dumps the JSON would check: other bytes, so not Meta's signature."""
    for reserialised in (json.dumps(json.loads(ESCAPED)).encode(),
                         json.dumps(json.loads(ESCAPED), ensure_ascii=False, separators=(",", ":")).encode()):
        assert reserialised != ESCAPED
        with pytest.raises(InvalidSignature, match="does not match"):
            verify_signature(reserialised, sign(ESCAPED), SECRET)


@pytest.mark.parametrize(("header", "reason"), [
    (None, "missing"), ("", "missing"), ("   ", "missing"),
    ("sha256", "does not start"), ("sha512=" + "0" * 64, "does not start"), ("md5=abc", "does not start"),
    ("sha256=", "64 hexadecimal"), ("sha256=xyz", "64 hexadecimal"), ("sha256=" + "g" * 64, "64 hexadecimal"),
    ("sha256=" + "0" * 63, "64 hexadecimal"), ("sha256=" + "0" * 65, "64 hexadecimal"),
    ("sha256=" + "0" * 64, "does not match"), ("sha1=" + "0" * 40, "legacy sha1"),
])
def test_a_missing_or_malformed_header_is_refused_with_its_reason(header: str | None, reason: str) -> None:
    with pytest.raises(InvalidSignature, match=reason):
        verify_signature(ESCAPED, header, SECRET)


def test_the_header_is_read_whatever_the_case_of_its_prefix_and_digits() -> None:
    good = sign(ESCAPED)
    verify_signature(ESCAPED, "SHA256=" + good[7:].upper(), SECRET)
    verify_signature(ESCAPED, f"  {good}\r\n", SECRET)


def test_an_unconfigured_secret_refuses_everything() -> None:
    with pytest.raises(InvalidSignature, match="not configured"):
        verify_signature(ESCAPED, sign(ESCAPED, ""), "")


def test_a_wrong_secret_is_refused() -> None:
    with pytest.raises(InvalidSignature, match="does not match"):
        verify_signature(ESCAPED, sign(ESCAPED, "another-secret"), SECRET)


@pytest.mark.corpus
def test_the_legacy_sha1_vector_is_refused_and_the_sha256_of_the_same_body_passes() -> None:
    """botman's real X-Hub-Signature vector: it is a valid HMAC-SHA1, so refusing it is a decision (Meta sends
    X-Hub-Signature-256 on every POST; a second, weaker path only widens what a forger may try)."""
    vector = json.loads(corpus("messenger_webhooks", "signature_vector_sha1.json").read_text())
    body, secret = vector["raw_body"].encode(), vector["app_secret"]
    sha1 = "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    assert sha1 == vector["signature"]  # the vector is genuine
    with pytest.raises(InvalidSignature, match="legacy sha1"):
        verify_signature(body, vector["signature"], secret)
    verify_signature(body, vector["sha256_of_same_body_for_X-Hub-Signature-256"], secret)
    with pytest.raises(InvalidSignature):
        verify_signature(body + b" ", vector["sha256_of_same_body_for_X-Hub-Signature-256"], secret)


GOOD = sign(ESCAPED)
DIGEST = GOOD[len("sha256="):]
FORGERIES = st.one_of(
    st.none(),
    st.text(max_size=90),  # anything at all
    st.text(alphabet="0123456789abcdef", min_size=60, max_size=68).map(lambda h: "sha256=" + h),  # forged digests
    st.tuples(st.integers(0, 63), st.integers(1, 15)).map(  # one digit off
        lambda at: f"sha256={DIGEST[:at[0]]}{(int(DIGEST[at[0]], 16) + at[1]) % 16:x}{DIGEST[at[0] + 1:]}"),
    st.integers(0, len(GOOD) - 1).map(lambda n: GOOD[:n]),  # truncated
    st.text(min_size=1, max_size=10).map(lambda prefix: prefix + DIGEST),  # another prefix
    st.sampled_from(["sha1=", "SHA-256=", "sha256:", "sha256 =", "=", ""]).map(lambda prefix: prefix + DIGEST),
    st.text(min_size=1, max_size=20).map(lambda secret: sign(ESCAPED, secret + "x")),  # a wrong secret
    st.binary(max_size=40).map(lambda tail: sign(ESCAPED + tail + b"\x00")),  # the signature of other bytes
)


@settings(max_examples=1200, deadline=None)
@given(FORGERIES)
def test_forged_missing_truncated_and_wrong_secret_signatures_are_never_accepted(header: str | None) -> None:
    """At least 1,000 generated headers for one body: none accepted, nothing but InvalidSignature raised."""
    if header is not None and header.strip().lower() == GOOD:
        return  # the one right answer, drawn by chance (case and spaces aside): not a forgery
    with pytest.raises(InvalidSignature):
        verify_signature(ESCAPED, header, SECRET)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.text(max_size=80))
def test_random_bodies_and_headers_raise_nothing_but_invalid_signature(body: bytes, header: str) -> None:
    with pytest.raises(InvalidSignature):
        verify_signature(body, header, SECRET)


def query(**values: str) -> dict[str, str]:
    return {f"hub.{name}": value for name, value in values.items()}


def test_the_handshake_answers_the_exact_challenge_for_our_token() -> None:
    assert handshake(query(mode="subscribe", verify_token="s3cret", challenge="1158201444"), "s3cret") == "1158201444"


@pytest.mark.parametrize("asked", [
    query(mode="subscribe", verify_token="wrong", challenge="1"),
    query(mode="subscribe", verify_token="s3cre", challenge="1"),
    query(mode="subscribe", verify_token="", challenge="1"),
    query(mode="subscribe", challenge="1"),
    query(verify_token="s3cret", challenge="1"),
    query(mode="unsubscribe", verify_token="s3cret", challenge="1"),
    query(mode="subscribe", verify_token="s3cret"),
    query(mode="subscribe", verify_token="s3cret", challenge=""),
    {"hub_mode": "subscribe", "hub_verify_token": "s3cret", "hub_challenge": "1"},  # PHP's mangled names
    {},
])
def test_any_other_handshake_is_refused_as_forbidden(asked: dict[str, str]) -> None:
    with pytest.raises(HandshakeRefused) as refused:
        handshake(asked, "s3cret")
    assert isinstance(refused.value, Forbidden)  # the API answers 403


def test_an_unconfigured_verify_token_refuses_even_an_empty_one() -> None:
    with pytest.raises(HandshakeRefused, match="not configured"):
        handshake(query(mode="subscribe", verify_token="", challenge="1"), "")


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["hub.mode", "hub.verify_token", "hub.challenge", "x"]), st.text(max_size=12)))
def test_a_random_handshake_never_passes_without_the_token(asked: dict[str, str]) -> None:
    if asked.get("hub.verify_token") == "s3cret":
        return
    with pytest.raises(HandshakeRefused):
        handshake(asked, "s3cret")


@pytest.mark.parametrize(("status", "body", "expected"), [
    (400, {"error": {"code": 7, "error_subcode": 8, "message": "no"}}, SendResult(None, "window_closed", "7", "no")),
    (400, {"error": {"code": 7, "error_subcode": 9}}, SendResult(None, "failed", "7", None)),
    (400, {"error": {"code": "5", "error_data": {"details": "later"}}}, SendResult(None, "retry", "5", "later")),
    (400, {"error": {"code": 6}}, SendResult(None, "reauthorise", "6", None)),
    (401, {"error": {"code": 9}}, SendResult(None, "reauthorise", "9", None)),
    (429, None, SendResult(None, "retry", "http_429", None)),
    (503, "<html>", SendResult(None, "retry", "http_503", None)),
    (404, [], SendResult(None, "failed", "http_404", None)),
    (400, {"error": {"code": True}}, SendResult(None, "failed", "http_400", None)),
])
def test_a_graph_failure_is_read_by_code_then_by_http_status(status: int, body: Any, expected: SendResult) -> None:
    assert graph_failure(status, body, window_closed=[(7, 8)], retry={5}, reauthorise={6}) == expected
