"""One bad record never stops a sweep (issue 13, finding 3): every sweep handles its tickets one at a time, reports
a failing one with its cause, parks it after a few failed runs, and handles all the others in the same run; the
local dispatcher moves a failing schedule on to its next time and keeps feeding the queues."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.support import Pipeline, make_email, sample


def _poison(p: Pipeline, ticket_id: int) -> None:
    """Store a ticket document this code cannot read (as a bad migration or a hand edit would leave it)."""
    from helpdesk.adapters.dynamo.models import TicketModel

    p.deps().tickets  # noqa: B018 - binds the models to the stack's tables
    connection: Any = TicketModel._get_connection()
    connection.update_item(ticket_id, actions=[TicketModel.doc.set({"id": ticket_id, "subject": "broken"})])


def _mail(p: Pipeline, count: int) -> list[int]:
    for index in range(count):
        p.email(make_email(message_id=f"sweep-{index}@customer.example", sender=f"u{index}@customer.example",
                           subject=f"Question {index}"))
    p.dispatcher.drain()
    return list(range(1, count + 1))


def _sla_policy(p: Pipeline) -> None:
    p.json("POST", "/api/v2/slas/policies.json", json.loads(sample("api_sla_policy.json")), expect=201)


def test_the_sla_sweep_escalates_every_other_ticket_and_parks_the_bad_one(pipeline: Pipeline) -> None:
    from helpdesk.services.sla.sweep import sweep
    from helpdesk.services.sweep_items import MAX_ATTEMPTS

    _sla_policy(pipeline)
    tickets = _mail(pipeline, 5)
    _poison(pipeline, 3)
    pipeline.clock.advance(timedelta(minutes=61))
    report = sweep(pipeline.deps())
    assert report.read == 5
    assert sorted(t for t, _ in report.breaches) == [1, 2, 4, 5]  # all the others, in the same run
    assert [t for t, _ in report.failures.failed] == [3]
    assert "lacks a timestamp" in report.failures.failed[0][1]
    for run in range(2, MAX_ATTEMPTS + 1):
        pipeline.clock.advance(timedelta(minutes=1))
        again = sweep(pipeline.deps())
        assert [t for t, _ in again.failures.failed] == [3]
        assert again.failures.parked == ([3] if run == MAX_ATTEMPTS else [])
    pipeline.clock.advance(timedelta(minutes=1))
    assert sweep(pipeline.deps()).read == 0  # parked: out of the due index until the ticket changes
    assert tickets == [1, 2, 3, 4, 5]


def test_the_survey_sweep_sends_every_other_survey(pipeline: Pipeline) -> None:
    from helpdesk.services.surveys import send_due

    _mail(pipeline, 3)
    for number in (1, 2, 3):
        pipeline.json("PUT", f"/api/v2/tickets/{number}.json",
                      {"ticket": {"status": "solved", "comment": {"body": "Done.", "public": True}}})
    pipeline.dispatcher.drain()  # schedules the three surveys
    _poison(pipeline, 2)
    pipeline.clock.advance(timedelta(days=1, minutes=5))
    run = send_due(pipeline.deps())
    assert sorted(s.ticket_id for s in run.sent) == [1, 3]
    assert [t for t, _ in run.failures.failed] == [2]


def test_automations_and_closing_go_on_past_a_bad_ticket(pipeline: Pipeline) -> None:
    from helpdesk.services.automations import run
    from helpdesk.services.sweep_items import MAX_ATTEMPTS

    body = {"automation": {"title": "Tag old tickets", "conditions": {"all": [
        {"field": "status", "operator": "less_than", "value": "solved"},
        {"field": "NEW", "operator": "greater_than", "value": "1"},
        {"field": "current_tags", "operator": "not_includes", "value": "old"}], "any": []},
        "actions": [{"field": "current_tags", "value": "old"}]}}
    pipeline.json("POST", "/api/v2/automations.json", body, expect=201)
    _mail(pipeline, 4)
    _poison(pipeline, 2)
    pipeline.clock.advance(timedelta(hours=2))
    report = run(pipeline.deps())
    assert sorted(t for _, t in report.fired) == [1, 3, 4]
    assert [t for t, _ in report.failures.failed] == [2]
    for hour in range(2, MAX_ATTEMPTS + 1):
        pipeline.clock.advance(timedelta(hours=1))
        assert run(pipeline.deps()).failures.parked == ([2] if hour == MAX_ATTEMPTS else [])
    pipeline.clock.advance(timedelta(hours=1))
    assert run(pipeline.deps()).failures.failed == []  # parked from the hourly run


def test_closing_solved_tickets_goes_on_past_a_bad_ticket(pipeline: Pipeline) -> None:
    from helpdesk.services.automations import RunReport, close_solved

    _mail(pipeline, 3)
    for number in (1, 2, 3):
        pipeline.json("PUT", f"/api/v2/tickets/{number}.json", {"ticket": {"status": "solved"}})
    pipeline.dispatcher.drain()
    _poison(pipeline, 1)
    pipeline.clock.advance(timedelta(days=5))
    report = RunReport()
    close_solved(pipeline.deps(), report)
    assert sorted(report.closed) == [2, 3]
    assert [t for t, _ in report.failures.failed] == [1]


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def log_records() -> Iterator[list[logging.LogRecord]]:
    from helpdesk.observability import logger

    handler = _Records()
    target: Any = logger()._logger  # Powertools' Logger writes through this standard logger
    target.addHandler(handler)
    try:
        yield handler.records
    finally:
        target.removeHandler(handler)


def test_the_sweep_function_logs_each_failure_with_its_cause(pipeline: Pipeline,
                                                             log_records: list[logging.LogRecord]) -> None:
    _sla_policy(pipeline)
    _mail(pipeline, 2)
    _poison(pipeline, 1)
    pipeline.dispatcher.advance(61)  # the deployed schedule runs the sweep every minute
    failures = [r for r in log_records if r.getMessage().startswith("a ticket failed in the sweep")]
    assert failures, [r.getMessage() for r in log_records]
    assert {getattr(r, "sweep", None) for r in failures} == {"sla"}
    assert all("lacks a timestamp" in str(getattr(r, "cause", "")) for r in failures)
    assert pipeline.dispatcher.failures == []  # the function itself succeeded
    assert pipeline.json("GET", "/api/v2/tickets/2.json")["ticket"]["priority"] == "high"  # escalated


def test_a_failing_schedule_moves_on_and_the_queues_are_still_fed(pipeline: Pipeline) -> None:
    dispatcher = pipeline.dispatcher

    def broken(event: dict[str, Any], context: Any) -> Any:
        raise RuntimeError("the sweep is broken")

    dispatcher.handlers["SlaEscalationFunction"] = broken
    dispatcher.advance(3)
    assert dispatcher.failures.count("SlaEscalationFunction (schedule): RuntimeError: the sweep is broken") == 3
    pipeline.email(make_email(message_id="after-the-failure@customer.example"))
    dispatcher.drain()
    assert pipeline.json("GET", "/api/v2/tickets/1.json")["ticket"]["subject"] == "Help with my order"
