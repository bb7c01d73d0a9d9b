"""Signed pagination cursors: what one listing hands out reads back as given, and nothing else does."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk.domain.cursors import seal, unseal
from helpdesk.domain.errors import InvalidInput

KEY = b"k" * 32
positions = st.dictionaries(st.sampled_from(["u", "id", "i", "d", "s"]),
                            st.one_of(st.integers(min_value=0, max_value=10**15), st.text(max_size=20)),
                            max_size=4)


@given(positions)
def test_a_cursor_reads_back_as_sealed(position: dict[str, Any]) -> None:
    assert unseal(KEY, "/api/v2/tickets", seal(KEY, "/api/v2/tickets", position)) == position


@given(positions, st.integers(min_value=0, max_value=200), st.characters(codec="ascii"))
def test_any_changed_character_is_refused(position: dict[str, Any], where: int, char: str) -> None:
    cursor = seal(KEY, "/api/v2/tickets", position)
    index = where % len(cursor)
    changed = cursor[:index] + char + cursor[index + 1:]
    if changed == cursor:
        return
    with pytest.raises(InvalidInput, match="page\\[after\\]"):
        unseal(KEY, "/api/v2/tickets", changed)


def test_a_cursor_of_another_listing_or_key_is_refused() -> None:
    cursor = seal(KEY, "/api/v2/tickets", {"i": 3})
    with pytest.raises(InvalidInput):
        unseal(KEY, "/api/v2/users", cursor)
    with pytest.raises(InvalidInput):
        unseal(b"other", "/api/v2/tickets", cursor)


@pytest.mark.parametrize("cursor", ["", ".", "a.b.c", "x" * 2000, "é.é", "W10.AAAA", "{}"])
def test_made_up_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(InvalidInput):
        unseal(KEY, "/api/v2/tickets", cursor)
