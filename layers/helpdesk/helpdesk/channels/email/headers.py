"""Header values as text: RFC 2047 words, 8-bit bytes, address lists, message ids and dates.

Every function here degrades on malformed input instead of raising.
"""

from __future__ import annotations

import binascii
import email.errors
import email.utils
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from email.header import decode_header
from email.message import Message

from helpdesk.channels.email.charsets import decode_bytes, unescape_surrogates
from helpdesk.channels.email.message import Address

_FOLD_RE = re.compile(r"\r?\n(?=[ \t])")
_ENCODED_WORD_RE = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
_ANGLE_ID_RE = re.compile(r"<\s*([^<>\s]+)\s*>")
_ADDR_SPEC_RE = re.compile(r"[^\s<>()\",;:@]+@[^\s<>()\",;:@]+")
_NAME_JUNK_RE = re.compile(r"[<>\"()\[\]]+")
MAX_COMMENT_DEPTH = 20  # RFC 5322 comments nest; the stdlib's address parser recurses once per level


class HeaderMap:
    """Raw header values by lower-cased name, in order, without touching the message's header parser."""

    def __init__(self, message: Message, hints: Sequence[str] = ()) -> None:
        self.hints = tuple(hints)  # the charsets the mail declares: how its undeclared 8-bit header bytes are read
        self._values: dict[str, list[str]] = {}
        for name, value in message.raw_items():
            self._values.setdefault(str(name).strip().lower(), []).append(str(value))

    def raw(self, name: str) -> str | None:
        """The first value of a header, unfolded, or None when it is absent."""
        values = self._values.get(name.lower())
        return unfold(values[0]) if values else None

    def text(self, name: str) -> str | None:
        """The first value of a header decoded to text, or None when it is absent."""
        value = self.raw(name)
        return None if value is None else decode_words(value, self.hints)

    def addresses(self, name: str) -> list[Address]:
        return parse_addresses(self.all_raw(name), self.hints)

    def all_raw(self, name: str) -> list[str]:
        return [unfold(v) for v in self._values.get(name.lower(), [])]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values


def unfold(value: str) -> str:
    return _FOLD_RE.sub("", value).strip()


def decode_words(value: str, hints: Sequence[str] = ()) -> str:
    """Decode RFC 2047 encoded words and raw 8-bit bytes in a header value (``hints``: the mail's charsets)."""
    value = unescape_surrogates(value, hints)
    if "=?" not in value:
        return value
    try:
        chunks = decode_header(value)
    except (email.errors.HeaderParseError, binascii.Error, ValueError, UnicodeError):
        return value
    parts: list[str] = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            parts.append(chunk)
        else:
            parts.append(decode_bytes(chunk, charset, hints))
    # decode_header drops whitespace differently for encoded and plain runs; re-join like RFC 2047 says
    return "".join(parts) if any(c for _, c in chunks) else value


def parse_addresses(values: Iterable[str], hints: Sequence[str] = ()) -> list[Address]:
    """Parse address headers; a malformed entry keeps whatever addr-spec can be found in it."""
    addresses: list[Address] = []
    seen: set[str] = set()
    for value in values:
        for name, spec in _address_pairs(value):
            spec = unescape_surrogates(spec, hints).strip().strip("<>").lower()
            if "@" not in spec or spec in seen:
                continue
            seen.add(spec)
            addresses.append(Address(name=decode_words(name, hints).strip().strip('"').strip(), address=spec))
    return addresses


def shallow_comments(value: str) -> str:
    """``value`` without its comments when they nest deeper than MAX_COMMENT_DEPTH (or never close), so the
    stdlib's recursive address parser never meets them (RecursionError near 500 levels); else unchanged."""
    if value.count("(") <= MAX_COMMENT_DEPTH:
        return value
    kept: list[str] = []
    depth = deepest = 0
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif quoted:
            quoted = char != '"'
        elif char == "(":
            depth += 1
            deepest = max(deepest, depth)
            continue
        elif char == ")" and depth:
            depth -= 1
            continue
        elif char == '"' and not depth:
            quoted = True
        if not depth:
            kept.append(char)
    return "".join(kept) if deepest > MAX_COMMENT_DEPTH or depth else value


def _address_pairs(value: str) -> list[tuple[str, str]]:
    if "=?" in value and "@" in decode_words(value) and not _ADDR_SPEC_RE.search(_ENCODED_WORD_RE.sub("", value)):
        value = decode_words(value)  # the whole address was put in an encoded word ("=?utf-8?Q?Ann_=3Ca@b.c=3E?=")
    readable = shallow_comments(value)
    try:
        pairs = email.utils.getaddresses([readable])
    except (ValueError, IndexError, TypeError):
        pairs = []
    lowered = readable.lower()
    good = [
        (n, a)
        for n, a in pairs
        if _ADDR_SPEC_RE.fullmatch(a.strip().strip("<>")) and a.strip().strip("<>").lower() in lowered
    ]
    if good and len(good) == len(pairs):
        return good
    # getaddresses gave up or glued words together ("a@b.com www.b.com", "John Smith john@b.com"): scrape
    return _scrape(value) or good


def _scrape(value: str) -> list[tuple[str, str]]:
    """Every addr-spec in ``value``, each with the words before it (after the previous one) as its name:
    the forgiving reading of ``John Smith john@b.com``, ``"John" john@b.com`` or ``junk <john@b.com``."""
    found: list[tuple[str, str]] = []
    start = 0
    for match in _ADDR_SPEC_RE.finditer(value):
        name = _NAME_JUNK_RE.sub(" ", value[start:match.start()]).strip(" ,;")
        found.append((" ".join(name.split()), match.group(0)))
        start = match.end()
    return found


def _iso_date(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def first_message_id(value: str | None) -> str | None:
    ids = message_ids(value)
    return ids[0] if ids else None


def message_ids(value: str | None) -> list[str]:
    """The ids in a Message-ID, In-Reply-To or References value, without angle brackets, in order."""
    if not value:
        return []
    value = unescape_surrogates(value)
    found = _ANGLE_ID_RE.findall(value)
    if not found:  # some clients leave the brackets out
        found = [token for token in re.split(r"[\s,]+", value) if token]
    ordered: list[str] = []
    for message_id in found:
        if message_id not in ordered:
            ordered.append(message_id)
    return ordered


def parse_date(value: str | None) -> datetime | None:
    """A timezone-aware date, UTC when the header gives no zone; None when absent or unreadable. RFC 5322 dates,
    and the ISO 8601 some scripts write instead."""
    if not value or not value.strip():
        return None
    text = unescape_surrogates(value).strip()
    parsed: datetime | None
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        parsed = _iso_date(text)
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
