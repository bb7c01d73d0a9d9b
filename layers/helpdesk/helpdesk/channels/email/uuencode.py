"""Uuencoded files inside a plain-text body (`begin 644 name` ... `end`), as old mailers and gateways send them.

A block is taken out of the text only when every line of it decodes and it is closed by `end` (or `====` for
`begin-base64`); anything else is left in the text as it was.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass

_BEGIN_RE = re.compile(r"begin(-base64)? +([0-7]{3,4}) +(\S.*?)[ \t]*\r?\n?\Z")
_MAX_LINE = 200  # a uuencoded line is at most 61 characters; base64 ones 76, but be lenient
_UU_LINE_RE = re.compile(r"[ -`]*")  # the uuencode alphabet: prose (lower case letters) never matches


@dataclass(frozen=True)
class UuFile:
    name: str  # as written after the mode, not yet cleaned
    data: bytes


def extract_uuencoded(text: str) -> tuple[str, list[UuFile]]:
    """The text without its uuencoded blocks, and the files they held (in order)."""
    if "begin " not in text and "begin-base64 " not in text:
        return text, []
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    files: list[UuFile] = []
    index = 0
    while index < len(lines):
        match = _BEGIN_RE.match(lines[index])
        block = _read_block(lines, index + 1, base64=bool(match.group(1))) if match else None
        if match is None or block is None:
            kept.append(lines[index])
            index += 1
            continue
        data, index = block
        files.append(UuFile(match.group(3), data))
    return "".join(kept), files


def _read_block(lines: list[str], start: int, *, base64: bool) -> tuple[bytes, int] | None:
    """The decoded bytes and the index of the line after the closing one; None when this is no valid block."""
    closing = "====" if base64 else "end"
    chunks: list[bytes] = []
    for index in range(start, len(lines)):
        line = lines[index].rstrip("\r\n")
        if line.rstrip() == closing:
            return b"".join(chunks), index + 1
        if len(line) > _MAX_LINE or not line.isascii():
            return None
        try:
            chunks.append(binascii.a2b_base64(line) if base64 else _uu_line(line))
        except binascii.Error:
            return None
    return None  # never closed: a quoted fragment or prose that starts with "begin"


def _uu_line(line: str) -> bytes:
    if not line.strip():  # a zero-length line whose trailing space a mailer stripped
        return b""
    count = (ord(line[0]) - 32) & 63
    if not _UU_LINE_RE.fullmatch(line) or len(line) > (count + 2) // 3 * 4 + 3:
        raise binascii.Error("not a uuencoded line")
    try:
        return binascii.a2b_uu(line)
    except binascii.Error:
        # some encoders add a checksum character: decode only what the length character announces
        return binascii.a2b_uu(line[: (count * 4 + 5) // 3])
