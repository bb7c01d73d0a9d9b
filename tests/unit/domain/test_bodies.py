"""Which texts go out of line, what stays in place, and how a document comes back (helpdesk.domain.bodies)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from helpdesk.domain import bodies
from helpdesk.domain.bodies import (
    INLINE_TEXT_BYTES,
    ITEM_BUDGET,
    OFFLOADED,
    PREVIEW_CHARS,
    expand,
    is_shrunk,
    shrink,
    text_key,
)
from helpdesk.domain.errors import ContentTooLarge, InvalidInput


def _reader(texts: dict[str, str]) -> tuple[list[str], Callable[[str], str]]:
    reads: list[str] = []

    def text_of(key: str) -> str:
        reads.append(key)
        return texts[key]

    return reads, text_of


def test_a_text_up_to_the_threshold_stays_in_place() -> None:
    doc = {"body": "a" * INLINE_TEXT_BYTES, "html_body": None, "attachments": [{"filename": "x.pdf"}]}
    shrunk = shrink(doc, 7, budget=ITEM_BUDGET)
    assert shrunk.value == doc and shrunk.texts == {}
    assert not is_shrunk(shrunk.value)


def test_a_text_over_the_threshold_keeps_a_preview_and_a_content_addressed_key() -> None:
    body = "é" * (INLINE_TEXT_BYTES // 2 + 1)  # few characters, but over the threshold in UTF-8 bytes
    shrunk = shrink({"id": 3, "body": body, "public": True}, 7, budget=ITEM_BUDGET)
    key = text_key(7, body)
    assert key.startswith("bodies/7/") and key.endswith(".txt")
    assert shrunk.value == {"id": 3, "body": body[:PREVIEW_CHARS], "public": True, OFFLOADED: {"body": key}}
    assert shrunk.texts == {key: body}
    assert shrink({"body": body}, 7, budget=ITEM_BUDGET).texts == shrunk.texts  # a retry writes the same key


def test_the_same_text_in_two_fields_is_stored_once() -> None:
    text = "x" * (INLINE_TEXT_BYTES + 1)
    shrunk = shrink({"ticket": {"description": text}, "comment": {"body": text}}, 1, budget=ITEM_BUDGET)
    assert list(shrunk.texts) == [text_key(1, text)]


def test_expand_gives_back_the_whole_document_reading_each_text() -> None:
    big, html = "b" * 100_000, "<p>" + "h" * 100_000 + "</p>"
    doc = {"comment": {"body": big, "html_body": html, "attachments": [{"filename": "a"}]}, "n": [1, {"s": big}]}
    shrunk = shrink(doc, 9, budget=ITEM_BUDGET)
    reads, text_of = _reader(dict(shrunk.texts))
    assert expand(shrunk.value, text_of) == doc
    assert sorted(reads) == sorted([text_key(9, big), text_key(9, html), text_key(9, big)])


def test_a_document_with_nothing_out_of_line_is_expanded_without_a_read() -> None:
    doc = {"body": "short", "attachments": [{"filename": "a"}], "delivery": None}
    reads, text_of = _reader({})
    assert expand(doc, text_of) is doc
    assert reads == []


def test_many_fields_under_the_threshold_still_fit_the_budget() -> None:
    fields = {f"field_{i}": "y" * (INLINE_TEXT_BYTES - 10) for i in range(20)}  # 640 KB, none over 32 KB
    shrunk = shrink({"custom_fields": fields}, 2, budget=ITEM_BUDGET)
    assert bodies.document_size(shrunk.value) <= ITEM_BUDGET
    assert len(shrunk.texts) == 1  # the fields are equal: one stored text
    _, text_of = _reader(dict(shrunk.texts))
    assert expand(shrunk.value, text_of) == {"custom_fields": fields}


def test_a_document_that_cannot_fit_is_refused() -> None:
    tags = [f"tag{i}" for i in range(100_000)]  # no single text to move out
    with pytest.raises(ContentTooLarge, match="ticket 4 is too large"):
        shrink({"tags": tags}, 4, budget=ITEM_BUDGET, what="ticket 4")


def test_a_forged_reference_is_refused() -> None:
    with pytest.raises(InvalidInput, match="reserved"):
        shrink({"custom_fields": {OFFLOADED: {"subject": "inbound/api/x.eml"}}}, 1, budget=ITEM_BUDGET)
    reads, text_of = _reader({"inbound/api/x.eml": "someone else's mail"})
    with pytest.raises(ValueError, match="not a stored text"):
        expand({"subject": "s", OFFLOADED: {"subject": "inbound/api/x.eml"}}, text_of)
    assert reads == []  # a key outside bodies/ is never even read
    key = text_key(1, "the real text")
    _, text_of = _reader({key: "another text"})
    with pytest.raises(ValueError, match="does not name this text"):
        expand({"subject": "s", OFFLOADED: {"subject": key}}, text_of)


def test_a_shrunk_document_is_json() -> None:
    shrunk = shrink({"events": [{"detail": {"comment": {"body": "z" * 300_000}}}]}, None, budget=ITEM_BUDGET)
    assert json.loads(json.dumps(shrunk.value)) == shrunk.value
    [key] = shrunk.texts
    assert key.startswith("bodies/") and "/None/" not in key


def test_the_budget_counts_text_as_stored_escaped() -> None:
    """Ten fields of 27 to 33 KB of CJK are each under the threshold in UTF-8, but escaped JSON makes them over
    500 KB: the largest move out."""
    fields = {f"f{i}": chr(0x4E00 + i) * (9_000 + 200 * i) for i in range(10)}
    shrunk = shrink(fields, 1, budget=ITEM_BUDGET)
    assert bodies.document_size(shrunk.value) <= ITEM_BUDGET
    assert 0 < len(shrunk.texts) < 10
