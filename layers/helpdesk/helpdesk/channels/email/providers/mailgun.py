"""Mailgun route forwards: ``body-mime`` (URL ending in "mime") or parsed fields, all signed with HMAC-SHA256."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from collections.abc import Mapping
from email.parser import BytesHeaderParser
from email.policy import compat32

from helpdesk.channels.email.providers.delivery import (
    InboundDelivery,
    json_object,
    lower_addresses,
    verdicts_from_headers,
)
from helpdesk.channels.email.providers.formdata import FormData, first_text, first_value, parse_form_data
from helpdesk.channels.email.providers.rebuild import Attachment, original_headers, rebuild_mime
from helpdesk.domain.errors import InvalidInput, InvalidSignature

_ATTACHMENT_FIELD_RE = re.compile(r"^attachment-(\d{1,6})$")


FRESHNESS_SECONDS = 300  # how far a post's signed timestamp may be from our clock, either way


def verify_mailgun(fields: Mapping[str, str], signing_key: str, now: float, *,
                   max_age_seconds: int = FRESHNESS_SECONDS) -> None:
    """HMAC-SHA256(signing key, timestamp + token) must equal ``signature``, and the timestamp must be fresh."""
    if not signing_key:
        raise InvalidSignature("Mailgun signing key is not configured")
    timestamp, token, signature = (fields.get(name) for name in ("timestamp", "token", "signature"))
    if not (isinstance(timestamp, str) and isinstance(token, str) and isinstance(signature, str)) or not (
        timestamp and token and signature
    ):
        raise InvalidSignature("Mailgun post is missing its timestamp, token or signature")
    key, signed = signing_key.encode("utf-8", "replace"), (timestamp + token).encode("utf-8", "replace")
    expected = hmac.new(key, signed, hashlib.sha256).hexdigest().encode("ascii")
    if not hmac.compare_digest(expected, signature.strip().lower().encode("utf-8", "replace")):
        raise InvalidSignature("Mailgun signature does not match")
    try:
        sent = float(timestamp)
    except ValueError as error:
        raise InvalidSignature("Mailgun timestamp is not a number") from error
    if not math.isfinite(sent) or abs(now - sent) > max_age_seconds:
        raise InvalidSignature("stale timestamp")


def mailgun_delivery(body: bytes, content_type: str, signing_key: str, now: float) -> InboundDelivery:
    form = parse_form_data(body, content_type)
    verify_mailgun({name: first_text(form, name) or "" for name in ("timestamp", "token", "signature")},
                   signing_key, now)
    mime = first_value(form, "body-mime")
    if mime is not None:
        raw = mime.value
        headers = [(str(k), str(v)) for k, v in BytesHeaderParser(policy=compat32).parsebytes(raw).raw_items()]
    else:
        headers = _message_headers(form)
        raw = _rebuilt(form, headers)
    if not raw.strip():
        raise InvalidInput("Mailgun post has an empty message")
    verdict_headers = [(name, first_text(form, name) or "") for name in _VERDICT_FIELDS if name in form]
    return InboundDelivery(
        provider="mailgun",
        raw=raw,
        recipients=lower_addresses((first_text(form, "recipient") or "").split(",")),
        verdicts=verdicts_from_headers([*verdict_headers, *headers]),
        signed_token=first_text(form, "token"),
    )


_VERDICT_FIELDS = ("X-Mailgun-Spf", "X-Mailgun-Dkim-Check-Result", "X-Mailgun-Sflag")


def _message_headers(form: FormData) -> list[tuple[str, str]]:
    text = first_text(form, "message-headers")
    if not text:
        return []
    try:
        pairs = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise InvalidInput(f"Mailgun message-headers is not valid JSON: {error}") from error
    if not isinstance(pairs, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in pairs
    ):
        raise InvalidInput("Mailgun message-headers must be a list of [name, value] strings")
    return original_headers([(name, value) for name, value in pairs])


def _rebuilt(form: FormData, headers: list[tuple[str, str]]) -> bytes:
    from_ = first_text(form, "from") or first_text(form, "sender")
    if not from_:
        raise InvalidInput("Mailgun post has neither body-mime nor a from field")
    known = {name.lower() for name, _ in headers}
    message_id = first_text(form, "Message-Id")
    if message_id and "message-id" not in known:
        headers = [*headers, ("Message-Id", message_id)]
    header_value = {name.lower(): value for name, value in reversed(headers)}
    return rebuild_mime(
        headers=headers,
        from_=from_,
        to=first_text(form, "To") or header_value.get("to") or first_text(form, "recipient") or "",
        cc=first_text(form, "Cc") or header_value.get("cc"),
        subject=first_text(form, "subject") or "",
        text=first_text(form, "body-plain"),
        html=first_text(form, "body-html"),
        attachments=_attachments(form),
    )


def _attachments(form: FormData) -> list[Attachment]:
    cids = _content_ids(form)
    numbered = sorted((int(found.group(1)), name) for name in form if (found := _ATTACHMENT_FIELD_RE.match(name)))
    attachments: list[Attachment] = []
    for _, name in numbered:
        value = form[name][0]
        content_type = value.content_type or "application/octet-stream"
        attachments.append((value.filename or name, content_type, value.value, cids.get(name)))
    return attachments


def _content_ids(form: FormData) -> dict[str, str]:
    """``content-id-map`` is ``{"<cid>": "attachment-1"}``; turned around to field name -> content id."""
    text = first_text(form, "content-id-map")
    if not text or not text.strip():
        return {}
    mapping = json_object(text, "Mailgun content-id-map")
    return {field: cid.strip("<>") for cid, field in mapping.items() if isinstance(field, str)}
