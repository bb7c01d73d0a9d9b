"""Items DynamoDB reads to answer a view, with 1,000 and with 10,000 tickets stored and the same tickets in the
answer: counted at the botocore level (Query's Count, BatchGetItem's responses), so the figure does not depend on
the machine. A view narrowed by its conditions reads the same items whatever the table holds; a view nothing
narrows reads at most its bound."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from tests.support import Pipeline

RESULT = 40  # tickets each narrowed view answers, whatever the number stored
AGENT = 7


@contextmanager
def items_read() -> Iterator[Counter[str]]:
    from botocore import client as botocore_client

    base: Any = botocore_client.BaseClient
    counts: Counter[str] = Counter()
    real = base._make_api_call

    def counted(self: Any, operation: str, params: Any) -> Any:
        answer = real(self, operation, params)
        if self.meta.service_model.service_name == "dynamodb":
            counts["requests"] += 1
            if operation == "Query":
                counts["items"] += len(answer.get("Items", []))
            elif operation == "BatchGetItem":
                counts["items"] += sum(len(found) for found in answer.get("Responses", {}).values())
            elif operation == "GetItem":
                counts["items"] += 1 if answer.get("Item") else 0
            elif operation == "Scan":
                counts["scans"] += 1
        return answer

    base._make_api_call = counted
    try:
        yield counts
    finally:
        base._make_api_call = real


def _store(p: Pipeline, total: int) -> None:
    """``total`` tickets written straight to the table: RESULT pending, RESULT open and assigned to AGENT, the
    rest closed a month ago (what a desk accumulates)."""
    from helpdesk.adapters.dynamo.models import TicketModel
    from helpdesk.adapters.dynamo.repositories import _ticket_item
    from helpdesk.domain.tickets import Ticket

    deps = p.deps()
    now = p.clock.now()
    with TicketModel.batch_write() as batch:
        for number in range(1, total + 1):
            if number <= RESULT:
                status, assignee, when = "pending", None, now - timedelta(hours=2)
            elif number <= 2 * RESULT:
                status, assignee, when = "open", AGENT, now - timedelta(hours=3)
            else:
                status, assignee, when = "closed", AGENT if number % 2 else None, now - timedelta(days=30)
            ticket = Ticket(id=number, subject=f"Ticket {number}", description="Help", requester_id=2,
                            submitter_id=2, via="email", created_at=when, updated_at=when, status=status,
                            assignee_id=assignee, status_updated_at=when)
            batch.save(_ticket_item(ticket, deps.texts))


def _measure(p: Pipeline, total: int) -> dict[str, tuple[int, int]]:
    p.json("GET", "/api/v2/views.json")  # the default views, seeded before measuring
    _store(p, total)
    views: dict[str, dict[str, Any]] = {
        "pending (by_status)": {"all": [{"field": "status", "operator": "is", "value": "pending"}]},
        "agent's unsolved (by_assignee)": {"all": [
            {"field": "status", "operator": "less_than", "value": "solved"},
            {"field": "assignee_id", "operator": "is", "value": AGENT}]},
        "updated in 24 h (by_updated, bounded by time)": {"all": [
            {"field": "hours_since_update", "operator": "less_than", "value": 24}]},
        "nothing narrows (by_updated, bounded read)": {"all": [
            {"field": "priority", "operator": "is_not", "value": "urgent"}]},
    }
    measured: dict[str, tuple[int, int]] = {}
    for name, conditions in views.items():
        view = p.json("POST", "/api/v2/views.json", {"view": {"title": name, **conditions}}, expect=201)["view"]
        with items_read() as counts:
            answer = p.json("GET", f"/api/v2/views/{view['id']}/count.json")
        assert counts["scans"] == 0
        measured[name] = (int(answer["view_count"]["value"]), counts["items"])
    return measured


@pytest.mark.benchmark
@pytest.mark.parametrize("total", [1000, 10000])
def test_items_read_to_answer_a_view(pipeline: Pipeline, total: int) -> None:
    measured = _measure(pipeline, total)
    print(f"\nItems read to answer a view, {total} tickets stored")
    for name, (value, items) in measured.items():
        print(f"  {name:<48} {value:5d} tickets  {items:5d} items read")
    print(json.dumps({"tickets_stored": total, "views": measured}))
    for name in ("pending (by_status)", "agent's unsolved (by_assignee)",
                 "updated in 24 h (by_updated, bounded by time)"):
        value, items = measured[name]
        assert value in (RESULT, 2 * RESULT)
        assert items <= 2 * value + 10  # the tickets answered (a key and a ticket by_assignee), and the views read
    value, items = measured["nothing narrows (by_updated, bounded read)"]
    assert value == min(total, 1000)
    assert items <= 1001 + 10  # the bound, whatever is stored
