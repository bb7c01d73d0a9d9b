"""``X-Twilio-Signature``: how Twilio signs the webhooks it sends, and the public URL it signed.

The signature is ``base64(HMAC-SHA1(auth_token, url + params))``, where ``url`` is the full URL Twilio called (query
string included) and ``params`` every form parameter received (never a whitelist: Twilio adds parameters without
notice), keys sorted, each key's distinct values sorted, concatenated as ``key + value``. A JSON body is signed
through ``bodySHA256=<hex sha256 of the body>`` in the URL's query, with no params. Twilio signs the URL with or
without the default port (``:443`` / ``:80``), so both are tried. Behaviour agrees with twilio-python's
``RequestValidator`` (a test oracle only; this module is stdlib).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import ParseResult, parse_qs, urlparse

from helpdesk.domain.errors import InvalidSignature

FormPairs = Iterable[tuple[str, str]]


def compute_signature(auth_token: str, url: str, params: FormPairs) -> str:
    """The signature Twilio sends for a request to ``url`` with these form parameters (duplicate keys allowed)."""
    values: dict[str, set[str]] = {}
    for key, value in params:
        values.setdefault(key, set()).add(value)
    signed = url + "".join(key + value for key in sorted(values) for value in sorted(values[key]))
    digest = hmac.new(_utf8(auth_token), _utf8(signed), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def url_variants(url: str) -> tuple[str, str]:
    """``url`` without its port, and with it (the scheme's default port added when it has none)."""
    parsed = urlparse(url)
    try:
        port = parsed.port
    except ValueError:  # not a port: only the URL as given can have been signed
        return url, url
    if port:
        return _with_netloc(parsed, parsed.netloc.split(":")[0]), parsed.geturl()
    return parsed.geturl(), _with_netloc(parsed, f"{parsed.netloc}:{443 if parsed.scheme == 'https' else 80}")


def signed_urls(public_base: str, path: str, raw_query: str = "") -> tuple[str, str]:
    """The URLs Twilio may have signed for a request to the endpoint ``path`` with ``raw_query``: ``public_url``
    with and without its default port."""
    return url_variants(public_url(public_base, path, raw_query))


def public_url(public_base: str, path: str, raw_query: str = "") -> str:
    """The public URL of the endpoint ``path`` with ``raw_query``, as given to Twilio and signed by it.

    Rule: the signed URL is the one configured in Twilio (the number's or the Messaging Service's webhook, or the
    ``StatusCallback`` we passed when sending), which is ``public_base + path + "?" + raw_query``:

    - ``public_base`` is the deployment's public URL from configuration, exactly as given to Twilio: with API
      Gateway's default endpoint it includes the stage (``https://abc.execute-api.us-east-1.amazonaws.com/Prod``),
      with a custom domain it is that domain plus any base path mapping (``https://help.example.com``).
    - Never build it from the request: the ``Host`` header is the caller's to choose, and behind API Gateway the
      path the function sees lacks the stage (and a custom domain's base path), so it is never the signed URL.
    - ``raw_query`` is the query string as received, still percent-encoded. When only decoded parameters are at
      hand (API Gateway REST events), ``urllib.parse.urlencode(pairs)`` rebuilds it exactly for the URLs this
      product gives Twilio: none on the inbound URL, ``c=<URL-safe id>`` on the status callback.
    - A ``#fragment`` (Twilio's connection overrides, ``#rc=3``) is never sent to the server nor signed: configure
      the base without it.

    A base that is not an absolute http(s) URL without query or fragment is a configuration error (``ValueError``).
    """
    parsed = urlparse(public_base)
    try:
        parsed.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as error:
        raise ValueError(f"public base URL {public_base!r} has an invalid port") from error
    if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.query or parsed.fragment:
        raise ValueError(f"public base URL {public_base!r} must be http(s)://host[/stage] without query or fragment")
    if not path.startswith("/"):
        raise ValueError(f"endpoint path {path!r} must start with /")
    return public_base.rstrip("/") + path + (f"?{raw_query}" if raw_query else "")


def signature_matches(auth_token: str, signature: str | None, urls: Iterable[str], *, params: FormPairs = (),
                      body: bytes | None = None) -> bool:
    """Whether ``signature`` is Twilio's for one of ``urls`` (see ``signed_urls``) and these form ``params``, or,
    for a JSON request (``body`` given), for the URL alone with the body's SHA-256 in its ``bodySHA256``. Constant
    time; an empty token or header never matches."""
    if not auth_token or not signature:
        return False
    presented = _utf8(signature)
    pairs = [] if body is not None else list(params)
    matched = False
    for url in urls:
        if body is not None and not _body_hash_matches(url, body):
            continue
        expected = compute_signature(auth_token, url, pairs).encode("ascii")
        matched |= hmac.compare_digest(expected, presented)
    return matched


def verify_signature(auth_token: str, signature: str | None, urls: Iterable[str], *, params: FormPairs = (),
                     body: bytes | None = None) -> None:
    """``signature_matches`` or ``InvalidSignature`` saying why (no token configured, no header, no match)."""
    if not auth_token:
        raise InvalidSignature("Twilio auth token is not configured")
    if not signature:
        raise InvalidSignature("X-Twilio-Signature header is missing")
    if not signature_matches(auth_token, signature, urls, params=params, body=body):
        raise InvalidSignature("X-Twilio-Signature does not match the request")


def _body_hash_matches(url: str, body: bytes) -> bool:
    claimed = parse_qs(urlparse(url).query).get("bodySHA256", [""])[0]
    return bool(claimed) and hmac.compare_digest(_utf8(claimed), hashlib.sha256(body).hexdigest().encode("ascii"))


def _with_netloc(parsed: ParseResult, netloc: str) -> str:
    return parsed._replace(netloc=netloc).geturl()


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate cannot match, but must not crash either
