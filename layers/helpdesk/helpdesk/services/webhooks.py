"""Webhooks: the Zendesk-compatible API's use cases, and notify's delivery of a trigger's webhook call.

A delivery POSTs (or whatever the webhook's method is) the rendered JSON body, signed as Zendesk signs. A 2xx is
a success; a network error, a 5xx, a 408 or a 429 raises, so the queue retries and, after its last try, the
notify dead-letter queue keeps the event; any other 4xx (or a 3xx) is the endpoint refusing the request: it is
recorded as failed and not retried. Every attempt is recorded on the webhook's invocation log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.clock import iso
from helpdesk.domain.errors import HelpdeskError, InvalidInput, NotFound
from helpdesk.domain.users import User
from helpdesk.domain.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, Webhook, new_secret, sign, webhook_id
from helpdesk.ports import EndpointForbidden, EndpointUnreachable, HttpResult, WebhookRepository, WebhookTransport
from helpdesk.services.auth import require_admin

TIMEOUT_SECONDS = 10.0
RETRIED_4XX = (408, 429)
USER_AGENT = "Zendesk Webhook"


class WebhookFailed(HelpdeskError):
    """A webhook call that may succeed later (network error, 5xx, 408, 429): raised so the queue retries."""


@dataclass(frozen=True)
class WebhookDelivery:
    event_id: str
    webhook_id: str
    status: int | None = None
    skipped: str | None = None


def _repo(deps: Container) -> WebhookRepository:
    repo: WebhookRepository = deps.webhooks
    return repo


def _now(deps: Container) -> str:
    return iso(deps.clock.now()) or ""


def _body(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    inner = payload.get("webhook")
    if not isinstance(inner, Mapping):
        raise InvalidInput('the body must be {"webhook": {...}}')
    return inner


def list_webhooks(deps: Container, caller: User) -> list[Webhook]:
    require_admin(caller)
    return _repo(deps).webhooks()


def show_webhook(deps: Container, raw_id: str, caller: User) -> Webhook:
    require_admin(caller)
    return _repo(deps).get(webhook_id(raw_id))


def create_webhook(deps: Container, payload: Mapping[str, Any], caller: User) -> Webhook:
    require_admin(caller)
    webhook = Webhook.from_api(_body(payload), id=deps.rules.allocate_id("webhook"), now_iso=_now(deps),
                               by=str(caller.id))
    _repo(deps).put(webhook)
    return webhook


def update_webhook(deps: Container, raw_id: str, payload: Mapping[str, Any], caller: User, *,
                   patch: bool = False) -> Webhook:
    """PUT replaces the editable fields; PATCH (JSON merge patch) changes only those given."""
    require_admin(caller)
    repo = _repo(deps)
    existing = repo.get(webhook_id(raw_id))
    data: Mapping[str, Any] = _body(payload)
    if patch:
        data = {**existing.to_api(), **{k: v for k, v in data.items() if v is not None}}
    updated = Webhook.from_api(data, id=existing.id, now_iso=_now(deps), by=str(caller.id), existing=existing)
    repo.put(updated)
    return updated


def delete_webhook(deps: Container, raw_id: str, caller: User) -> None:
    require_admin(caller)
    repo = _repo(deps)
    repo.delete(repo.get(webhook_id(raw_id)).id)


def signing_secret(deps: Container, raw_id: str, caller: User, *, reset: bool = False) -> Webhook:
    require_admin(caller)
    repo = _repo(deps)
    webhook = repo.get(webhook_id(raw_id))
    if reset:
        webhook = replace(webhook, signing_secret=new_secret(), updated_at=_now(deps), updated_by=str(caller.id))
        repo.put(webhook)
    return webhook


def invocations(deps: Container, raw_id: str, caller: User) -> list[dict[str, Any]]:
    require_admin(caller)
    repo = _repo(deps)
    return repo.invocations(repo.get(webhook_id(raw_id)).id)


def signed_request(webhook: Webhook, body: str, timestamp: str, invocation_id: str) -> tuple[dict[str, str], bytes]:
    """The headers and body of one call; the signature covers exactly the bytes sent."""
    data = body.encode("utf-8") if webhook.http_method not in ("GET", "DELETE") else b""
    headers = {
        "Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: sign(webhook.signing_secret, timestamp, data), TIMESTAMP_HEADER: timestamp,
        "X-Zendesk-Webhook-Id": str(webhook.id), "X-Zendesk-Webhook-Invocation-Id": invocation_id,
    }
    return headers, data


def deliver_webhook(deps: Container, detail: Mapping[str, Any]) -> WebhookDelivery:
    """Call the webhook a trigger asked for (a WebhookRequested event)."""
    event_id = str(detail["event_id"])
    raw_id = str(detail.get("webhook_id"))
    repo = _repo(deps)
    try:
        webhook = repo.get(webhook_id(raw_id))
    except (NotFound, InvalidInput):
        return WebhookDelivery(event_id, raw_id, skipped=f"webhook {raw_id} does not exist")
    if not webhook.active:
        return WebhookDelivery(event_id, raw_id, skipped="the webhook is inactive")
    invocation_id = hashlib.sha256(event_id.encode()).hexdigest()[:26]
    timestamp = _now(deps)
    headers, data = signed_request(webhook, str(detail.get("body") or "{}"), timestamp, invocation_id)
    transport: WebhookTransport = deps.webhook_transport
    record: dict[str, Any] = {"at": timestamp, "event_id": event_id, "ticket_id": detail.get("ticket_id"),
                              "trigger_id": detail.get("trigger_id")}
    try:
        result: HttpResult = transport.send(webhook.http_method, webhook.endpoint, headers, data or None,
                                            TIMEOUT_SECONDS)
    except EndpointForbidden as exc:
        repo.record_invocation(webhook.id, invocation_id, {**record, "status": "failed", "error": str(exc)[:500]})
        return WebhookDelivery(event_id, raw_id, skipped=f"the endpoint is not allowed: {exc}")
    except EndpointUnreachable as exc:
        repo.record_invocation(webhook.id, invocation_id, {**record, "status": "failed", "error": str(exc)[:500]})
        raise WebhookFailed(f"webhook {webhook.id} unreachable; will retry") from exc
    outcome = "succeeded" if 200 <= result.status < 300 else "failed"
    repo.record_invocation(webhook.id, invocation_id, {**record, "status": outcome, "http_status": result.status,
                                                       "response": result.body[:500]})
    if outcome == "succeeded":
        return WebhookDelivery(event_id, raw_id, result.status)
    if result.status >= 500 or result.status in RETRIED_4XX:
        raise WebhookFailed(f"webhook {webhook.id} answered HTTP {result.status}; will retry")
    return WebhookDelivery(event_id, raw_id, result.status, skipped=f"the endpoint refused it: HTTP {result.status}")
