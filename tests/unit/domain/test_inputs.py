"""What clients send, read safely: whole numbers in ASCII digits, JSON of bounded nesting and finite numbers."""

from __future__ import annotations

from typing import Any

import pytest

from helpdesk.domain.errors import InvalidInput
from helpdesk.domain.inputs import MAX_JSON_DEPTH, ascii_digits, json_depth, load_json, whole_number


@pytest.mark.parametrize(("text", "expected"), [
    ("0", True), ("42", True), ("9" * 18, True), ("9" * 19, False), ("", False), ("²", False), ("¹²", False),
    ("٣", False), ("\uff11", False), ("-1", False), ("+1", False), (" 1", False), ("1.0", False), ("1_0", False),
])
def test_ascii_digits(text: str, expected: bool) -> None:
    assert ascii_digits(text) is expected


@pytest.mark.parametrize(("value", "expected"), [
    (0, 0), (7, 7), (" 7 ", 7), ("007", 7), (10**18 - 1, 10**18 - 1), (10**18, None), (-1, None), (True, None),
    (1.0, None), ("²", None), ("9" * 5000, None), (None, None), ([1], None),
])
def test_whole_number(value: Any, expected: int | None) -> None:
    assert whole_number(value) == expected


def test_load_json_reads_json() -> None:
    assert load_json(b'{"a": [1, 2.5, "\xc3\xa9"]}', "the body") == {"a": [1, 2.5, "é"]}
    assert load_json('["\\ud83d\\ude00", "\\u00e9"]', "the body") == ["\U0001f600", "é"]
    assert load_json("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH, "the body") is not None


@pytest.mark.parametrize(("data", "reason"), [
    ("[" * 20_000, "more than 20 levels deep"), ("[" * 900 + "]" * 900, "more than 20 levels deep"),
    ('{"a":' * 21 + "1" + "}" * 21, "more than 20 levels deep"), (b"\xff{}", "not UTF-8"),
    ("NaN", "NaN is not a JSON value"), ('{"a": -Infinity}', "-Infinity is not a JSON value"),
    ("[1e999]", "out of range"), ("1" * 5000, "not valid JSON"), ("{", "not valid JSON"), ("", "not valid JSON"),
    ('{"name": "\\ud800"}', "half a surrogate pair"), ('["\\uDE00\\ud83d"]', "half a surrogate pair"),
])
def test_load_json_refuses_with_the_reason(data: str | bytes, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason) as raised:
        load_json(data, "the body")
    assert str(raised.value).startswith("the body ")


def test_json_depth_counts_levels_without_recursion() -> None:
    deep: Any = []
    for _ in range(5000):
        deep = [deep]
    assert json_depth(deep) == MAX_JSON_DEPTH + 1
    assert json_depth({"a": [1, {"b": []}], "c": "[[["}) == 4
    assert json_depth("text") == 0
