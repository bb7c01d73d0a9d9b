"""Ticket metrics through the API (Zendesk's Ticket Metrics), on the real stack: a worked history with exact
calendar and business minutes, the listing's cursor and offset pages, and refusals with a reason."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support import Pipeline

OFFICE = {"schedule": {"name": "Office", "time_zone": "UTC", "intervals": [
    {"start_time": day * 1440 + 540, "end_time": day * 1440 + 1020} for day in range(1, 6)]}}


def _ticket(p: Pipeline, subject: str = "Printer on fire", **fields: Any) -> int:
    body = {"ticket": {"subject": subject, "comment": {"body": "Help"},
                       "requester": {"email": "rita@customer.example", "name": "Rita"}, **fields}}
    return int(p.json("POST", "/api/v2/tickets.json", body, expect=201)["ticket"]["id"])


def _put(p: Pipeline, number: int, **ticket: Any) -> None:
    p.json("PUT", f"/api/v2/tickets/{number}.json", {"ticket": ticket})


def _wait(p: Pipeline, **delta: float) -> None:
    p.clock.advance(timedelta(**delta))


def test_a_worked_history_in_calendar_and_business_minutes(pipeline: Pipeline) -> None:
    p = pipeline  # the clock starts on Monday 2026-11-23 09:00 UTC; business hours are 09:00-17:00 on weekdays
    p.json("POST", "/api/v2/business_hours/schedules.json", OFFICE, expect=201)
    number = _ticket(p, group_id=5)
    _wait(p, hours=10)  # 19:00: two hours of it after closing
    _put(p, number, comment={"body": "On it", "public": False})  # a private note is no reply
    _wait(p, hours=1)
    _put(p, number, comment={"body": "Which printer?", "public": True}, status="pending")  # 20:00
    _wait(p, days=1)  # Tuesday 20:00: 8 business hours pending
    _put(p, number, status="hold", assignee_id=1)
    _wait(p, hours=14)  # Wednesday 10:00
    _put(p, number, status="solved")
    _wait(p, hours=2)
    _put(p, number, status="open")  # a reopen, Wednesday 12:00
    _wait(p, hours=3)
    _put(p, number, status="solved")  # Wednesday 15:00
    metric = p.json("GET", f"/api/v2/tickets/{number}/metrics.json")["ticket_metric"]
    assert metric["reply_time_in_minutes"] == {"calendar": 11 * 60, "business": 8 * 60}
    assert metric["first_resolution_time_in_minutes"] == {"calendar": 49 * 60, "business": 17 * 60}
    assert metric["full_resolution_time_in_minutes"] == {"calendar": 54 * 60, "business": 22 * 60}
    assert metric["agent_wait_time_in_minutes"] == {"calendar": 24 * 60, "business": 8 * 60}
    assert metric["on_hold_time_in_minutes"] == {"calendar": 14 * 60, "business": 60}
    # new 09:00-20:00 (8 h business), hold (1 h), open Wednesday 12:00-15:00 (3 h)
    assert metric["requester_wait_time_in_minutes"] == {"calendar": 28 * 60, "business": 12 * 60}
    assert (metric["reopens"], metric["replies"], metric["assignee_stations"], metric["group_stations"]) == (1, 1, 1, 1)
    assert metric["created_at"] == "2026-11-23T09:00:00Z"
    assert metric["initially_assigned_at"] == metric["assigned_at"] == "2026-11-24T20:00:00Z"
    assert metric["solved_at"] == metric["status_updated_at"] == metric["updated_at"] == "2026-11-25T15:00:00Z"
    assert metric["latest_comment_added_at"] == "2026-11-23T20:00:00Z"
    assert metric["assignee_updated_at"] == "2026-11-25T15:00:00Z"  # the admin (user 1) assigned themselves
    assert p.json("GET", f"/api/v2/ticket_metrics/{number}.json")["ticket_metric"] == metric


def test_the_listing_pages_by_cursor_and_by_offset(pipeline: Pipeline) -> None:
    p = pipeline
    numbers = []
    for index in range(5):
        numbers.append(_ticket(p, f"Ticket {index}"))
        _wait(p, minutes=1)
    seen: list[int] = []
    path: str | None = "/api/v2/ticket_metrics.json?page%5Bsize%5D=2"
    while path:
        page = p.json("GET", path)
        seen += [m["ticket_id"] for m in page["ticket_metrics"]]
        assert len(page["ticket_metrics"]) <= 2
        link = page["links"]["next"]  # absolute, on the API's public URL
        path = f"{urlsplit(link).path}?{urlsplit(link).query}" if link else None
    assert seen == list(reversed(numbers))  # the most recently updated first
    second = p.json("GET", "/api/v2/ticket_metrics.json?page=2&per_page=2")
    assert [m["ticket_id"] for m in second["ticket_metrics"]] == list(reversed(numbers))[2:4]
    assert parse_qs(urlsplit(second["previous_page"]).query)["page"] == ["1"]
    assert parse_qs(urlsplit(second["next_page"]).query)["page"] == ["3"]
    assert p.json("GET", "/api/v2/ticket_metrics.json?page=9&per_page=2")["ticket_metrics"] == []


def test_unknown_metrics_and_bad_pages_are_refused_with_a_reason(pipeline: Pipeline) -> None:
    p = pipeline
    missing = p.call("GET", "/api/v2/ticket_metrics/404.json")
    assert missing.status_code == 404 and b"ticket metric 404 does not exist" in missing.body
    assert p.call("GET", "/api/v2/tickets/404/metrics.json").status_code == 404
    assert p.call("GET", "/api/v2/ticket_metrics/abc").status_code == 400
    for bad in ("page=0", "page=abc", "page%5Bafter%5D=not-a-cursor", "per_page=0"):
        response = p.call("GET", f"/api/v2/ticket_metrics.json?{bad}")
        assert response.status_code == 400, (bad, response.body)
