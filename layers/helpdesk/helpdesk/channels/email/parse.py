"""Parse raw RFC 5322 bytes into a :class:`ParsedEmail`; any input degrades instead of raising."""

from __future__ import annotations

import email
import hashlib
from email import policy

from helpdesk.channels.email.anatomy import anatomy
from helpdesk.channels.email.autodetect import auto_submitted_header
from helpdesk.channels.email.automatic import classify
from helpdesk.channels.email.charsets import decode_bytes
from helpdesk.channels.email.compose import LOOP_HEADER
from helpdesk.channels.email.dsn import bounce_details
from helpdesk.channels.email.header_block import declared_charsets, recover_header_block
from helpdesk.channels.email.headers import (
    HeaderMap,
    first_message_id,
    message_ids,
    parse_date,
)
from helpdesk.channels.email.html_text import html_to_text
from helpdesk.channels.email.message import AUTOMATIC_KINDS, Address, ParsedEmail
from helpdesk.channels.email.outlook_msg import is_outlook_msg, to_rfc822
from helpdesk.channels.email.parts import collect_parts
from helpdesk.channels.email.trimming import trim_reply


def synthetic_message_id(raw: bytes) -> str:
    """The stable id given to a mail without a Message-ID: the same bytes always get the same id."""
    return f"sha256-{hashlib.sha256(raw).hexdigest()}@missing.invalid"


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse a raw mail. Never raises: malformed parts degrade to what can be read."""
    raw = bytes(raw)
    if is_outlook_msg(raw):  # an Outlook .msg file rather than a mail: read the mail it holds
        rebuilt = to_rfc822(raw)
        raw = rebuilt if rebuilt is not None else raw
    try:
        return _parse(raw)
    except Exception:  # the contract is "never raises": keep an unreadable mail as plain text
        return _unreadable(raw)


def _sender(headers: HeaderMap) -> tuple[Address | None, str]:
    """The author and the header it was read from: the first From address; a mail that lost its From (RFC 5322
    requires one, some scripts and gateways omit it) falls back to Sender, then Reply-To, and as a last resort
    to the envelope's Return-Path (recorded as such: it may name the bounce handler of whoever relayed it)."""
    for name in ("from", "sender", "reply-to", "return-path"):
        found = headers.addresses(name)
        if found:
            return found[0], name
    return None, ""


def _parse(raw: bytes) -> ParsedEmail:
    message = email.message_from_bytes(recover_header_block(raw), policy=policy.default)
    parts = anatomy(message)
    headers = HeaderMap(message, declared_charsets(message, parts))
    from_, from_source = _sender(headers)
    subject = " ".join((headers.text("subject") or "").split())

    bodies = collect_parts(message)
    text = "\n".join(bodies.text_parts).replace("\r\n", "\n")
    html = "\n".join(bodies.html_parts) or None
    if not text.strip() and html:
        text = html_to_text(html)

    verdict = classify(message, headers, from_, subject, text, parts)
    kind = verdict.kind
    bounce = (bounce_details(message, raw, headers, kind, from_, text) if kind in ("bounce", "complaint")
              else None)
    loop_marker = headers.text(LOOP_HEADER)
    return ParsedEmail(
        message_id=first_message_id(headers.raw("message-id")) or synthetic_message_id(raw),
        in_reply_to=first_message_id(headers.raw("in-reply-to")),
        references=message_ids(" ".join(headers.all_raw("references"))),
        from_=from_,
        to=headers.addresses("to"),
        cc=headers.addresses("cc"),
        reply_to=headers.addresses("reply-to"),
        subject=subject,
        date=parse_date(headers.raw("date")),
        text=text,
        reply_text=trim_reply(text),
        html=html,
        attachments=bodies.attachments,
        kind=kind,
        bounce=bounce,
        auto_submitted=kind in AUTOMATIC_KINDS or auto_submitted_header(headers),
        loop_marker=loop_marker.strip() if loop_marker is not None else None,
        kind_reason=verdict.reason,
        from_source=from_source or "from",
    )


def _unreadable(raw: bytes) -> ParsedEmail:
    text = decode_bytes(raw, None)
    return ParsedEmail(
        message_id=synthetic_message_id(raw),
        in_reply_to=None,
        references=[],
        from_=None,
        to=[],
        cc=[],
        reply_to=[],
        subject="",
        date=None,
        text=text,
        reply_text=trim_reply(text),
        html=None,
        attachments=[],
        kind="normal",
        bounce=None,
        auto_submitted=False,
        loop_marker=None,
    )
