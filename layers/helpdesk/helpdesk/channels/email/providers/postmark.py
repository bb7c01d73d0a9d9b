"""Postmark inbound webhooks: JSON with the parsed mail, and the raw message when "include raw" is on."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from helpdesk.channels.email.providers.delivery import (
    InboundDelivery,
    json_object,
    lower_addresses,
    optional_list,
    optional_object,
    optional_str,
    verdicts_from_headers,
    verify_basic_auth,
)
from helpdesk.channels.email.providers.rebuild import Attachment, original_headers, rebuild_mime
from helpdesk.domain.errors import InvalidInput


def verify_postmark(authorization: str | None, expected_basic: str) -> None:
    """The webhook URL carries ``user:password`` basic credentials; InvalidSignature when they do not match."""
    verify_basic_auth(authorization, expected_basic, "Postmark")


def postmark_delivery(payload: bytes) -> InboundDelivery:
    data = json_object(payload, "Postmark payload")
    from_ = optional_str(data, "From", "Postmark payload")
    if not from_:
        raise InvalidInput("Postmark payload has no From")
    headers = original_headers(_headers(data))
    raw_email = optional_str(data, "RawEmail", "Postmark payload")
    raw = raw_email.encode("utf-8") if raw_email and raw_email.strip() else _rebuilt(data, from_, headers)
    original_recipient = optional_str(data, "OriginalRecipient", "Postmark payload")
    return InboundDelivery(
        provider="postmark",
        raw=raw,
        recipients=lower_addresses([original_recipient or ""]),
        verdicts=verdicts_from_headers(headers),
        provider_message_id=optional_str(data, "MessageID", "Postmark payload") or None,
    )


def _headers(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for item in optional_list(data, "Headers", "Postmark payload"):
        if not isinstance(item, Mapping):
            raise InvalidInput("Postmark Headers must be a list of {Name, Value} objects")
        name = optional_str(item, "Name", "Postmark header")
        if name:
            pairs.append((name, optional_str(item, "Value", "Postmark header") or ""))
    return pairs


def _rebuilt(data: Mapping[str, Any], from_: str, headers: list[tuple[str, str]]) -> bytes:
    what = "Postmark payload"
    known = {name.lower() for name, _ in headers}
    date = optional_str(data, "Date", what)
    if date and "date" not in known:
        headers = [*headers, ("Date", date)]
    reply_to = optional_str(data, "ReplyTo", what)
    if reply_to and "reply-to" not in known:
        headers = [*headers, ("Reply-To", reply_to)]
    return rebuild_mime(
        headers=headers,
        from_=_full_sender(data) or from_,
        to=optional_str(data, "To", what) or "",
        cc=optional_str(data, "Cc", what),
        subject=optional_str(data, "Subject", what) or "",
        text=optional_str(data, "TextBody", what),
        html=optional_str(data, "HtmlBody", what),
        attachments=[_attachment(item) for item in optional_list(data, "Attachments", what)],
    )


def _full_sender(data: Mapping[str, Any]) -> str | None:
    full = optional_object(data, "FromFull", "Postmark payload")
    email = optional_str(full, "Email", "Postmark FromFull")
    if not email:
        return None
    name = (optional_str(full, "Name", "Postmark FromFull") or "").replace("\\", "\\\\").replace('"', '\\"')
    return f'"{name}" <{email}>' if name.strip() else email


def _attachment(item: object) -> Attachment:
    if not isinstance(item, Mapping):
        raise InvalidInput("Postmark Attachments must be a list of objects")
    what = "Postmark attachment"
    content = optional_str(item, "Content", what) or optional_str(item, "Data", what) or ""
    try:
        data = base64.b64decode("".join(content.split()), validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidInput("Postmark attachment content is not valid base64") from error
    return (
        optional_str(item, "Name", what) or "attachment",
        optional_str(item, "ContentType", what) or "application/octet-stream",
        data,
        optional_str(item, "ContentID", what) or None,
    )
