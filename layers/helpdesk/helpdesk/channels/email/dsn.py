"""What a bounce or a complaint says: which recipient failed (or complained), whether for good, with which status,
and which of our mails it returns.

Sources, most exact first: the structured report (an RFC 3464 delivery status, an RFC 5965 feedback report, an
Amazon SES notification); GNU Mailman's detectors (flufl.bounce) for the plain-text reports of MTAs that send no
DSN; the words of the bounce otherwise (the first address after a bounce phrase).
"""

from __future__ import annotations

import email
import logging
import re
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32
from typing import Any

from helpdesk.channels.email.automatic import BOUNCE_BODY_RE, feedback_fields, ses_notification
from helpdesk.channels.email.charsets import decode_bytes
from helpdesk.channels.email.headers import HeaderMap, first_message_id
from helpdesk.channels.email.message import Address, Bounce

_STATUS_RE = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_FIELD_RE = r"^{name}[ \t]*:[ \t]*(.+)$"
_MESSAGE_ID_LINE_RE = re.compile(r"^[ \t>]*Message-ID[ \t]*:[ \t]*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
_ADDRESS_RE = re.compile(r"[A-Za-z0-9._%+'=-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_TEMPORARY_RE = re.compile(
    r"delivery attempts will continue|will (?:continue to )?(?:retry|be retried)|has been (?:postponed|delayed)|"
    r"not yet been delivered|temporar(?:y|ily) (?:failure|error|problem|unavailable)|warning: message .*delayed|"
    r"delivery (?:delay|warning)|still trying", re.IGNORECASE)
_MORE_FAILURE_PHRASES_RE = re.compile(
    r"undeliverable|delivery (?:has )?failed|has been (?:postponed|delayed)|delayed|deliver(?:y|ed)? to", re.IGNORECASE)


def bounce_details(message: Message, raw: bytes, headers: HeaderMap, kind: str, from_: Address | None,
                   text: str, ours: tuple[str, ...] = ()) -> Bounce:
    """The details of a mail already classified as a bounce or a complaint (``kind``)."""
    original_id = _returned_message_id(message)
    ses = ses_notification(headers, headers.text("subject") or "", text)
    if ses is not None:
        return _from_ses(ses, original_id)
    if kind == "complaint":
        fields = feedback_fields(message)
        recipient = _clean(fields.get("original-rcpt-to")) or _returned_recipient(message)
        return Bounce(original_message_id=original_id, recipient=recipient, status=None)
    status_text = _delivery_status_text(message)
    recipient = _field(status_text, "Original-Recipient") or _field(status_text, "Final-Recipient")
    action = (_field(status_text, "Action") or "").lower()
    status_found = _STATUS_RE.search(_field(status_text, "Status") or "")
    # the Action decides ("failed" after 4.4.7, the retries given up, is for good); the status class without one
    temporary = action in ("delayed", "relayed", "delivered", "expanded") or (
        not action and status_found is not None and status_found.group(1).startswith("4"))
    if recipient is None:
        recipient = _failed_recipient(headers)
    if recipient is None or not status_text:
        found, flufl_temporary = _flufl(raw)
        if recipient is None and found:
            recipient, temporary = found, flufl_temporary
        elif not status_text and found:
            temporary = flufl_temporary
    if recipient is None:
        recipient = _after_failure_phrase(text, exclude={*(a.lower() for a in ours),
                                                          (from_.address if from_ else "")})
    if not status_text and not temporary and _TEMPORARY_RE.search(text[:20000]):
        temporary = not re.search(r"permanent|fatal|user unknown|no such user", text[:20000], re.IGNORECASE)
    status = status_found.group(1) if status_found else _status_in_text(text)
    return Bounce(original_message_id=original_id, recipient=recipient, status=status, temporary=temporary)


def _from_ses(notification: dict[str, Any], original_id: str | None) -> Bounce:
    kind = str(notification.get("notificationType") or notification.get("eventType") or "").lower()
    details = _object(notification.get(kind))
    people = details.get("bouncedRecipients") or details.get("complainedRecipients") or []
    first = _object(people[0]) if isinstance(people, list) and people else {}
    mail = _object(notification.get("mail"))
    common = _object(mail.get("commonHeaders"))
    header_ids = [h.get("value") for h in mail.get("headers") or [] if isinstance(h, dict)
                  and str(h.get("name", "")).lower() == "message-id"]
    original_id = first_message_id(str(common.get("messageId") or "")) or (
        first_message_id(str(header_ids[0])) if header_ids else None) or original_id
    status = _STATUS_RE.search(str(first.get("status") or "")) if first else None
    return Bounce(original_message_id=original_id, recipient=_clean(first.get("emailAddress")),
                  status=status.group(1) if status else None,
                  temporary=str(details.get("bounceType") or "").lower() == "transient")


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _flufl(raw: bytes) -> tuple[str | None, bool]:
    """The first failed recipient GNU Mailman's detectors find, and whether the failures are only temporary."""
    from flufl.bounce import all_failures  # imported when a bounce needs it: most mail never gets here

    logging.getLogger("flufl.bounce").setLevel(logging.CRITICAL)  # it logs each detector's crash on odd mail
    try:
        temporary, permanent = all_failures(email.message_from_bytes(raw, policy=compat32))
    except Exception:  # a third-party heuristic over hostile input: its failure is no recipient, not a crash
        return None, False
    for found in (*sorted(permanent), *sorted(temporary)):
        address = _clean(found.decode("utf-8", "replace") if isinstance(found, bytes) else str(found))
        if address:
            return address, not permanent
    return None, False


def _after_failure_phrase(text: str, exclude: set[str]) -> str | None:
    """The address a plain bounce names by its first bounce phrase ("could not be delivered to: x@y", or
    before it, "x@y に配信できませんでした"), none of ours nor the sender's."""
    head = text[:20000]
    phrase = BOUNCE_BODY_RE.search(head) or _MORE_FAILURE_PHRASES_RE.search(head)
    if phrase is None:
        return None
    after = _ADDRESS_RE.finditer(head, phrase.start(), phrase.end() + 2000)
    before = reversed(list(_ADDRESS_RE.finditer(head, max(0, phrase.start() - 300), phrase.start())))
    for found in (*after, *before):
        address = found.group(0).lower().strip(".")
        if address not in exclude and address.split("@", 1)[0] not in ("mailer-daemon", "postmaster"):
            return address
    return None


def _status_in_text(text: str) -> str | None:
    found = _STATUS_RE.search(text[:20000])
    return found.group(1) if found else None


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    if ";" in value:  # "rfc822; someone@example.com"
        value = value.split(";", 1)[1]
    value = value.strip().strip("<>").strip().lower()
    return value if "@" in value else None


def _delivery_status_text(message: Message) -> str:
    return "\n".join(_part_text(part) for part in message.walk()
                     if part.get_content_type() in ("message/delivery-status", "message/global-delivery-status"))


def _returned_headers(message: Message) -> Message | None:
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type in ("message/rfc822", "message/global"):
            found = _first_submessage(part)
            if found is not None:
                return found
        elif content_type in ("text/rfc822-headers", "message/global-headers"):
            return HeaderParser(policy=compat32).parsestr(_part_text(part))
    return None


def _returned_message_id(message: Message) -> str | None:
    returned = _returned_headers(message)
    found = first_message_id(HeaderMap(returned).raw("message-id")) if returned is not None else None
    return found or _message_id_in_body(message)


def _returned_recipient(message: Message) -> str | None:
    returned = _returned_headers(message)
    if returned is None:
        return None
    found = _ADDRESS_RE.search(HeaderMap(returned).text("to") or "")
    return found.group(0).lower() if found else None


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
    if name.endswith("Recipient"):
        return _clean(value)
    return value or None


def _failed_recipient(headers: HeaderMap) -> str | None:
    value = headers.text("x-failed-recipients")
    return _clean(value.split(",")[0]) if value else None


def _message_id_in_body(message: Message) -> str | None:
    """Mailers that do not send a report often quote the returned mail's headers in the text."""
    for part in message.walk():
        if part.get_content_maintype() == "text":
            found = _MESSAGE_ID_LINE_RE.search(_part_text(part))
            if found:
                return first_message_id(found.group(1))
    return None
