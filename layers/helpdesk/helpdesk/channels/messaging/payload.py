"""Reading a provider's JSON defensively: every accessor either returns the value of the expected type or raises
Malformed with what was wrong and where, so a parser turns one bad item into one ``Ignored(malformed=True)`` and
goes on with the rest of the body. Nothing here raises anything else, whatever the JSON holds."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

_MAX_EPOCH_SECONDS = 253402300799  # 9999-12-31T23:59:59Z: the last instant a datetime can hold


class Malformed(ValueError):
    """One item of a webhook body that cannot be read; its message is the cause, logged by the caller."""


def mapping(parent: Mapping[str, Any], key: str, *, required: bool = False) -> Mapping[str, Any]:
    """``parent[key]`` as a mapping; ``{}`` when absent or null (Malformed when required, or of another type)."""
    value = parent.get(key)
    if value is None:
        if required:
            raise Malformed(f"{key} is missing")
        return {}
    if not isinstance(value, Mapping):
        raise Malformed(f"{key} is a {type(value).__name__}, not an object")
    return value


def items(parent: Mapping[str, Any], key: str) -> Sequence[Any]:
    """``parent[key]`` as a list (``[]`` when absent or null); Malformed when it is of another type."""
    value = parent.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Malformed(f"{key} is a {type(value).__name__}, not a list")
    return value


def text(parent: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    """``parent[key]`` as a string (numbers are written out: ids sometimes arrive as JSON numbers); None when
    absent, null or empty (Malformed when required, or when it is an object, a list or a boolean)."""
    value = parent.get(key)
    if isinstance(value, bool | Mapping | list):
        raise Malformed(f"{key} is a {type(value).__name__}, not a string")
    if isinstance(value, int):
        value = str(value)
    elif isinstance(value, float):
        value = repr(value) if math.isfinite(value) else None
    if not value:
        if required:
            raise Malformed(f"{key} is missing")
        return None
    return str(value)


def number(parent: Mapping[str, Any], key: str) -> float | None:
    """``parent[key]`` as a finite number (a numeric string counts); None when absent; Malformed otherwise."""
    value = parent.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise Malformed(f"{key} is a boolean, not a number")
    try:
        result = float(value)
    except (TypeError, ValueError, OverflowError) as error:
        raise Malformed(f"{key} is not a number: {value!r:.40}") from error
    if not math.isfinite(result):
        raise Malformed(f"{key} is not a finite number")
    return result


def epoch(parent: Mapping[str, Any], key: str, *, millis: bool = False) -> datetime:
    """``parent[key]``, seconds (WhatsApp, as a string) or milliseconds (Messenger) since the epoch, as an aware
    UTC datetime. Malformed when absent or not a time."""
    value = number(parent, key)
    if value is None:
        raise Malformed(f"{key} is missing")
    seconds = value / 1000 if millis else value
    if not 0 <= seconds <= _MAX_EPOCH_SECONDS:
        raise Malformed(f"{key} is out of range: {parent.get(key)!r:.40}")
    return datetime.fromtimestamp(seconds, UTC)


def each_object(values: Sequence[Any], what: str) -> list[Mapping[str, Any] | Malformed]:
    """Every element of a list as an object, or a Malformed in its place (so the others are still read)."""
    return [value if isinstance(value, Mapping) else Malformed(f"{what} is a {type(value).__name__}, not an object")
            for value in values]
