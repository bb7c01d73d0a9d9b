"""Reading what clients send: whole numbers in ASCII digits, and JSON of bounded nesting.

``"²".isdigit()`` and ``"٣".isdigit()`` are true, yet ``int("²")`` fails and ``int("٣")`` is 3; ``int()`` refuses
text of more than 4300 digits; DynamoDB keeps 38 significant digits. Every id, count or cursor read from a path,
a query string or a body goes through :func:`ascii_digits` or :func:`whole_number`.

Python's JSON parser recurses once per level and gives up with RecursionError (not ValueError) near a thousand
levels; what it returns below that can still be too deep for the code that walks it, and for DynamoDB (32
levels). :func:`load_json` refuses both, the numbers JSON has not (NaN, Infinity, 1e999), and ``\\ud800`` escapes
that decode to half a character (no UTF-8 can carry it onward), so a client's body is either a plain JSON value of
Unicode text or an InvalidInput with the reason.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from helpdesk.domain.errors import InvalidInput

MAX_DIGITS = 18  # every id, count, limit and number of minutes fits; anything longer is not one a client meant
MAX_WHOLE_NUMBER = 10**MAX_DIGITS - 1
MAX_JSON_DEPTH = 20  # Zendesk's deepest body (a rule set's rule's conditions' values) is 7 levels deep
_SURROGATE_ESCAPE_RE = re.compile(r"\\u[dD][89a-fA-F]")


def ascii_digits(text: str) -> bool:
    """True when ``text`` is one to MAX_DIGITS of the digits 0-9 and nothing else (no sign, space or other script)."""
    return 0 < len(text) <= MAX_DIGITS and text.isascii() and text.isdigit()


def whole_number(value: object) -> int | None:
    """A whole number of zero or more, given as an int or as ASCII digits (spaces around allowed); else None.
    Booleans are not numbers, and nothing beyond MAX_WHOLE_NUMBER is one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= MAX_WHOLE_NUMBER else None
    if isinstance(value, str) and ascii_digits(value.strip()):
        return int(value.strip())
    return None


def json_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """How deeply arrays and objects nest in a parsed JSON value, level by level (no recursion), counted up to
    ``limit + 1``."""
    containers = (dict, list)
    level = [value] if isinstance(value, containers) else []
    depth = 0
    while level and depth <= limit:
        depth += 1
        level = [child for item in level for child in (item.values() if isinstance(item, dict) else item)
                 if isinstance(child, containers)]
    return depth


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text[:40]} is out of range")
    return number


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def load_json(data: str | bytes, what: str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The JSON value in ``data`` (UTF-8); InvalidInput naming ``what`` when it is not JSON, nests deeper than
    ``max_depth``, or holds a number out of range."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{what} is not valid JSON: it is not UTF-8 text") from exc
    try:
        value = json.loads(data, parse_float=_finite, parse_constant=_no_constant)
    except RecursionError as exc:  # the parser recurses once per level
        raise InvalidInput(f"{what} nests arrays and objects more than {max_depth} levels deep") from exc
    except ValueError as exc:  # JSONDecodeError, a number out of range, an integer of more than 4300 digits
        raise InvalidInput(f"{what} is not valid JSON: {exc}") from exc
    if json_depth(value, max_depth) > max_depth:
        raise InvalidInput(f"{what} nests arrays and objects more than {max_depth} levels deep")
    if _SURROGATE_ESCAPE_RE.search(data) and not _unicode(value):
        raise InvalidInput(f"{what} is not valid JSON: a \\u escape is half a surrogate pair, not a character")
    return value


def _unicode(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
