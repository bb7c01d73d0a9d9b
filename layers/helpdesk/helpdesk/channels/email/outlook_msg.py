"""Outlook's .msg files (an OLE compound file of MAPI properties, what Outlook saves and some gateways forward as
the mail itself), turned into the RFC 5322 mail they hold, so the one parser reads them: the transport headers
Outlook kept when there are any, else the subject, sender and recipients from their properties, the plain body,
and the attachments. The raw file is kept as it came; only its reading goes through this."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SUBJECT, _BODY, _HEADERS = "0037", "1000", "007D"
_SENDER_NAME, _SENDER_SMTP, _SENDER_ADDRESS = "0C1A", "5D01", "0C1F"
_DISPLAY_TO, _DISPLAY_CC = "0E04", "0E03"
_ATTACH_DATA, _ATTACH_LONG_NAME, _ATTACH_NAME, _ATTACH_MIME = "3701", "3707", "3704", "370E"
_SKIPPED_HEADERS = {"content-type", "content-transfer-encoding", "mime-version"}  # the rebuilt body has its own


def is_outlook_msg(raw: bytes) -> bool:
    return raw.startswith(OLE_MAGIC)


def to_rfc822(raw: bytes) -> bytes | None:
    """The mail an .msg file holds, as RFC 5322 bytes; None when the file cannot be read as one."""
    import olefile  # type: ignore[import-untyped]  # imported only for .msg files; it ships no type hints

    try:
        ole = olefile.OleFileIO(raw)
    except (OSError, ValueError, TypeError):
        return None
    try:
        return _rebuild(ole)
    except Exception:  # a damaged compound file: the caller keeps it as unreadable text
        return None
    finally:
        ole.close()


def _rebuild(ole: Any) -> bytes:
    message = EmailMessage(policy=policy.default)
    transport = _text(ole, "", _HEADERS)
    if transport:
        for name, value in email.message_from_string(transport, policy=policy.compat32).items():
            if name.lower() not in _SKIPPED_HEADERS:
                message[name] = str(value).replace("\r", "").replace("\n", " ")
    if "subject" not in message:
        message["Subject"] = _text(ole, "", _SUBJECT) or ""
    if "from" not in message:
        address = _text(ole, "", _SENDER_SMTP) or _text(ole, "", _SENDER_ADDRESS)
        if address and "@" in address:
            message["From"] = formataddr((_text(ole, "", _SENDER_NAME) or "", address))
    if "to" not in message and _text(ole, "", _DISPLAY_TO):
        message["X-Outlook-Display-To"] = _text(ole, "", _DISPLAY_TO) or ""
    message.set_content(_text(ole, "", _BODY) or "")
    for folder in sorted({entry[0] for entry in ole.listdir() if entry[0].startswith("__attach_version1.0_")}):
        data = _binary(ole, folder, _ATTACH_DATA)
        if data is None:
            continue
        name = _text(ole, folder, _ATTACH_LONG_NAME) or _text(ole, folder, _ATTACH_NAME) or "attachment"
        maintype, _, subtype = (_text(ole, folder, _ATTACH_MIME) or "application/octet-stream").partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=name)
    return message.as_bytes()


def _stream(folder: str, tag: str, kind: str) -> str:
    name = f"__substg1.0_{tag}{kind}"
    return f"{folder}/{name}" if folder else name


def _text(ole: Any, folder: str, tag: str) -> str | None:
    for kind, codec in (("001F", "utf-16-le"), ("001E", "cp1252")):
        path = _stream(folder, tag, kind)
        if ole.exists(path):
            return str(ole.openstream(path).read().decode(codec, "replace").rstrip("\x00"))
    return None


def _binary(ole: Any, folder: str, tag: str) -> bytes | None:
    path = _stream(folder, tag, "0102")
    return bytes(ole.openstream(path).read()) if ole.exists(path) else None
