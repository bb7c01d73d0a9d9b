"""Messaging webhooks: WhatsApp Cloud and Messenger/Instagram (Meta's subscription handshake on GET, the
X-Hub-Signature-256 over the raw body on POST), Twilio SMS and WhatsApp (X-Twilio-Signature over the public URL
and the form). Every body is verified before anything is kept, then handed whole to the acceptance use case; the
answer is 200 unless the signature is wrong (401), the handshake is not ours (403), the body is not the provider's
format (400) or it could not be queued (503: the provider delivers again)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from chalice.app import Blueprint, Request, Response

from helpdesk.api.errors import mapped
from helpdesk.api.requests import RequestContext
from helpdesk.domain.errors import InvalidInput
from helpdesk.domain.inputs import load_json

messaging = Blueprint(__name__)
_http = RequestContext(messaging)
META_TYPES = ["application/json"]
TWILIO_TYPES = ["application/x-www-form-urlencoded"]


def _raw(request: Request) -> bytes:
    raw = request.raw_body or b""
    return raw if isinstance(raw, bytes) else str(raw).encode("utf-8", "surrogateescape")


def _secret(name: str) -> str:
    return str(_http.deps().inbound_credentials.get().get(name, ""))


def _meta(provider: str) -> Any:
    from helpdesk.channels.messaging import messenger, meta, whatsapp
    from helpdesk.services.messaging.accept_webhook import accept

    request = _http.request()
    if request.method == "GET":
        challenge = meta.handshake(dict(request.query_params or {}), _secret("meta_verify_token"))
        return Response(body=challenge, status_code=200, headers={"Content-Type": "text/plain"})
    raw = _raw(request)
    meta.verify_signature(raw, request.headers.get("x-hub-signature-256"), _secret("meta_app_secret"))
    body = load_json(raw, "the webhook body")
    if not isinstance(body, Mapping):
        raise InvalidInput("a Meta webhook body is a JSON object")
    items = whatsapp.parse(body) if provider == "whatsapp" else messenger.parse(body)
    accepted = accept(_http.deps(), provider, raw, items)
    return {"queued": accepted.queued, "ignored": dict(accepted.ignored), "malformed": len(accepted.malformed)}


@messaging.route("/inbound/whatsapp", methods=["GET", "POST"], content_types=META_TYPES)
@mapped
def whatsapp_webhook() -> Any:
    return _meta("whatsapp")


@messaging.route("/inbound/messenger", methods=["GET", "POST"], content_types=META_TYPES)
@mapped
def messenger_webhook() -> Any:
    return _meta("messenger")


def _twilio(path: str, read: Any) -> Response:
    from helpdesk.channels.messaging.twilio import read_form, single_valued
    from helpdesk.channels.messaging.twilio_signature import signed_urls, verify_signature
    from helpdesk.services.messaging.accept_webhook import accept

    request, deps = _http.request(), _http.deps()
    raw = _raw(request)
    pairs = read_form(raw)
    query = request.query_params
    pairs_in_query = [(key, value) for key in query for value in query.getlist(key)] if query is not None else []
    raw_query = urlencode(pairs_in_query)
    public = deps.settings.require(deps.settings.public_api_url, "PUBLIC_API_URL")
    verify_signature(_twilio_token(single_valued(pairs).get("AccountSid", "")),
                     request.headers.get("x-twilio-signature"), signed_urls(public, path, raw_query), params=pairs)
    items = read(single_valued(pairs), dict(pairs_in_query), deps.clock.now())
    accept(deps, "twilio", raw, items, content_type="application/x-www-form-urlencoded")
    return Response(body="<Response/>", status_code=200, headers={"Content-Type": "text/xml"})


def _twilio_token(account_sid: str) -> str:
    tokens = _http.deps().inbound_credentials.get()
    per_account = tokens.get("twilio_auth_tokens")
    if isinstance(per_account, str) and per_account.strip().startswith("{"):
        found = json.loads(per_account).get(account_sid)
        if isinstance(found, str):
            return found
    return str(tokens.get("twilio_auth_token", ""))


@messaging.route("/inbound/twilio", methods=["POST"], content_types=TWILIO_TYPES)
@mapped
def twilio_webhook() -> Any:
    from helpdesk.channels.messaging.twilio import INBOUND_PATH, parse_inbound

    return _twilio(INBOUND_PATH, lambda form, query, now: parse_inbound(form, now))


@messaging.route("/inbound/twilio/status", methods=["POST"], content_types=TWILIO_TYPES)
@mapped
def twilio_status_webhook() -> Any:
    from helpdesk.channels.messaging.twilio import STATUS_PATH, parse_status

    return _twilio(STATUS_PATH, parse_status)
