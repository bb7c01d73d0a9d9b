"""Satisfaction surveys: signed one-time links, ratings with polarity (pure; the secret is passed in)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from helpdesk.domain.errors import Gone, InvalidInput, InvalidSignature

RATINGS = ("good", "bad")
LINK_WINDOW = timedelta(days=28)


@dataclass(frozen=True)
class SurveyClaim:
    ticket_id: int
    nonce: str
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_survey_token(secret: bytes, ticket_id: int, nonce: str, expires_at: datetime) -> str:
    payload = _b64(json.dumps({"t": ticket_id, "n": nonce, "e": int(expires_at.timestamp())},
                              separators=(",", ":")).encode())
    mac = hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


def verify_survey_token(secret: bytes, token: str, now: datetime) -> SurveyClaim:
    """Check the signature and expiry; whether the link was used is the ticket's to say."""
    try:
        payload, mac = token.split(".", 1)
        expected = hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            raise InvalidSignature("the survey link's signature does not verify")
        data = json.loads(_unb64(payload))
        claim = SurveyClaim(int(data["t"]), str(data["n"]), int(data["e"]))
    except InvalidSignature:
        raise
    except (ValueError, KeyError, TypeError, UnicodeError) as exc:
        raise InvalidSignature("the survey link is malformed") from exc
    if claim.expires_at < now.timestamp():
        raise Gone("this survey link has expired")
    return claim


def check_rating(score: str) -> str:
    value = score.strip().lower()
    if value not in RATINGS:
        raise InvalidInput("a rating is good or bad")
    return value
