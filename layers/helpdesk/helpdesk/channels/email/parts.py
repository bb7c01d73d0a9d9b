"""Walk a MIME tree into a text body, an HTML body and attachments, degrading on broken parts."""

from __future__ import annotations

import email.errors
import functools
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from email.message import Message
from email.policy import compat32, default

from helpdesk.channels.email.charsets import decode_bytes, unescape_surrogates
from helpdesk.channels.email.headers import HeaderMap, decode_words, first_message_id
from helpdesk.channels.email.message import Attachment
from helpdesk.channels.email.tnef import is_tnef, tnef_files
from helpdesk.channels.email.uuencode import extract_uuencoded

# what a broken part can make the email package raise; such a part degrades to raw bytes
PART_ERRORS = (
    email.errors.MessageError,
    ValueError,
    TypeError,
    LookupError,
    AttributeError,
    IndexError,
    UnicodeError,
)
_MAX_DEPTH = 40
_EXTENSIONS = {
    "application/json": ".json",
    "application/msword": ".doc",
    "application/octet-stream": ".bin",
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "application/pkcs7-signature": ".p7s",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel": ".xls",
    "audio/mpeg": ".mp3",
    "image/gif": ".gif",
    "image/heic": ".heic",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/png": ".png",
    "image/svg+xml": ".svg",
    "image/webp": ".webp",
    "message/delivery-status": ".txt",
    "message/rfc822": ".eml",
    "text/calendar": ".ics",
    "text/csv": ".csv",
    "text/html": ".html",
    "text/plain": ".txt",
    "text/rfc822-headers": ".txt",
    "video/mp4": ".mp4",
}
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass
class Bodies:
    text_parts: list[str] = field(default_factory=list)
    html_parts: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)


def collect_parts(message: Message) -> Bodies:
    bodies = Bodies()
    _visit(message, bodies, 0)
    return bodies


def _visit(part: Message, bodies: Bodies, depth: int) -> None:
    try:
        content_type = part.get_content_type()
        if content_type in ("message/rfc822", "message/global") and depth > 0:
            bodies.attachments.append(_attachment(part, len(bodies.attachments) + 1, _submessage_bytes(part)))
        elif part.is_multipart():
            if depth >= _MAX_DEPTH:
                return
            for sub in part.get_payload():
                if isinstance(sub, Message):
                    _visit(sub, bodies, depth + 1)
        elif content_type.startswith("multipart/"):  # its boundary was never found: the body is still one string
            _visit_unsplit(part, bodies, depth)
        elif content_type in ("text/plain", "text/html") and not _is_attachment(part):
            _visit_text(part, content_type, bodies)
        else:
            _visit_file(part, bodies)
    except PART_ERRORS:
        raw = str(part.get_payload()).encode("utf-8", errors="surrogateescape")
        bodies.attachments.append(_fallback_attachment(len(bodies.attachments) + 1, raw))


def _visit_text(part: Message, content_type: str, bodies: Bodies) -> None:
    text = decode_bytes(_payload_bytes(part), _charset(part))
    if content_type == "text/plain":
        text, files = extract_uuencoded(text)
        for uu_file in files:
            bodies.attachments.append(_file_attachment(len(bodies.attachments) + 1, uu_file.name, uu_file.data))
    (bodies.text_parts if content_type == "text/plain" else bodies.html_parts).append(text)


def _visit_file(part: Message, bodies: Bodies) -> None:
    attachment = _attachment(part, len(bodies.attachments) + 1, _payload_bytes(part))
    bodies.attachments.append(attachment)
    if is_tnef(attachment.filename, attachment.content_type):  # the .dat stays; its files are added
        for tnef_file in tnef_files(attachment.data):
            bodies.attachments.append(_file_attachment(len(bodies.attachments) + 1, tnef_file.name, tnef_file.data))


_BOUNDARY_LINE = re.compile(rb"^--([0-9A-Za-z'()+_,./:=?-]{1,70})[ \t]*\r?$", re.MULTILINE)


def _visit_unsplit(part: Message, bodies: Bodies, depth: int) -> None:
    """A multipart whose declared boundary never occurs (a mangled header, a gateway that rewrote it): split
    on the first boundary-looking line instead; with none, the body is read as text."""
    data = _payload_bytes(part)
    found = _BOUNDARY_LINE.search(data)
    if found is not None and depth < _MAX_DEPTH:
        boundary = found.group(1).decode("ascii")
        rebuilt = email.message_from_bytes(
            f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'.encode("ascii") + data,
            policy=default)
        if rebuilt.is_multipart() and rebuilt.get_payload():
            _visit(rebuilt, bodies, depth + 1)
            return
    bodies.text_parts.append(decode_bytes(data, _charset(part)))


