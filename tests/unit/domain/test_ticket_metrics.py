"""Ticket metrics advanced per change (helpdesk.domain.ticket_metrics): what the property test over random
histories does not reach: tickets saved before metrics were kept, automatic mail, storage round trips, and the
schedule read only when a duration ends."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from helpdesk.adapters.dynamo.mapping import ticket_from_doc, ticket_to_doc
from helpdesk.domain.business_hours import Schedule
from helpdesk.domain.ticket_metrics import advance
from helpdesk.domain.tickets import Actor, NewComment, Ticket, Update, change_ticket, open_ticket

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
REQUESTER = Actor("end-user", 7)
AGENT = Actor("agent", 1)


class Schedules:
    """Counts the reads of the default schedule (none: calendar minutes)."""

    def __init__(self) -> None:
        self.reads = 0

    def __call__(self) -> Schedule | None:
        self.reads += 1
        return None


def _apply(update: Update, schedules: Schedules | None = None) -> Ticket:
    update.ticket.metrics = advance(update.ticket.metrics, update, schedules or Schedules())
    return update.ticket


def _new() -> Ticket:
    comment = NewComment(body="Help", public=True, author_id=7, via="email")
    return _apply(open_ticket(ticket_id=1, subject="Broken", comment=comment, requester_id=7, actor=REQUESTER,
                              via="email", now=NOW))


def test_metrics_survive_the_stored_document() -> None:
    ticket = _new()
    ticket = _apply(change_ticket(ticket, actor=AGENT, via="api", now=NOW + timedelta(minutes=90),
                                  fields={"status": "pending", "assignee_id": 1},
                                  comment=NewComment(body="Hi", public=True, author_id=1, via="api")))
    again = ticket_from_doc(ticket_to_doc(ticket), 3)
    assert again.metrics == ticket.metrics
    assert again.metrics is not None and again.metrics.to_api()["reply_time_in_minutes"] == {
        "calendar": 90, "business": 90}


def test_a_ticket_saved_before_metrics_starts_from_its_counters_and_its_status_time() -> None:
    ticket = replace(_new(), metrics=None, status="pending", status_updated_at=NOW, replies=2, reopens=1)
    changed = _apply(change_ticket(ticket, actor=REQUESTER, via="email", now=NOW + timedelta(hours=3),
                                   comment=NewComment(body="Still broken", public=True, author_id=7, via="email")))
    assert changed.metrics is not None
    shown = changed.metrics.to_api()
    assert shown["agent_wait_time_in_minutes"] == {"calendar": 180, "business": 180}  # pending since NOW
    assert (shown["replies"], shown["reopens"], changed.status) == (2, 1, "open")
    assert shown["requester_updated_at"] == "2026-11-23T12:00:00Z"


def test_automatic_mail_is_no_reply_and_only_ending_durations_read_the_schedule() -> None:
    schedules = Schedules()
    ticket = _new()
    automatic = NewComment(body="Out of office", public=True, author_id=1, via="email", automatic=True)
    ticket = _apply(change_ticket(ticket, actor=AGENT, via="email", now=NOW + timedelta(minutes=5),
                                  comment=automatic), schedules)
    ticket = _apply(change_ticket(ticket, actor=AGENT, via="api", now=NOW + timedelta(minutes=6),
                                  fields={"priority": "high"}), schedules)
    assert ticket.metrics is not None and ticket.metrics.replies == 0 and ticket.metrics.reply_time is None
    assert schedules.reads == 0
    ticket = _apply(change_ticket(ticket, actor=AGENT, via="api", now=NOW + timedelta(minutes=10),
                                  fields={"status": "solved"}), schedules)
    assert schedules.reads >= 1 and ticket.metrics is not None
    assert ticket.metrics.to_api()["first_resolution_time_in_minutes"] == {"calendar": 10, "business": 10}
