"""Zendesk's safe_update: the updated_stamp a client sends is checked against the ticket's updated_at."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from helpdesk.domain.errors import InvalidInput, UpdateConflict
from helpdesk.domain.safe_update import check_stamp, requested_stamp
from helpdesk.domain.tickets import Actor, NewComment, Ticket, open_ticket

READ_AT = datetime(2026, 11, 23, 9, 0, 5, 250000, tzinfo=UTC)


def _ticket(updated_at: datetime) -> Ticket:
    comment = NewComment(body="Help", public=True, author_id=7, via="email")
    ticket = open_ticket(ticket_id=1, subject="Broken", comment=comment, requester_id=7, actor=Actor("end-user", 7),
                         via="email", now=updated_at).ticket
    return replace(ticket, updated_at=updated_at)


@pytest.mark.parametrize("data", [{}, {"updated_stamp": "2026-11-23T09:00:05Z"}, {"safe_update": None}])
def test_without_safe_update_nothing_is_checked(data: dict[str, Any]) -> None:
    assert requested_stamp(data) is None


@pytest.mark.parametrize("flag", [True, False, "true"])  # Zendesk: false has the same effect as true
def test_any_safe_update_value_asks_for_the_check(flag: Any) -> None:
    stamp = requested_stamp({"safe_update": flag, "updated_stamp": "2026-11-23T09:00:05Z"})
    assert stamp == datetime(2026, 11, 23, 9, 0, 5, tzinfo=UTC)


def test_an_offset_stamp_is_the_same_moment() -> None:
    assert requested_stamp({"safe_update": True, "updated_stamp": "2026-11-23T10:00:05+01:00"}) == datetime(
        2026, 11, 23, 9, 0, 5, tzinfo=UTC)


@pytest.mark.parametrize(("stamp", "reason"), [
    (None, "updated_stamp is required"), ("", "updated_stamp is required"), (1732352405, "updated_stamp is required"),
    ("yesterday", "must be a time"), ("2026-13-40T09:00:00Z", "must be a time"),
    ("2026-11-23T09:00:05", "time zone"),
])
def test_a_safe_update_needs_a_valid_stamp(stamp: Any, reason: str) -> None:
    data = {"safe_update": True} if stamp is None else {"safe_update": True, "updated_stamp": stamp}
    with pytest.raises(InvalidInput, match=reason):
        requested_stamp(data)


def test_the_stamp_read_passes_and_any_other_conflicts() -> None:
    ticket = _ticket(READ_AT)
    check_stamp(ticket, None)
    check_stamp(ticket, datetime(2026, 11, 23, 9, 0, 5, tzinfo=UTC))  # the API shows whole seconds
    with pytest.raises(UpdateConflict, match="Safe Update prevented the update"):
        check_stamp(ticket, datetime(2026, 11, 23, 9, 0, 4, tzinfo=UTC))
    with pytest.raises(UpdateConflict):
        check_stamp(ticket, datetime(2026, 11, 23, 9, 0, 6, tzinfo=UTC))
