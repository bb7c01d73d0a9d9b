"""The ticket model: statuses, implied transitions, audits, net changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from helpdesk.domain.errors import InvalidInput, InvalidTransition
from helpdesk.domain.tickets import Actor, NewComment, Ticket, change_ticket, next_priority, open_ticket

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
REQUESTER = Actor("end-user", 7)
AGENT = Actor("agent", 1)


def _new(**fields: object) -> Ticket:
    comment = NewComment(body="Help", public=True, author_id=7, via="email")
    return open_ticket(ticket_id=1, subject="Broken", comment=comment, requester_id=7, actor=REQUESTER,
                       via="email", now=NOW, fields=fields).ticket


def _reply(actor: Actor, public: bool = True) -> NewComment:
    return NewComment(body="reply", public=public, author_id=actor.id or 0, via="api")


def test_a_new_ticket_has_its_first_comment_as_description_and_a_create_audit() -> None:
    comment = NewComment(body="Help", public=True, author_id=7, via="email")
    update = open_ticket(ticket_id=1, subject="", comment=comment, requester_id=7, actor=REQUESTER, via="email",
                         now=NOW, fields={"priority": "high", "tags": ["VIP", "vip", "two words"]})
    ticket = update.ticket
    assert (ticket.subject, ticket.description, ticket.status) == ("(no subject)", "Help", "new")
    assert ticket.tags == ["vip", "two", "words"]
    assert update.update_type == "Create" and update.comment is not None and update.comment.id == 1
    assert {"type": "Create", "field_name": "priority", "value": "high"} in update.audit.events
    assert update.changes["priority"] == (None, "high")


@pytest.mark.parametrize("status", ["pending", "hold", "solved"])
def test_a_requester_reply_reopens(status: str) -> None:
    ticket = change_ticket(_new(), actor=AGENT, via="api", now=NOW, fields={"status": status}).ticket
    reopened = change_ticket(ticket, actor=REQUESTER, via="email", now=NOW, comment=_reply(REQUESTER))
    assert reopened.ticket.status == "open"
    assert reopened.changes["status"] == (status, "open")


def test_a_private_note_does_not_reopen_and_an_agent_reply_opens_a_new_ticket() -> None:
    solved = change_ticket(_new(), actor=AGENT, via="api", now=NOW, fields={"status": "solved"}).ticket
    assert change_ticket(solved, actor=REQUESTER, via="web", now=NOW,
                         comment=_reply(REQUESTER, public=False)).ticket.status == "solved"
    replied = change_ticket(_new(), actor=AGENT, via="api", now=NOW + timedelta(minutes=5), comment=_reply(AGENT))
    assert replied.ticket.status == "open"
    assert replied.ticket.first_reply_at == NOW + timedelta(minutes=5)


def test_new_is_never_reentered_and_closed_is_terminal() -> None:
    opened = change_ticket(_new(), actor=AGENT, via="api", now=NOW, fields={"status": "open"}).ticket
    with pytest.raises(InvalidTransition):
        change_ticket(opened, actor=AGENT, via="api", now=NOW, fields={"status": "new"})
    closed = change_ticket(opened, actor=AGENT, via="api", now=NOW, fields={"status": "closed"}).ticket
    with pytest.raises(InvalidTransition):
        change_ticket(closed, actor=REQUESTER, via="email", now=NOW, comment=_reply(REQUESTER))


def test_a_closed_ticket_takes_only_its_satisfaction_rating() -> None:
    closed = change_ticket(_new(), actor=AGENT, via="api", now=NOW, fields={"status": "closed"}).ticket
    note = NewComment(body="Satisfaction rating: good", public=False, author_id=7, via="survey")
    rated = change_ticket(closed, actor=REQUESTER, via="survey", now=NOW, fields={"satisfaction_score": "good"},
                          comment=note)
    assert (rated.ticket.status, rated.ticket.satisfaction.score) == ("closed", "good")
    for fields, comment in (({"status": "open"}, None), ({"priority": "high"}, None),
                            ({"satisfaction_score": "bad", "tags": ["x"]}, None),
                            ({"satisfaction_score": "bad"}, _reply(REQUESTER)), ({}, note)):
        with pytest.raises(InvalidTransition):
            change_ticket(closed, actor=REQUESTER, via="survey", now=NOW, fields=fields, comment=comment)


def test_solving_stamps_solved_at_and_reopening_clears_it() -> None:
    solved = change_ticket(_new(), actor=AGENT, via="api", now=NOW, fields={"status": "solved"}).ticket
    assert solved.solved_at == NOW
    assert change_ticket(solved, actor=AGENT, via="api", now=NOW, fields={"status": "open"}).ticket.solved_at is None


def test_an_update_records_only_what_changed_and_rejects_nothing_or_nonsense() -> None:
    ticket = _new(priority="low")
    update = change_ticket(ticket, actor=AGENT, via="api", now=NOW, fields={"priority": "low", "type": "task"})
    assert dict(update.changes) == {"type": (None, "task")}
    assert ticket.type is None  # the input ticket is not modified
    with pytest.raises(InvalidInput):
        change_ticket(ticket, actor=AGENT, via="api", now=NOW, fields={"priority": "low"})
    with pytest.raises(InvalidInput):
        change_ticket(ticket, actor=AGENT, via="api", now=NOW, fields={"colour": "red"})
    with pytest.raises(InvalidInput):
        change_ticket(ticket, actor=AGENT, via="api", now=NOW, fields={"tags": "not-a-list"})


def test_custom_fields_merge_and_priority_escalation() -> None:
    ticket = _new(custom_fields=[{"id": 5, "value": "a"}])
    update = change_ticket(ticket, actor=AGENT, via="api", now=NOW, fields={"custom_fields": {"6": "b"}})
    assert update.ticket.custom_fields == {"5": "a", "6": "b"}
    assert [next_priority(p) for p in (None, "low", "normal", "high", "urgent")] == [
        "high", "normal", "high", "urgent", "urgent"]


def test_tags_are_normalised_once_each_in_first_seen_order() -> None:
    from helpdesk.domain.tickets import normalise_tags

    assert normalise_tags(["Refund VIP", "vip", "refund", "b a"]) == ["refund", "vip", "b", "a"]
    many = [f"tag{i}" for i in range(100_000)] * 2  # a list lookup per tag made this take about ten minutes
    assert normalise_tags(many) == many[:100_000]
