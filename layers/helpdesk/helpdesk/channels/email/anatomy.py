"""The parts of a mail as cheap facts (content type, charset, file name), read once from the raw header values:
the email package's typed headers parse each Content-Type again on every call, which made classifying a mail cost
as much as parsing it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

_TYPE_RE = re.compile(r"^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+)")
_CHARSET_RE = re.compile(r";\s*charset\s*=\s*\"?([^\";\s]+)", re.IGNORECASE)
_NAME_RE = re.compile(r";\s*(?:file)?name\*?\s*=\s*\"?([^\";]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Part:
    message: Message
    content_type: str  # lower-cased; text/plain when absent or unreadable, as RFC 2045 says
    charset: str | None
    filename: str


def anatomy(message: Message) -> list[Part]:
    """Every part of ``message`` in walk order (the message itself first)."""
    found = []
    for part in message.walk():
        content_type, disposition = "", ""
        for name, value in part.raw_items():
            lowered = str(name).lower()
            if lowered == "content-type" and not content_type:
                content_type = str(value)
            elif lowered == "content-disposition" and not disposition:
                disposition = str(value)
        kind = _TYPE_RE.match(content_type)
        charset = _CHARSET_RE.search(content_type)
        filename = _NAME_RE.search(disposition) or _NAME_RE.search(content_type)
        found.append(Part(part, kind.group(1).lower() if kind else "text/plain",
                          charset.group(1).lower() if charset else None,
                          filename.group(1).strip() if filename else ""))
    return found
