"""What WhatsApp Cloud, Messenger and Instagram share as Meta webhooks: the signature of every POST, the
subscription handshake (GET), and what a send's answer means.

The signature is ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>``, computed over the exact
bytes received (Meta signs the escaped-unicode JSON it sends; a re-serialised body does not verify). The legacy
``X-Hub-Signature: sha1=...`` is **not** accepted: Meta sends the SHA-256 header with every POST, so a second,
weaker path would only widen what a forger can try, and a ``sha1=`` value given here is refused with that reason.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Mapping

from helpdesk.channels.messaging.items import SendResult as SendResult
from helpdesk.domain.errors import Forbidden, InvalidSignature

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="
_HEX_LENGTH = 64  # a SHA-256 digest in hex



class HandshakeRefused(Forbidden):
    """A subscription handshake (``GET ?hub.mode=subscribe&hub.verify_token=...``) that is not ours (HTTP 403)."""


def verify_signature(raw_body: bytes, header_value: str | None, app_secret: str) -> None:
    """Raise InvalidSignature, with the reason, unless ``header_value`` is ``sha256=<hex>`` of HMAC-SHA256 over
    ``raw_body`` with ``app_secret``. Compared in constant time."""
    if not app_secret:
        raise InvalidSignature("the Meta app secret is not configured")
    if header_value is None or not header_value.strip():
        raise InvalidSignature(f"the {SIGNATURE_HEADER} header is missing")
    value = header_value.strip()
    if value[:5].lower() == "sha1=":
        raise InvalidSignature(f"a legacy sha1 signature is not accepted: send {SIGNATURE_HEADER} (sha256=...)")
    if value[:len(_PREFIX)].lower() != _PREFIX:
        raise InvalidSignature(f"the {SIGNATURE_HEADER} header does not start with {_PREFIX!r}")
    given = value[len(_PREFIX):].lower()
    if len(given) != _HEX_LENGTH or not all(c in "0123456789abcdef" for c in given):
        raise InvalidSignature(f"the {SIGNATURE_HEADER} digest is not {_HEX_LENGTH} hexadecimal digits")
    expected = hmac.new(app_secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), given.encode("ascii")):
        raise InvalidSignature(f"the {SIGNATURE_HEADER} signature does not match the body")


def handshake(query: Mapping[str, str], verify_token: str) -> str:
    """The challenge to answer (200, as the plain body) when ``hub.mode`` is ``subscribe`` and ``hub.verify_token``
    is ours (constant-time comparison); HandshakeRefused otherwise."""
    if not verify_token:
        raise HandshakeRefused("the webhook verify token is not configured")
    mode, token, challenge = (query.get(f"hub.{name}") for name in ("mode", "verify_token", "challenge"))
    if mode != "subscribe":
        raise HandshakeRefused(f"hub.mode is {mode!r}, not 'subscribe'")
    if not isinstance(token, str) or not hmac.compare_digest(
            token.encode("utf-8", "surrogatepass"), verify_token.encode("utf-8", "surrogatepass")):
        raise HandshakeRefused("hub.verify_token does not match")
    if not isinstance(challenge, str) or not challenge:
        raise HandshakeRefused("hub.challenge is missing")
    return challenge


def graph_failure(status: int, body: object, *, window_closed: Collection[tuple[int, int | None]],
                  retry: Collection[int], reauthorise: Collection[int]) -> SendResult:
    """The outcome of a Graph API send that did not succeed, from the error's code and subcode (``window_closed``
    pairs ``(code, subcode)``, a None subcode matching any) and, failing those, from the HTTP status: 401 asks for
    reauthorisation, 429 and 5xx for a retry, anything else is a failure with the code."""
    code, subcode, detail = graph_error(body)
    shown = str(code) if code is not None else f"http_{status}"
    if any(code == window and expected in (None, subcode) for window, expected in window_closed):
        return SendResult(None, "window_closed", shown, detail)
    if code in reauthorise or status == 401:
        return SendResult(None, "reauthorise", shown, detail)
    if code in retry or status == 429 or status >= 500:
        return SendResult(None, "retry", shown, detail)
    return SendResult(None, "failed", shown, detail)


def graph_error(body: object) -> tuple[int | None, int | None, str | None]:
    """``(code, error_subcode, message)`` of a Graph API error body ``{"error": {...}}``; Nones when absent."""
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        return None, None, None
    code, subcode = _int(error.get("code")), _int(error.get("error_subcode"))
    message = error.get("message")
    data = error.get("error_data")
    details = data.get("details") if isinstance(data, Mapping) else None
    text = "; ".join(str(part) for part in (message, details) if isinstance(part, str) and part) or None
    return code, subcode, text


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
