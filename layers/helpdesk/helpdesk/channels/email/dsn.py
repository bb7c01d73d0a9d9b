"""What a bounce says: which recipient failed, with which status, and which of our mails it returns."""

from __future__ import annotations

import re
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32

from helpdesk.channels.email.autodetect import is_bounce
from helpdesk.channels.email.charsets import decode_bytes
from helpdesk.channels.email.headers import HeaderMap, first_message_id
from helpdesk.channels.email.message import Address, Bounce

_STATUS_RE = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_FIELD_RE = r"^{name}[ \t]*:[ \t]*(.+)$"
_MESSAGE_ID_LINE_RE = re.compile(r"^[ \t>]*Message-ID[ \t]*:[ \t]*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)


def find_bounce(message: Message, headers: HeaderMap, from_: Address | None, subject: str) -> Bounce | None:
    """A :class:`Bounce` when the mail is a bounce, with whatever of its details could be read."""
    if not is_bounce(headers, from_, subject, message.get_content_type()):
        return None
    status_text = ""
    returned_headers: Message | None = None
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type in ("message/delivery-status", "message/global-delivery-status"):
            status_text += "\n" + _part_text(part)
        elif content_type in ("message/rfc822", "message/global") and returned_headers is None:
            returned_headers = _first_submessage(part)
        elif content_type in ("text/rfc822-headers", "message/global-headers") and returned_headers is None:
            returned_headers = HeaderParser(policy=compat32).parsestr(_part_text(part))
    recipient = _field(status_text, "Original-Recipient") or _field(status_text, "Final-Recipient")
    recipient = recipient or _failed_recipient(headers)
    status = _field(status_text, "Status")
    found = _STATUS_RE.search(status or "")
    original_id = None
    if returned_headers is not None:
        original_id = first_message_id(HeaderMap(returned_headers).raw("message-id"))
    if original_id is None:
        original_id = _message_id_in_body(message)
    return Bounce(original_message_id=original_id, recipient=recipient, status=found.group(1) if found else None)


def _part_text(part: Message) -> str:
    """The text of a part whose payload the parser may have kept as text or split into header blocks."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return "\n\n".join(block.as_string() for block in payload if isinstance(block, Message))
    raw = part.get_payload(decode=True)
    if isinstance(raw, bytes):
        return decode_bytes(raw, part.get_content_charset())
    return str(payload)


def _first_submessage(part: Message) -> Message | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    if isinstance(payload, str):
        return HeaderParser(policy=compat32).parsestr(payload)
    return None


def _field(text: str, name: str) -> str | None:
    found = re.search(_FIELD_RE.format(name=re.escape(name)), text, re.IGNORECASE | re.MULTILINE)
    if not found:
        return None
    value = found.group(1).strip()
    if ";" in value:  # "rfc822; someone@example.com"
        value = value.split(";", 1)[1].strip()
    value = value.strip("<>").strip().lower()
    return value or None


def _failed_recipient(headers: HeaderMap) -> str | None:
    value = headers.text("x-failed-recipients")
    return value.split(",")[0].strip().lower() or None if value else None


def _message_id_in_body(message: Message) -> str | None:
    """Mailers that do not send a report often quote the returned mail's headers in the text."""
    for part in message.walk():
        if part.get_content_maintype() == "text":
            found = _MESSAGE_ID_LINE_RE.search(_part_text(part))
            if found:
                return first_message_id(found.group(1))
    return None
