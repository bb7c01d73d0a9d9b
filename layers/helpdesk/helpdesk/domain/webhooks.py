"""Webhooks in Zendesk's shape, and how their requests are signed.

A webhook is an endpoint a trigger's ``notification_webhook`` action calls with a JSON body. Every request is
signed the way Zendesk signs: ``X-Zendesk-Webhook-Signature`` is base64(HMAC-SHA256(key = the webhook's signing
secret, message = timestamp + body)) and ``X-Zendesk-Webhook-Signature-Timestamp`` carries the timestamp, so the
receiver can check both the sender and the freshness of a request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from helpdesk.domain.errors import InvalidInput
from helpdesk.domain.inputs import ascii_digits

STATUSES = ("active", "inactive")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
REQUEST_FORMATS = ("json",)
SUBSCRIPTIONS = ("conditional_ticket_events",)
SLA_EVENTS = "sla_events"  # opt-in: SlaWarning, SlaBreached and SlaEscalated, posted as they happen
ACCEPTED_SUBSCRIPTIONS = (*SUBSCRIPTIONS, SLA_EVENTS)
SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
ALGORITHM = "SHA256"


def new_secret() -> str:
    return secrets.token_urlsafe(30)


def sign(secret: str, timestamp: str, body: str | bytes) -> str:
    """Zendesk's webhook signature of a request body sent at ``timestamp``."""
    payload = body.encode("utf-8") if isinstance(body, str) else body
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("utf-8") + payload, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(secret: str, timestamp: str, body: str | bytes, signature: str) -> bool:
    """What a receiving backend does: recompute the signature and compare in constant time."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def _choice(data: Mapping[str, Any], name: str, allowed: tuple[str, ...], default: str, *, upper: bool) -> str:
    value = data.get(name, default)
    text = value.strip() if isinstance(value, str) else value
    text = text.upper() if upper and isinstance(text, str) else text.lower() if isinstance(text, str) else text
    if text not in allowed:
        raise InvalidInput(f"webhook.{name} must be one of {', '.join(allowed)}, not {value!r}")
    return str(text)


def _endpoint(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("webhook.endpoint is required")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("webhook.endpoint must be an http or https URL")
    if parts.username or parts.password:
        raise InvalidInput("webhook.endpoint must not carry credentials")
    return value.strip()


@dataclass(frozen=True)
class Webhook:
    id: int
    name: str
    endpoint: str
    http_method: str = "POST"
    request_format: str = "json"
    status: str = "active"
    description: str = ""
    subscriptions: tuple[str, ...] = SUBSCRIPTIONS
    signing_secret: str = field(default_factory=new_secret, repr=False)
    created_at: str = ""
    updated_at: str = ""
    created_by: str = ""
    updated_by: str = ""

    @property
    def active(self) -> bool:
        return self.status == "active"

    @classmethod
    def from_api(cls, data: Mapping[str, Any], *, id: int, now_iso: str, by: str,
                 existing: Webhook | None = None) -> Webhook:
        """A webhook from an API body (with or without the ``webhook`` envelope); ``existing`` on updates keeps
        its id, secret and creation. Raises InvalidInput with the reason."""
        if isinstance(data.get("webhook"), Mapping):
            data = data["webhook"]
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise InvalidInput("webhook.name is required")
        if data.get("authentication") not in (None, {}):
            raise InvalidInput("webhook.authentication is not supported: verify the signature instead")
        subscriptions = data.get("subscriptions", list(SUBSCRIPTIONS))
        if not isinstance(subscriptions, list) or not all(item in ACCEPTED_SUBSCRIPTIONS for item in subscriptions):
            raise InvalidInput(f"webhook.subscriptions may only hold {', '.join(ACCEPTED_SUBSCRIPTIONS)}")
        description = data.get("description") or ""
        if not isinstance(description, str):
            raise InvalidInput("webhook.description must be text")
        base = existing or cls(id=id, name="", endpoint="", created_at=now_iso, created_by=by)
        return replace(
            base, name=name.strip(), endpoint=_endpoint(data.get("endpoint")),
            http_method=_choice(data, "http_method", HTTP_METHODS, "POST", upper=True),
            request_format=_choice(data, "request_format", REQUEST_FORMATS, "json", upper=False),
            status=_choice(data, "status", STATUSES, "active", upper=False), description=description,
            subscriptions=tuple(subscriptions) or SUBSCRIPTIONS, updated_at=now_iso, updated_by=by,
        )

    def to_api(self) -> dict[str, Any]:
        """Zendesk's webhook object; the secret is only shown by the signing_secret endpoint."""
        return {
            "id": str(self.id), "name": self.name, "description": self.description, "status": self.status,
            "endpoint": self.endpoint, "http_method": self.http_method, "request_format": self.request_format,
            "subscriptions": list(self.subscriptions), "signing_secret": {"algorithm": ALGORITHM, "secret": None},
            "external_source": None, "created_at": self.created_at, "created_by": self.created_by,
            "updated_at": self.updated_at, "updated_by": self.updated_by,
        }

    def secret_to_api(self) -> dict[str, Any]:
        return {"signing_secret": {"algorithm": ALGORITHM, "secret": self.signing_secret}}

    def to_doc(self) -> dict[str, Any]:
        return {**self.to_api(), "id": self.id, "subscriptions": list(self.subscriptions),
                "signing_secret": self.signing_secret}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Webhook:
        names = set(cls.__dataclass_fields__)
        data = {k: v for k, v in doc.items() if k in names}
        data["subscriptions"] = tuple(data.get("subscriptions") or SUBSCRIPTIONS)
        return cls(**data)


def webhook_id(raw: Any) -> int:
    """A webhook id from a path or an action value (``"12"``, ``12``, ``"12.json"``)."""
    text = str(raw).strip()
    text = text[:-5] if text.endswith(".json") else text
    if not ascii_digits(text) or int(text) <= 0:
        raise InvalidInput(f"{raw!r} is not a webhook id")
    return int(text)
