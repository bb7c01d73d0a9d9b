"""One inbound mail as an email provider hands it over, whatever the provider's format."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from helpdesk.domain.errors import InvalidInput, InvalidSignature

VERDICT_KEYS = ("spf", "dkim", "dmarc", "spam", "virus")
_AUTH_RESULT_RE = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*([A-Za-z_-]+)", re.IGNORECASE)
_WORD_RE = re.compile(r"[A-Za-z_-]+")


@dataclass(frozen=True)
class InboundDelivery:
    provider: str  # "ses" | "sendgrid" | "mailgun" | "postmark" | "raw"
    raw: bytes = field(repr=False)  # the full RFC 5322 message, received or rebuilt from the provider's fields
    recipients: list[str]  # envelope recipients when the provider says (lower-cased), else []
    verdicts: dict[str, str]  # keys among VERDICT_KEYS; upper-case values such as PASS, FAIL, GRAY, NONE
    provider_message_id: str | None = None
    signed_token: str | None = None  # the provider's one-time token of a signed post (Mailgun), checked for replays

    @property
    def quarantine_reason(self) -> str | None:
        """"spam" or "virus" when the provider failed the message on that check, else None."""
        for key in ("virus", "spam"):
            if self.verdicts.get(key) == "FAIL":
                return key
        return None

    @property
    def spoofed(self) -> bool:
        return spoofed_by(self.verdicts)


def spoofed_by(verdicts: Mapping[str, str]) -> bool:
    """DMARC failed, or both SPF and DKIM failed: the sender address cannot be trusted."""
    def failed(name: str) -> bool:
        return str(verdicts.get(name, "")).upper() == "FAIL"

    return failed("dmarc") or (failed("spf") and failed("dkim"))


def normalise_verdict(value: object) -> str | None:
    """``"softfail"`` -> ``"SOFTFAIL"``, ``"processing failed"`` -> ``"PROCESSING_FAILED"``; None when empty."""
    if not isinstance(value, str):
        return None
    words = _WORD_RE.findall(value)
    return "_".join(w.upper().replace("-", "_") for w in words) or None


def verdicts_from_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Verdicts a receiving provider wrote into headers; the topmost header of each kind wins."""
    verdicts: dict[str, str] = {}
    for name, value in headers:
        key = name.strip().lower()
        if key in ("received-spf", "x-mailgun-spf"):
            _keep(verdicts, "spf", normalise_verdict(value.split()[0] if value.split() else ""))
        elif key == "x-mailgun-dkim-check-result":
            _keep(verdicts, "dkim", normalise_verdict(value))
        elif key == "authentication-results":
            for method, result in _AUTH_RESULT_RE.findall(value):
                _keep(verdicts, method.lower(), normalise_verdict(result))
        elif key in ("x-spam-status", "x-mailgun-sflag", "x-spam-flag"):
            answer = value.strip().lower()
            if answer.startswith(("yes", "no")):
                _keep(verdicts, "spam", "FAIL" if answer.startswith("yes") else "PASS")
    return verdicts


def _keep(verdicts: dict[str, str], key: str, value: str | None) -> None:
    if value and key not in verdicts:
        verdicts[key] = value


def verify_basic_auth(authorization: str | None, expected_basic: str, provider: str) -> None:
    """Check an ``Authorization: Basic`` header against the configured ``user:password``, in constant time."""
    if not expected_basic:
        raise InvalidSignature(f"{provider} inbound credentials are not configured")
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        raise InvalidSignature(f"{provider} inbound request has no basic credentials")
    try:
        given = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidSignature(f"{provider} inbound credentials are not valid base64") from error
    if not hmac.compare_digest(given, expected_basic.encode("utf-8")):
        raise InvalidSignature(f"{provider} inbound credentials do not match")


def json_object(data: bytes | str, what: str) -> dict[str, Any]:
    """Decode a JSON object, raising InvalidInput with a reason for anything else."""
    try:
        value = json.loads(data)
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise InvalidInput(f"{what} is not valid JSON: {error}") from error
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} is not a JSON object")
    return value


def optional_str(data: Mapping[str, Any], key: str, what: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{what}.{key} must be a string")
    return clean_text(value)


def optional_list(data: Mapping[str, Any], key: str, what: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"{what}.{key} must be a list")
    return value


def optional_object(data: Mapping[str, Any], key: str, what: str) -> Mapping[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{what}.{key} must be an object")
    return value


def clean_text(text: str) -> str:
    """Replace lone surrogates (valid in JSON, unencodable in UTF-8) so the text can always be encoded."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def lower_addresses(values: Iterable[object]) -> list[str]:
    return [v.strip().lower() for v in values if isinstance(v, str) and v.strip()]