def _is_attachment(part: Message) -> bool:
    return part.get_content_disposition() == "attachment" or bool(_filename(part))


def _charset(part: Message) -> str | None:
    charset = part.get_param("charset")
    return unescape_surrogates(str(charset)) if isinstance(charset, str) else None


def _payload_bytes(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    if isinstance(data, bytes):
        return data
    return str(part.get_payload()).encode("utf-8", errors="surrogateescape")


def _submessage_bytes(part: Message) -> bytes:
    payload = part.get_payload()
    sub = payload[0] if isinstance(payload, list) and payload else None
    if not isinstance(sub, Message):
        return _payload_bytes(part)
    try:
        return sub.as_bytes()
    except PART_ERRORS:
        return sub.as_string(policy=compat32).encode("utf-8", errors="surrogateescape")


def _attachment(part: Message, number: int, data: bytes) -> Attachment:
    headers = HeaderMap(part)
    content_type = part.get_content_type()
    content_id = first_message_id(headers.raw("content-id"))
    disposition = part.get_content_disposition()
    inline = disposition == "inline" or (disposition is None and content_id is not None)
    name = _filename(part)
    if not name and content_type in ("message/rfc822", "message/global"):
        name = _submessage_subject(part)
        name = f"{name}.eml" if name else ""
    return _stored(number, name, content_type, data, inline=inline, content_id=content_id)


def _stored(number: int, name: str, content_type: str, data: bytes, *, inline: bool = False,
            content_id: str | None = None) -> Attachment:
    """An attachment with its size and digest; without a name it is ``attachment-<n>`` with its type's extension."""
    return Attachment(
        filename=name or f"attachment-{number}{_EXTENSIONS.get(content_type, '.bin')}",
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        inline=inline,
        content_id=content_id,
        data=data,
    )


def _fallback_attachment(number: int, data: bytes) -> Attachment:
    return _stored(number, "", "application/octet-stream", data)


def _file_attachment(number: int, name: str, data: bytes) -> Attachment:
    """A file found inside a part (uuencoded text, TNEF): its type is guessed from its name."""
    name = _clean_name(name)
    return _stored(number, name, guess_type(name), data)


def guess_type(name: str) -> str:
    """The content type a file name implies (the same on every machine), application/octet-stream when unknown."""
    guessed, _ = _mime_types().guess_type(name, strict=False)
    if guessed:
        return guessed
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return next((t for t, ext in _EXTENSIONS.items() if ext == extension), "application/octet-stream")


@functools.lru_cache(maxsize=1)
def _mime_types() -> mimetypes.MimeTypes:
    return mimetypes.MimeTypes()  # Python's own table, not the machine's /etc/mime.types


def _filename(part: Message) -> str:
    """The decoded file name (RFC 2231 and RFC 2047, raw 8-bit too), without path parts; "" when none."""
    try:
        name = part.get_filename()
    except PART_ERRORS:
        name = None
    if not name or "\ufffd" in name:
        name = _legacy_filename(part) or name
    return _clean_name(name or "")


def _legacy_filename(part: Message) -> str | None:
    """Read the name from the raw headers, for 8-bit bytes or charsets the modern parser replaced."""
    legacy = Message(policy=compat32)
    for key, raw_value in part.raw_items():
        legacy[key] = unescape_surrogates(raw_value)
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        value = legacy.get_param(param, header=header)
        if isinstance(value, tuple):  # RFC 2231: (charset, language, text with bytes as latin-1)
            charset, _, text = value
            raw = str(text).encode("latin-1", errors="surrogateescape")
            return decode_bytes(raw, str(charset) if charset else None)
        if isinstance(value, str) and value:
            return decode_words(unescape_surrogates(value.strip('"')))
    return None


def _clean_name(name: str) -> str:
    name = re.split(r"[/\\]", name)[-1]  # never a path
    name = _CONTROL_RE.sub(" ", name).strip().strip(".").strip()
    return name[-200:]


def _submessage_subject(part: Message) -> str:
    payload = part.get_payload()
    sub = payload[0] if isinstance(payload, list) and payload else None
    if not isinstance(sub, Message):
        return ""
    return _clean_name(HeaderMap(sub).text("subject") or "")
