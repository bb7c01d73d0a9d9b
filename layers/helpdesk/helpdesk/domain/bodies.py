"""Texts that grow with what people send: kept whole out of line, with a preview in place.

A comment body, its HTML, a description, a rendered notification: nothing bounds them but the sender (a mail of
1 MB of plain text, an API comment of several MB). A DynamoDB item stops at 400 KB, an EventBridge entry at
256 KB. So every document the help desk stores in a table item or puts on the bus is *shrunk* first: a large
text keeps its first ``PREVIEW_CHARS`` characters in place, and the document records, under ``OFFLOADED``, the
key of the whole text in object storage. *Expanding* the document reads the texts back.

Keys are content addressed (``bodies/<ticket>/<sha256>.txt``): storing the same text twice writes the same
object, so a retried write never leaves a half behind (the object is stored before the item that names it),
the first comment's body and the ticket's description share one object, and a text read once can be cached
for good. Expanding checks the digest, so a document can only ever name a text it already knows the hash of.

This module decides what is shrunk and how documents are rewritten; pure Python, no storage.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from helpdesk.domain.errors import ContentTooLarge, InvalidInput

INLINE_TEXT_BYTES = 32 * 1024
"""A text field of up to this many UTF-8 bytes stays in its document.

An ordinary comment (plain text and an HTML part of a few tens of KB) is read with its item and costs no
object read; a comment item holds at most three such fields (body, full body, HTML), about 96 KB, under
``ITEM_BUDGET`` with room for attachment metadata; an event holds at most five (description and subject
before and after, the comment), which fits ``EVENT_BUDGET``. Where many fields are near the limit at once,
the budget pass below moves the largest out too."""

PREVIEW_CHARS = 1000
"""What a shrunk text keeps in place: enough for a list view, a log line or a search snippet."""

MIN_OFFLOAD_BYTES = 8 * 1024
"""The budget pass leaves texts this small in place: moving one out saves little beyond its preview."""

ITEM_BUDGET = 300 * 1024
"""A document stored as a table item's JSON: DynamoDB allows 400 KB per item, counting names and the other
attributes (keys, indexes, version); a transaction allows 4 MB, so a ticket write of a handful of items fits."""

EVENT_BUDGET = 200 * 1024
"""An event's detail: EventBridge allows 256 KB per entry (detail type, source and envelope included); the SQS
message that carries it to a consumer adds EventBridge's envelope of about 1 KB."""

OFFLOADED = "_offloaded"
"""The key under which a shrunk mapping lists its fields kept out of line: ``{field: storage key}``."""

_KEY = re.compile(r"bodies/(?:\d+/)?([0-9a-f]{64})\.txt")


@dataclass(frozen=True)
class Shrunk:
    """A document ready to store or send, and the texts (by key) that must be stored before it."""

    value: Any
    texts: Mapping[str, str]


def utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


def text_key(ticket_id: int | None, text: str) -> str:
    digest = hashlib.sha256(text.encode()).hexdigest()
    return f"bodies/{ticket_id}/{digest}.txt" if ticket_id is not None else f"bodies/{digest}.txt"


def verified(key: str, text: str) -> str:
    """The text stored under ``key``, checked against the digest the key names."""
    match = _KEY.fullmatch(key)
    if match is None or hashlib.sha256(text.encode()).hexdigest() != match.group(1):
        raise ValueError(f"{key!r} does not name this text")
    return text


def valid_key(key: Any) -> bool:
    return isinstance(key, str) and _KEY.fullmatch(key) is not None


def document_size(value: Any) -> int:
    """Bytes of the JSON as PynamoDB's JSONAttribute stores it: non-ASCII escaped, so a CJK character counts 6
    bytes (3 in UTF-8). The budgets are checked on this size, the inline threshold on UTF-8."""
    return len(json.dumps(value, default=str).encode())


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for name, item in value.items():
            if name == OFFLOADED:
                continue
            if isinstance(item, str):
                yield item
            else:
                yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _rewrite(value: Any, ticket_id: int | None, at_least: int, texts: dict[str, str]) -> Any:
    """``value`` with each text of at least ``at_least`` bytes held in a mapping replaced by its preview."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        moved: dict[str, str] = dict(value.get(OFFLOADED) or {})
        for name, item in value.items():
            if name == OFFLOADED:
                continue
            if isinstance(item, str) and len(item) * 4 >= at_least and utf8_size(item) >= at_least:
                key = text_key(ticket_id, item)
                texts[key], moved[name], item = item, key, item[:PREVIEW_CHARS]
            out[name] = _rewrite(item, ticket_id, at_least, texts) if not isinstance(item, str) else item
        if moved:
            out[OFFLOADED] = moved
        return out
    if isinstance(value, list | tuple):
        return [_rewrite(item, ticket_id, at_least, texts) for item in value]
    return value


def _check_unmarked(value: Any) -> None:
    if isinstance(value, Mapping):
        if OFFLOADED in value:
            raise InvalidInput(f"{OFFLOADED!r} is a reserved name")
        for item in value.values():
            _check_unmarked(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_unmarked(item)


def shrink(value: Any, ticket_id: int | None, *, budget: int, what: str = "the document") -> Shrunk:
    """``value`` (a whole document: never one already shrunk) made to fit ``budget`` bytes of JSON.

    Every text over ``INLINE_TEXT_BYTES`` goes out of line; if the document is still over budget, the largest
    remaining texts follow until it fits. Raises ContentTooLarge when it cannot fit (a list of thousands of
    tags, say): the caller rejects the write instead of letting the store refuse it half way."""
    _check_unmarked(value)
    texts: dict[str, str] = {}
    out = _rewrite(value, ticket_id, INLINE_TEXT_BYTES + 1, texts)
    size = document_size(out)
    if size > budget:
        for limit in sorted({n for n in map(utf8_size, _strings(out)) if n >= MIN_OFFLOAD_BYTES}, reverse=True):
            out = _rewrite(out, ticket_id, limit, texts)
            size = document_size(out)
            if size <= budget:
                break
    if size > budget:
        raise ContentTooLarge(f"{what} is too large to store: {size} bytes of fields beyond its texts, "
                              f"at most {budget}")
    return Shrunk(out, texts)


def is_shrunk(value: Any) -> bool:
    """Whether the document keeps any text out of line."""
    if isinstance(value, Mapping):
        return bool(value.get(OFFLOADED)) or any(is_shrunk(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(is_shrunk(item) for item in value)
    return False


def expand(value: Any, text_of: Callable[[str], str]) -> Any:
    """The whole document a shrunk one stands for; ``text_of(key)`` reads one stored text. A document with
    nothing out of line comes back as it is, without a read."""
    return _expand(value, text_of) if is_shrunk(value) else value


def _expand(value: Any, text_of: Callable[[str], str]) -> Any:
    if isinstance(value, Mapping):
        out = {name: _expand(item, text_of) for name, item in value.items() if name != OFFLOADED}
        for name, key in (value.get(OFFLOADED) or {}).items():
            if not valid_key(key):
                raise ValueError(f"{key!r} is not a stored text")
            out[name] = verified(key, text_of(key))
        return out
    if isinstance(value, list | tuple):
        return [_expand(item, text_of) for item in value]
    return value
