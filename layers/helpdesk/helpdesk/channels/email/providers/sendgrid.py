"""SendGrid Inbound Parse posts, raw (field ``email``) or parsed (headers, text, html and attachment files)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from helpdesk.channels.email.providers.delivery import (
    InboundDelivery,
    json_object,
    lower_addresses,
    normalise_verdict,
    optional_list,
    verify_basic_auth,
)
from helpdesk.channels.email.providers.formdata import FormData, first_text, first_value, parse_form_data
from helpdesk.channels.email.providers.rebuild import Attachment, rebuild_mime
from helpdesk.domain.errors import InvalidInput

SPAM_THRESHOLD = 5.0
_ATTACHMENT_FIELD_RE = re.compile(r"^attachment(\d{1,6})$")


def verify_sendgrid(authorization: str | None, expected_basic: str) -> None:
    """The Parse URL carries ``user:password`` basic credentials; InvalidSignature when they do not match."""
    verify_basic_auth(authorization, expected_basic, "SendGrid")


def sendgrid_delivery(body: bytes, content_type: str) -> InboundDelivery:
    form = parse_form_data(body, content_type)
    raw_field = first_value(form, "email")
    raw = raw_field.value if raw_field is not None else _rebuilt(form)
    if not raw.strip():
        raise InvalidInput("SendGrid post has an empty email")
    return InboundDelivery(
        provider="sendgrid",
        raw=raw,
        recipients=_envelope_recipients(form),
        verdicts=_verdicts(form),
    )


def _rebuilt(form: FormData) -> bytes:
    charsets = _json_field(form, "charsets")

    def text(name: str) -> str | None:
        charset = charsets.get(name)
        return first_text(form, name, charset if isinstance(charset, str) else None)

    from_ = text("from")
    if not from_:
        raise InvalidInput("SendGrid parsed post has neither an email nor a from field")
    return rebuild_mime(
        headers=text("headers"),
        from_=from_,
        to=text("to") or "",
        cc=text("cc"),
        subject=text("subject") or "",
        text=text("text"),
        html=text("html"),
        attachments=_attachments(form),
    )


def _attachments(form: FormData) -> list[Attachment]:
    info = _json_field(form, "attachment-info")
    numbered = sorted(
        (int(found.group(1)), name) for name in form if (found := _ATTACHMENT_FIELD_RE.match(name))
    )
    attachments: list[Attachment] = []
    for _, name in numbered:
        value = form[name][0]
        details = info.get(name)
        details = details if isinstance(details, Mapping) else {}
        filename = _str(details.get("filename")) or value.filename or name
        content_type = _str(details.get("type")) or value.content_type or "application/octet-stream"
        attachments.append((filename, content_type, value.value, _str(details.get("content-id"))))
    return attachments


def _envelope_recipients(form: FormData) -> list[str]:
    envelope = _json_field(form, "envelope")
    return lower_addresses(optional_list(envelope, "to", "envelope"))


def _verdicts(form: FormData) -> dict[str, str]:
    verdicts: dict[str, str] = {}
    spf = normalise_verdict(first_text(form, "SPF") or first_text(form, "spf"))
    if spf:
        verdicts["spf"] = spf
    dkim = _dkim_verdict(first_text(form, "dkim") or "")
    if dkim:
        verdicts["dkim"] = dkim
    try:
        score = float((first_text(form, "spam_score") or "").strip())
    except ValueError:
        score = None
    if score is not None and score == score:  # NaN is no score
        verdicts["spam"] = "FAIL" if score >= SPAM_THRESHOLD else "PASS"
    return verdicts


def _dkim_verdict(value: str) -> str | None:
    """``{@a.com : pass, @b.com : fail}``: PASS when any signature passed, else FAIL when any failed."""
    results = [normalise_verdict(item.rpartition(":")[2]) for item in value.strip().strip("{}").split(",")]
    found = [r for r in results if r]
    if "PASS" in found:
        return "PASS"
    if "FAIL" in found:
        return "FAIL"
    return found[0] if found else None


def _json_field(form: FormData, name: str) -> Mapping[str, Any]:
    text = first_text(form, name)
    if text is None or not text.strip():
        return {}
    return json_object(text, f"SendGrid field {name}")


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
