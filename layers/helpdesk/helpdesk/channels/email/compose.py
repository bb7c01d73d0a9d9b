"""Build outbound mail, and read back the ticket tokens we put in Message-IDs and subjects."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email import headerregistry, policy
from email.message import EmailMessage
from email.utils import format_datetime

from helpdesk.channels.email.message import Address
from helpdesk.domain.errors import InvalidInput
from helpdesk.domain.mailboxes import ascii_address, clean_name, clean_text

LOOP_HEADER = "X-Helpdesk-Loop"

_ID_TOKEN_RE = re.compile(r"^<?\s*ticket-(\d{1,18})\.[^@<>\s]*@([^<>\s]+?)\s*>?$", re.IGNORECASE)
_SUBJECT_TOKEN_RE = re.compile(r"\[\s*#\s*(\d{1,18})\s*\]")
_UNSAFE_ID_CHARS_RE = re.compile(r"[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]+")


def make_message_id(ticket_id: int, unique: str, domain: str) -> str:
    """``<ticket-{id}.{unique}@{domain}>``, bracketed for a Message-ID header."""
    safe_unique = _UNSAFE_ID_CHARS_RE.sub("-", unique).strip(".") or "0"
    return f"<ticket-{int(ticket_id)}.{safe_unique}@{domain.strip().lower()}>"


def ticket_id_from_message_id(message_id: str, domain: str | None = None) -> int | None:
    """The ticket id in one of our Message-IDs (brackets optional); ``domain=None`` accepts any domain."""
    found = _ID_TOKEN_RE.match(message_id.strip())
    if not found:
        return None
    if domain is not None and found.group(2).lower() != domain.strip().lower():
        return None
    return int(found.group(1))


def subject_ticket_token(subject: str) -> int | None:
    """The ticket id in a ``[#1234]`` token anywhere in a subject."""
    found = _SUBJECT_TOKEN_RE.search(subject)
    return int(found.group(1)) if found else None


def compose_email(
    *,
    sender: Address,
    to: list[Address],
    subject: str,
    text: str,
    html: str | None = None,
    message_id: str,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    auto_generated: bool = False,
    loop_value: str | None = None,
    cc: Sequence[Address] = (),
    attachments: Sequence[tuple[str, str, bytes]] = (),
    date: datetime | None = None,
) -> bytes:
    """RFC 5322 bytes for an outbound mail; ``attachments`` are ``(filename, content_type, data)``.

    Whatever the names, subject and file names hold, every one stays on its own header line: control characters
    (CR, LF, ...) become spaces, so nothing can add a header (``Bcc:``) or make the mail unsendable. Domains are
    written IDNA-encoded; an address whose local part is not ASCII is refused (InvalidInput), since SES cannot
    send to it (see helpdesk.domain.mailboxes)."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = _header_address(sender)
    message["To"] = [_header_address(a) for a in to]
    if cc:
        message["Cc"] = [_header_address(a) for a in cc]
    message["Subject"] = clean_text(subject)
    message["Date"] = format_datetime(date or datetime.now(UTC))
    message["Message-ID"] = _bracketed(message_id)
    if in_reply_to:
        message["In-Reply-To"] = _bracketed(in_reply_to)
    if references:
        message["References"] = " ".join(_bracketed(r) for r in references)
    if auto_generated:
        message["Auto-Submitted"] = "auto-generated"
        message["X-Auto-Response-Suppress"] = "All"
    if loop_value is not None:
        message[LOOP_HEADER] = loop_value
    message.set_content(text, cte=_transfer_encoding(text))
    if html is not None:
        message.add_alternative(html, subtype="html", cte=_transfer_encoding(html))
    for filename, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        if not subtype:
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(data, maintype=maintype, subtype=subtype,
                               filename=clean_text(filename, 255) or "attachment")
    return message.as_bytes()


def _header_address(address: Address) -> headerregistry.Address:
    try:
        local, _, domain = ascii_address(address.address).rpartition("@")
    except ValueError as error:
        raise InvalidInput(f"cannot write {address.address!r} into a mail: {error}") from error
    return headerregistry.Address(display_name=clean_name(address.name), username=local, domain=domain)


def _bracketed(message_id: str) -> str:
    return f"<{message_id.strip().strip('<>').strip()}>"


def _transfer_encoding(body: str) -> str:
    return "7bit" if body.isascii() and all(len(line) <= 998 for line in body.splitlines()) else "quoted-printable"
