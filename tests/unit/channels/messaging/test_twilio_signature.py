"""X-Twilio-Signature: the official vectors pass, the real twilio RequestValidator agrees on generated requests, and
no forged, missing, wrong-secret, re-ordered or tampered signature is ever accepted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import subprocess
import sys
from collections import Counter
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator  # the test oracle: never imported by product code

from helpdesk.channels.messaging.twilio_signature import (
    compute_signature,
    signature_matches,
    signed_urls,
    url_variants,
    verify_signature,
)
from helpdesk.domain.errors import InvalidSignature
from tests.support import ROOT, corpus

VECTOR_NAMES = ["form_params", "duplicate_params_sorted_deduped", "https_port_443_added", "http_port_80_added",
                "http_port_1234_request_validates_against_portless", "json_body_with_bodySHA256"]
Pairs = list[tuple[str, str]]


def _vector(name: str) -> dict[str, Any]:
    vectors = json.loads(corpus("twilio_signatures", "signature_vectors.json").read_text())["vectors"]
    assert sorted(v["name"] for v in vectors) == sorted(VECTOR_NAMES)
    return next(v for v in vectors if v["name"] == name)


def _pairs(params: dict[str, list[str]]) -> Pairs:
    return [(key, value) for key, values in params.items() for value in values]


@pytest.mark.corpus
@pytest.mark.parametrize("name", VECTOR_NAMES)
def test_the_official_vectors_pass(name: str) -> None:
    vector = _vector(name)
    token, url, signature, pairs = vector["auth_token"], vector["url"], vector["signature"], _pairs(vector["params"])
    body = vector["raw_body"].encode() if "raw_body" in vector else None
    assert signature_matches(token, signature, url_variants(url), params=pairs, body=body)
    assert compute_signature(token, vector.get("signed_url", url), pairs) == signature
    if body is not None:
        assert hashlib.sha256(body).hexdigest() == vector["body_sha256_hex"]
        assert not signature_matches(token, signature, url_variants(url), body=body + b" ")
    assert not signature_matches(token + "6", signature, url_variants(url), params=pairs, body=body)
    if pairs:
        assert not signature_matches(token, signature, url_variants(url), params=pairs[1:], body=body)


def test_the_url_is_tried_with_and_without_its_default_port() -> None:
    assert url_variants("https://h.example/p?a=1") == ("https://h.example/p?a=1", "https://h.example:443/p?a=1")
    assert url_variants("http://h.example:80/p") == ("http://h.example/p", "http://h.example:80/p")
    # a port that is not the default is kept as it is; removed, it gives the portless form
    assert url_variants("https://h.example:8443/p") == ("https://h.example/p", "https://h.example:8443/p")


def test_duplicate_keys_are_sorted_and_their_values_deduplicated() -> None:
    once = compute_signature("t", "https://h/p", [("Digits", "1234"), ("Digits", "5678"), ("Sid", "CA1")])
    assert compute_signature("t", "https://h/p", [("Sid", "CA1"), ("Digits", "5678"), ("Digits", "1234"),
                                                  ("Digits", "1234")]) == once
    assert compute_signature("t", "https://h/p", [("Digits", "1234"), ("Sid", "CA1")]) != once


def test_every_parameter_received_is_signed_not_a_whitelist() -> None:
    pairs = [("Body", "hi"), ("From", "+14155550100"), ("SomeFieldTwilioAddsTomorrow", "x")]
    signature = compute_signature("secret", "https://h/inbound/twilio", pairs)
    assert signature_matches("secret", signature, ["https://h/inbound/twilio"], params=pairs)
    assert not signature_matches("secret", signature, ["https://h/inbound/twilio"], params=pairs[:2])


def test_a_json_body_is_signed_through_its_sha256_in_the_query() -> None:
    body = '{"text": "café ☕"}'.encode()
    url = "https://h.example/hook?bodySHA256=" + hashlib.sha256(body).hexdigest()
    signature = compute_signature("secret", url, [])
    assert signature_matches("secret", signature, url_variants(url), body=body)
    assert not signature_matches("secret", signature, url_variants(url), body=body.replace(b"caf", b"cof"))
    # without the hash in the URL a JSON body is not covered by the signature: refused, whatever the header says
    bare = "https://h.example/hook"
    assert not signature_matches("secret", compute_signature("secret", bare, []), [bare], body=body)


def test_an_empty_auth_token_never_validates() -> None:
    """HMAC with an empty key is something anyone can compute: a missing token must not open the door."""
    url = "https://h/inbound/twilio"
    forged = compute_signature("", url, [("Body", "x")])
    assert not signature_matches("", forged, [url], params=[("Body", "x")])
    with pytest.raises(InvalidSignature, match="not configured"):
        verify_signature("", forged, [url], params=[("Body", "x")])


@pytest.mark.parametrize("header", [None, "", "   ", "é" * 28, "\x00", "not base64 at all", "\ud800"])
def test_a_missing_or_garbled_header_is_refused_without_crashing(header: str | None) -> None:
    assert not signature_matches("secret", header, ["https://h/p"], params=[("a", "b")])
    with pytest.raises(InvalidSignature):
        verify_signature("secret", header, ["https://h/p"], params=[("a", "b")])


def test_verify_names_the_cause() -> None:
    url = "https://h/p"
    with pytest.raises(InvalidSignature, match="missing"):
        verify_signature("secret", None, [url])
    with pytest.raises(InvalidSignature, match="does not match"):
        verify_signature("secret", compute_signature("other", url, []), [url])
    verify_signature("secret", compute_signature("secret", url, []), [url])  # no error


# --- the public URL Twilio signed ---------------------------------------------------------------------------------

def test_the_signed_url_is_the_configured_public_base_plus_path_and_query_never_the_host() -> None:
    base = "https://abc123.execute-api.us-east-1.amazonaws.com/Prod"
    assert signed_urls(base, "/inbound/twilio/status", "c=t42-c3") == (
        "https://abc123.execute-api.us-east-1.amazonaws.com/Prod/inbound/twilio/status?c=t42-c3",
        "https://abc123.execute-api.us-east-1.amazonaws.com:443/Prod/inbound/twilio/status?c=t42-c3")
    assert signed_urls("https://help.example.com/", "/inbound/twilio", "") == (
        "https://help.example.com/inbound/twilio", "https://help.example.com:443/inbound/twilio")
    assert signed_urls("http://localhost:8000", "/inbound/twilio", "") == (
        "http://localhost/inbound/twilio", "http://localhost:8000/inbound/twilio")


def test_a_request_signed_for_the_stage_url_validates_through_signed_urls() -> None:
    base = "https://abc123.execute-api.us-east-1.amazonaws.com/Prod"
    pairs = [("Body", "hello"), ("From", "+14155550100")]
    signature = compute_signature("secret", base + "/inbound/twilio", pairs)
    assert signature_matches("secret", signature, signed_urls(base, "/inbound/twilio", ""), params=pairs)
    # what Lambda sees (the Host header and a path without the stage) is not what Twilio signed
    seen = "https://abc123.execute-api.us-east-1.amazonaws.com/inbound/twilio"
    assert not signature_matches("secret", signature, url_variants(seen), params=pairs)


@pytest.mark.parametrize("base", ["", "abc.example.com", "ftp://h.example", "https://", "https://h/p?x=1",
                                  "https://h/p#rc=3", "https://h:notaport/p"])
def test_a_public_base_that_is_not_an_http_url_is_a_configuration_error(base: str) -> None:
    with pytest.raises(ValueError, match="public base URL"):
        signed_urls(base, "/inbound/twilio", "")


def test_the_endpoint_path_must_be_absolute() -> None:
    with pytest.raises(ValueError, match="path"):
        signed_urls("https://h.example", "inbound/twilio", "")


# --- agreement with twilio.request_validator.RequestValidator, and forgeries --------------------------------------

class _MultiDict(dict[str, list[str]]):
    """The multi-valued form the oracle reads (it calls ``getall``, as on Flask's and aiohttp's MultiDict)."""

    def __init__(self, pairs: Pairs) -> None:
        super().__init__()
        for key, value in pairs:
            self.setdefault(key, []).append(value)

    def getall(self, key: str) -> list[str]:
        return self[key]


TEXT = st.text("aZ09 +-_.&=?%/:é☕Ü\x00\n", max_size=8)  # what matters to a signature: order, encoding, Unicode
KEYS = st.sampled_from(["Body", "From", "To", "MessageSid", "AccountSid", "Digits", "MediaUrl0", "ProfileName",
                        "body", "Ü", "a b", ""]) | TEXT
HOSTS = st.sampled_from(["mycompany.com", "abc.execute-api.us-east-1.amazonaws.com", "localhost", "h.example"])
PATHS = st.sampled_from(["", "/", "/myapp.php", "/Prod/inbound/twilio", "/inbound/twilio/status", "/a%20b/~x_y-z.",
                         "/caf%C3%A9"])


@st.composite
def _urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["https", "http"]))
    port = draw(st.sampled_from(["", ":443", ":80", ":1234", ":8443"]))
    query = urlencode(draw(st.lists(st.tuples(st.sampled_from(["c", "foo", "bar", "a b"]), TEXT), max_size=2)))
    return f"{scheme}://{draw(HOSTS)}{port}{draw(PATHS)}" + (f"?{query}" if query else "")


@st.composite
def _requests(draw: st.DrawFn) -> tuple[str, str, Pairs | str, str]:
    """(token, url, form pairs or a JSON body, the X-Twilio-Signature header): mostly genuine, some not."""
    token = draw(st.text("0123456789abcdefé", min_size=1, max_size=34))
    url = draw(_urls())
    params: Pairs | str = draw(st.lists(st.tuples(KEYS, TEXT), max_size=6))
    if draw(st.integers(0, 2)) == 0:  # a JSON request: its hash rides in the query
        params = json.dumps({"text": draw(TEXT)})
        digest = hashlib.sha256(params.encode()).hexdigest()
        if draw(st.integers(0, 5)) == 0:
            digest = hashlib.sha256(b"another body").hexdigest()
        url += ("&" if "?" in url else "?") + "bodySHA256=" + digest
    oracle = RequestValidator(draw(st.sampled_from([token, token, token, token + "x"])))
    signed_as = draw(st.sampled_from([url, *url_variants(url), url.replace("/", "//", 3)]))
    signed = oracle.compute_signature(signed_as, {} if isinstance(params, str) else _MultiDict(params))
    header = draw(st.sampled_from([signed, signed, signed, signed.lower(), signed[:-2], ""]))
    return token, url, params, header


def _ours(token: str, url: str, params: Pairs | str, header: str) -> bool:
    if isinstance(params, str):
        return signature_matches(token, header, url_variants(url), body=params.encode())
    return signature_matches(token, header, url_variants(url), params=params)


def test_agrees_with_the_twilio_request_validator_on_generated_requests() -> None:
    outcomes: Counter[tuple[bool, str]] = Counter()

    @settings(max_examples=1200, deadline=None, derandomize=True)
    @given(_requests())
    def check(request: tuple[str, str, Pairs | str, str]) -> None:
        token, url, params, header = request
        expected = RequestValidator(token).validate(url, params if isinstance(params, str) else _MultiDict(params),
                                                    header)
        assert _ours(token, url, params, header) == expected
        outcomes[expected, "json" if isinstance(params, str) else "form"] += 1

    check()
    assert sum(outcomes.values()) >= 1000
    assert min(outcomes[True, "form"], outcomes[False, "form"]) >= 150, outcomes
    assert min(outcomes[True, "json"], outcomes[False, "json"]) >= 40, outcomes


def _sign(token: str, text: str) -> str:
    return base64.b64encode(hmac.new(token.encode(), text.encode(), "sha1").digest()).decode()


@st.composite
def _genuine(draw: st.DrawFn) -> tuple[str, str, Pairs]:
    token = draw(st.text("0123456789abcdef", min_size=32, max_size=32))
    host = draw(HOSTS)
    url = f"https://{host}/Prod/inbound/twilio" + draw(st.sampled_from(["", "/status?c=t42-c3", "?x=1"]))
    pairs = draw(st.lists(st.tuples(KEYS.filter(bool), TEXT), min_size=2, max_size=8, unique_by=lambda p: p[0]))
    return token, url, pairs


def _canonical(pairs: Pairs) -> str:
    return "".join(key + value for key in sorted({k for k, _ in pairs})
                   for value in sorted({v for k, v in pairs if k == key}))


def _forgeries(token: str, url: str, pairs: Pairs, signature: str) -> list[tuple[str, str, str, Pairs]]:
    """(what, signature, url, params) presented to the validator; none of them was signed by Twilio."""
    changed = [*pairs[:-1], (pairs[-1][0], pairs[-1][1] + "!")]
    swapped = [(pairs[0][0], pairs[1][1]), (pairs[1][0], pairs[0][1]), *pairs[2:]]
    out = [("missing", "", url, pairs),
           ("random", base64.b64encode(hashlib.sha1(signature.encode()).digest()).decode(), url, pairs),
           ("wrong secret", compute_signature(token[::-1] + "x", url, pairs), url, pairs),
           ("no secret", compute_signature("", url, pairs), url, pairs),
           ("another url", signature, url.replace("/inbound", "/inbound2"), pairs),
           ("http for https", signature, url.replace("https://", "http://"), pairs),
           ("another host", signature, url.replace("://", "://evil."), pairs),
           ("tampered value", signature, url, changed),
           ("added field", signature, url, [*pairs, ("Injected", "1")]),
           ("dropped field", signature, url, pairs[1:]),
           ("flipped char", signature[:5] + ("A" if signature[5] != "A" else "B") + signature[6:], url, pairs),
           ("lower-cased", signature.lower(), url, pairs),
           ("truncated", signature[:-1], url, pairs),
           ("padded", signature + " ", url, pairs),
           ("hex digest", hmac.new(token.encode(), (url + _canonical(pairs)).encode(), "sha1").hexdigest(), url,
            pairs)]
    if _canonical(swapped) != _canonical(pairs):
        out.append(("values swapped between fields", signature, url, swapped))
    unsorted = url + "".join(k + v for k, v in pairs)
    if unsorted != url + _canonical(pairs):
        out.append(("params not sorted", _sign(token, unsorted), url, pairs))
    oracle = RequestValidator(token)
    return [(what, forged, presented_url, presented) for what, forged, presented_url, presented in out
            if forged not in {oracle.compute_signature(u, _MultiDict(presented)) for u in url_variants(presented_url)}]


def test_forged_missing_wrong_secret_reordered_and_tampered_signatures_are_never_accepted() -> None:
    tried: Counter[str] = Counter()
    accepted: list[tuple[str, str]] = []

    @settings(max_examples=150, deadline=None, derandomize=True)
    @given(_genuine())
    def check(request: tuple[str, str, Pairs]) -> None:
        token, url, pairs = request
        signature = compute_signature(token, url, pairs)
        assert signature_matches(token, signature, url_variants(url), params=pairs)  # the genuine one passes
        for what, forged, presented_url, presented in _forgeries(token, url, pairs, signature):
            tried[what] += 1
            if signature_matches(token, forged, url_variants(presented_url), params=presented):
                accepted.append((what, presented_url))

    check()
    assert sum(tried.values()) >= 1000, tried
    assert accepted == []


def test_product_code_never_imports_the_twilio_library() -> None:
    """twilio is a 66 MB dev-only oracle: in a Lambda it would be missing, and costly if it were not."""
    sources = [*(ROOT / "layers" / "helpdesk" / "helpdesk").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]
    importing = re.compile(r"^\s*(import|from)\s+twilio\b", re.MULTILINE)
    assert [str(path) for path in sources if importing.search(path.read_text())] == []
    modules = [path.stem for path in (ROOT / "layers/helpdesk/helpdesk/channels/messaging").glob("twilio*.py")]
    check = ("import importlib, sys\n"
             f"for name in {modules!r}: importlib.import_module('helpdesk.channels.messaging.' + name)\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'twilio'))")
    loaded = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True).stdout
    assert len(modules) >= 2 and loaded.strip() == "[]"
