"""Zendesk's additional_tags and remove_tags on a ticket update: relative to the tags the ticket has when the
change is applied, recorded and seen by rules as a change of tags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from helpdesk.domain.errors import InvalidInput, InvalidTransition, TagsUnchanged
from helpdesk.domain.events import events_for_update
from helpdesk.domain.tickets import Actor, NewComment, Ticket, change_ticket, open_ticket

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
AGENT = Actor("agent", 1)


def _ticket(tags: list[str]) -> Ticket:
    comment = NewComment(body="Help", public=True, author_id=7, via="email")
    return open_ticket(ticket_id=1, subject="Broken", comment=comment, requester_id=7, actor=Actor("end-user", 7),
                       via="email", now=NOW, fields={"tags": tags}).ticket


def _change(ticket: Ticket, **fields: Any) -> Any:
    return change_ticket(ticket, actor=AGENT, via="api", now=NOW + timedelta(minutes=1), fields=fields)


def test_additional_tags_add_to_the_tags_the_ticket_has() -> None:
    update = _change(_ticket(["vip", "billing"]), additional_tags=["Urgent", "vip", "two words"])
    assert update.ticket.tags == ["vip", "billing", "urgent", "two", "words"]
    assert update.changes == {"tags": (["vip", "billing"], ["vip", "billing", "urgent", "two", "words"])}
    assert update.audit.events == ({"type": "Change", "field_name": "tags", "previous_value": ["vip", "billing"],
                                    "value": ["vip", "billing", "urgent", "two", "words"]},)


def test_remove_tags_remove_only_the_tags_named() -> None:
    update = _change(_ticket(["vip", "billing", "refund"]), remove_tags=["billing", "absent"])
    assert update.ticket.tags == ["vip", "refund"]


def test_a_space_delimited_string_is_taken_as_zendesk_takes_it() -> None:
    assert _change(_ticket([]), additional_tags="a_new_tag another").ticket.tags == ["a_new_tag", "another"]


def test_tags_are_set_first_then_added_to_then_removed_from() -> None:
    update = _change(_ticket(["old"]), tags=["set", "gone"], additional_tags=["added"], remove_tags=["gone"])
    assert update.ticket.tags == ["set", "added"]


def test_the_update_is_a_tags_change_for_the_rules() -> None:
    [event] = events_for_update(_change(_ticket(["vip"]), additional_tags=["escalated"]))
    assert event.detail["changes"]["tags"] == {"from": ["vip"], "to": ["vip", "escalated"]}


def test_adding_tags_the_ticket_has_is_no_change_but_not_a_bad_request() -> None:
    """Zendesk answers an add of present tags (or a removal of absent ones) with the ticket as it is; a plain
    update that changes nothing stays the 400 it was."""
    ticket = _ticket(["vip"])
    with pytest.raises(TagsUnchanged):
        _change(ticket, additional_tags=["VIP"])
    with pytest.raises(TagsUnchanged):
        _change(ticket, remove_tags=["absent"], priority=None)
    with pytest.raises(InvalidInput, match="changes nothing") as plain:
        _change(ticket, tags=["vip"])
    assert not isinstance(plain.value, TagsUnchanged)


@pytest.mark.parametrize("value", [{"tag": "x"}, 42, [["nested"]], [None]])
def test_tag_edits_must_be_tags(value: Any) -> None:
    with pytest.raises(InvalidInput, match="additional_tags must be"):
        _change(_ticket([]), additional_tags=value)


def test_a_closed_ticket_takes_no_tag_edits() -> None:
    closed = _change(_ticket([]), status="closed").ticket
    with pytest.raises(InvalidTransition):
        _change(closed, additional_tags=["late"])
    with pytest.raises(InvalidTransition):
        _change(closed, satisfaction_score="good", remove_tags=["x"])
