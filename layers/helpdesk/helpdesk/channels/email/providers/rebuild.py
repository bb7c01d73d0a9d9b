"""Rebuild RFC 5322 bytes from the fields a provider parsed, keeping the original threading headers."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.parser import HeaderParser
from email.utils import formataddr, getaddresses

from helpdesk.channels.email.headers import shallow_comments
from helpdesk.channels.email.providers.delivery import clean_text

Attachment = tuple[str, str, bytes, str | None]  # filename, content type, data, content id or None

# headers the rebuilt message writes itself; every other original header is kept as it came
_REPLACED = {
    "from", "to", "cc", "bcc", "subject", "mime-version", "content-type", "content-transfer-encoding",
    "content-disposition", "content-id", "content-length", "content-description",
}
_FIELD_NAME_RE = re.compile(r"^[!-9;-~]{1,200}$")
_CONTENT_TYPE_RE = re.compile(r"^([a-z0-9][a-z0-9!#$&^_.+-]{0,126})/([a-z0-9][a-z0-9!#$&^_.+-]{0,126})$")
_LINE_LIMIT = 900


def rebuild_mime(
    *,
    headers: Sequence[tuple[str, str]] | str | None,
    from_: str,
    to: str,
    cc: str | None,
    subject: str,
    text: str | None,
    html: str | None,
    attachments: Sequence[Attachment],
) -> bytes:
    """RFC 5322 bytes that :func:`parse_email` reads back to the same sender, subject, bodies and files."""
    lines = [_header_line(name, value) for name, value in original_headers(headers) if _kept(name)]
    lines.append(_header_line("From", _addresses(from_)))
    if to.strip():
        lines.append(_header_line("To", _addresses(to)))
    if cc and cc.strip():
        lines.append(_header_line("Cc", _addresses(cc)))
    lines.append(_header_line("Subject", _encoded(subject)))
    return b"".join(lines) + _body(text, html, attachments)


def original_headers(headers: Sequence[tuple[str, str]] | str | None) -> list[tuple[str, str]]:
    """Header pairs from a pair list or a raw header block; malformed names are dropped."""
    if headers is None:
        return []
    if isinstance(headers, str):
        block = clean_text(headers).lstrip("\r\n")
        pairs = [(str(k), str(v)) for k, v in HeaderParser(policy=policy.compat32).parsestr(block).raw_items()]
    else:
        pairs = [(str(k), str(v)) for k, v in headers]
    return [(name.strip(), clean_text(value)) for name, value in pairs if _FIELD_NAME_RE.match(name.strip())]


def _kept(name: str) -> bool:
    return name.lower() not in _REPLACED


def _header_line(name: str, value: str) -> bytes:
    """One header, refolded at spaces so no line is too long and no value can inject a header."""
    words = " ".join(value.split()).split(" ")
    lines = [f"{name}:"]
    for word in words:
        if len(lines[-1]) + 1 + len(word) > _LINE_LIMIT and lines[-1].strip():
            lines.append("")
        lines[-1] += " " + word if word or len(lines) == 1 else ""
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _encoded(value: str) -> str:
    value = " ".join(clean_text(value).split())
    return value if value.isascii() else Header(value, "utf-8").encode(maxlinelen=_LINE_LIMIT)


def _addresses(value: str) -> str:
    """An address list with non-ASCII display names as RFC 2047 words; unreadable lists (comments nested too deep
    for the stdlib's parser among them) stay as given, for the reader to find the addresses in."""
    value = " ".join(clean_text(value).split())
    readable = shallow_comments(value) == value
    pairs = [(name, address) for name, address in getaddresses([value]) if address] if readable else []
    if not pairs:
        return _encoded(value)
    return ", ".join(_mailbox(name, address) for name, address in pairs)


def _mailbox(name: str, address: str) -> str:
    if address.isascii():
        return formataddr((name, address), charset="utf-8")
    # an internationalised address stays raw (RFC 6532); only the display name is quoted or encoded
    display = formataddr((name, "x@x.invalid"), charset="utf-8").rpartition(" <")[0] if name else ""
    return f"{display} <{address}>" if display else address


def _body(text: str | None, html: str | None, attachments: Sequence[Attachment]) -> bytes:
    digest = _digest(text, html, attachments)
    message = EmailMessage(policy=policy.SMTP)
    if text is not None or html is None:
        message.set_content(clean_text(text or ""))
        if html is not None:
            message.add_alternative(clean_text(html), subtype="html")
    else:
        message.set_content(clean_text(html), subtype="html")
    embedded: list[tuple[bytes, bytes]] = []
    for number, (filename, content_type, data, content_id) in enumerate(attachments):
        placeholder = f"=_helpdesk_message_{number}_{digest}".encode("ascii")
        if _attach(message, filename, content_type, data, content_id, placeholder):
            embedded.append((placeholder, bytes(data)))
    for number, part in enumerate(p for p in message.walk() if p.is_multipart()):
        part.set_boundary(f"=_helpdesk_{number}_{digest}")
    raw = message.as_bytes()
    for placeholder, data in embedded:  # forwarded mails go in byte for byte, 8-bit included
        raw = raw.replace(placeholder, data, 1)
    return raw


def _digest(text: str | None, html: str | None, attachments: Sequence[Attachment]) -> str:
    """Boundaries come from a digest of the content: the same fields always give the same bytes (and id)."""
    digest = hashlib.sha256()
    for piece in (text, html, *(item for attachment in attachments for item in attachment)):
        data = piece if isinstance(piece, bytes) else clean_text(str(piece)).encode("utf-8")
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()[:32]


def _attach(
    message: EmailMessage, filename: str, content_type: str, data: bytes, content_id: str | None, placeholder: bytes
) -> bool:
    """Add one file; True when ``placeholder`` stands in for a forwarded mail (message/* may not be base64)."""
    found = _CONTENT_TYPE_RE.match(content_type.split(";")[0].strip().lower())
    maintype, subtype = found.groups() if found else ("application", "octet-stream")
    if maintype == "multipart" or (maintype == "message" and subtype != "rfc822"):
        maintype, subtype = "application", "octet-stream"  # containers the email package would re-parse
    embedded = maintype == "message"
    cid = content_id.strip().strip("<>").strip() if content_id else ""
    message.add_attachment(
        placeholder if embedded else bytes(data),
        maintype=maintype,
        subtype=subtype,
        cte="8bit" if embedded else "base64",
        disposition="inline" if cid else "attachment",
        filename=" ".join(clean_text(filename).split()) or None,
        cid=f"<{cid}>" if cid and _FIELD_NAME_RE.match(cid) else None,
    )
    return embedded
