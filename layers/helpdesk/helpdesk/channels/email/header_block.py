"""The header block before the parser reads it, and what the mail declares about its charsets.

A damaged line in the header block (a line that is neither a header field nor a continuation: binary junk, a
half-written line of a broken gateway) makes the standard parser end the headers there, so the sender and subject
after it are lost into the body. Such a line is dropped when real header fields follow it in the same block; the
raw mail, stored as it came, keeps it.
"""

from __future__ import annotations

import re
from email.message import Message

from helpdesk.channels.email.anatomy import Part
from helpdesk.channels.email.charsets import detect_codec

_FIELD_RE = re.compile(rb"^[!-9;-~]+[ \t]*:")  # a field name: printable ASCII but the colon, then a colon
_MBOX_FROM_RE = re.compile(rb"^>?From ")
_LOOKAHEAD_FIELDS = 1  # how many real fields must follow a damaged line for it to be taken as damage
_NAMED = (b"from", b"subject", b"to", b"date", b"message-id", b"mime-version", b"content-type", b"received",
          b"return-path", b"reply-to", b"cc", b"sender", b"x-")
_ASCII_CHARSETS = {"us-ascii", "ascii", "utf-8", "utf8"}


def recover_header_block(raw: bytes) -> bytes:
    """``raw`` with the damaged lines of its header block dropped (unchanged when there are none)."""
    end = _block_end(raw)
    block = raw[:end]
    lines = block.splitlines(keepends=True)
    if all(_is_header_line(line, first=index == 0) for index, line in enumerate(lines)):
        return raw
    kept: list[bytes] = []
    for index, line in enumerate(lines):
        if _is_header_line(line, first=index == 0) or not _fields_follow(lines[index + 1:]):
            kept.append(line)
    return b"".join(kept) + raw[end:]


def _block_end(raw: bytes) -> int:
    found = re.search(rb"\r?\n\r?\n", raw)
    return found.start() + 1 if found else len(raw)


def _is_header_line(line: bytes, *, first: bool) -> bool:
    stripped = line.rstrip(b"\r\n")
    if not stripped:
        return True
    if stripped[:1] in (b" ", b"\t"):
        return not first  # a continuation; the first line cannot continue anything
    return bool(_FIELD_RE.match(stripped)) or (first and bool(_MBOX_FROM_RE.match(stripped)))


def _fields_follow(rest: list[bytes]) -> bool:
    """Whether real, well-known header fields come after a damaged line (else it is the start of a body that
    had no blank line before it, and stays)."""
    named = 0
    for line in rest:
        lowered = line.lower()
        if _FIELD_RE.match(line) and lowered.startswith(_NAMED):
            named += 1
            if named >= _LOOKAHEAD_FIELDS:
                return True
    return False


def declared_charsets(message: Message, parts: list[Part]) -> list[str]:
    """The non-ASCII charsets the mail declares (its parts' charset parameters and encoded words), most used
    first: the best evidence for the 8-bit bytes of its headers."""
    counts: dict[str, int] = {}
    for part in parts:
        charset = part.charset
        if charset and charset.lower() not in _ASCII_CHARSETS:
            counts[charset.lower()] = counts.get(charset.lower(), 0) + 1
    for _, value in message.raw_items():
        for charset in re.findall(r"=\?([^?*\s]+)(?:\*[^?]*)?\?[bBqQ]\?", str(value)):
            if charset.lower() not in _ASCII_CHARSETS:
                counts[charset.lower()] = counts.get(charset.lower(), 0) + 1
    declared = sorted(counts, key=lambda name: -counts[name])
    return declared or _header_evidence(message)


def _header_evidence(message: Message) -> list[str]:
    """Without a declared charset, the charset of all the mail's raw 8-bit header bytes read together: a
    three-letter name alone is ambiguous between Chinese and Korean, the name with the subject is not."""
    raw = b" ".join(str(value).encode("utf-8", "surrogateescape") for _, value in message.raw_items()
                    if any("\udc80" <= ch <= "\udcff" for ch in str(value)))
    found = detect_codec(raw) if raw else None
    return [found] if found else []
