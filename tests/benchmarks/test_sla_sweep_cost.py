"""Items one SLA sweep reads, with 1,000 and with 10,000 open tickets of which 5 are due: the same count, because
the sweep reads the sharded sla_due index for what is due and then only those tickets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from tests.support import Pipeline


@contextmanager
def items_read() -> Iterator[Counter[str]]:
    """DynamoDB requests and the items they read (a query's scanned count, a get's one item), by operation."""
    from botocore import client as botocore_client

    base: Any = botocore_client.BaseClient
    counts: Counter[str] = Counter()
    real = base._make_api_call

    def counted(self: Any, operation: str, params: Any) -> Any:
        result = real(self, operation, params)
        if self.meta.service_model.service_name == "dynamodb":
            counts[f"{operation} requests"] += 1
            if operation in ("Query", "Scan"):
                counts[f"{operation} items"] += int(result.get("ScannedCount", 0))
            elif operation == "GetItem":
                counts["GetItem items"] += int("Item" in result)
            elif operation == "BatchGetItem":
                counts["BatchGetItem items"] += sum(len(v) for v in result.get("Responses", {}).values())
        return result

    base._make_api_call = counted
    try:
        yield counts
    finally:
        base._make_api_call = real


def _open_tickets(pipeline: Pipeline, first_id: int, count: int, due_in: timedelta) -> None:
    """``count`` open tickets with a first-reply target due ``due_in`` from now, written in batches."""
    from helpdesk.adapters.dynamo.models import TicketModel
    from helpdesk.adapters.dynamo.repositories import _ticket_item
    from helpdesk.domain import sla
    from helpdesk.domain.tickets import Actor, NewComment, open_ticket

    deps = pipeline.deps()
    now = pipeline.clock.now()
    policy = sla.SlaPolicy.from_api({"title": "B", "policy_metrics": [
        {"priority": "normal", "metric": "first_reply_time", "target": 24 * 60}]}, id=1)
    deps.rules.put_sla_policy(policy)  # the sweep applies the stored policies again before it breaches
    start = now + due_in - timedelta(days=1)
    with TicketModel.batch_write() as batch:
        for ticket_id in range(first_id, first_id + count):
            ticket = open_ticket(ticket_id=ticket_id, subject="s", comment=NewComment("b", True, 7, "api"),
                                 requester_id=7, actor=Actor("end-user", 7), via="api", now=start).ticket
            sla.apply_sla(ticket, [policy], start)
            batch.save(_ticket_item(ticket, deps.tickets._texts))


@pytest.mark.benchmark
def test_one_sweep_reads_the_same_items_with_1000_and_10000_open_tickets(pipeline: Pipeline) -> None:
    from helpdesk.services.sla.sweep import sweep_sla

    deps = pipeline.deps()
    _open_tickets(pipeline, 1, 995, timedelta(days=1))
    _open_tickets(pipeline, 996, 5, -timedelta(minutes=2))
    with items_read() as small:
        report = sweep_sla(deps)
    assert report.read == 5 and len(report.breaches) == 5
    _open_tickets(pipeline, 1001, 8995, timedelta(days=1))
    _open_tickets(pipeline, 9996, 5, -timedelta(minutes=2))
    with items_read() as large:
        report = sweep_sla(deps)
    assert report.read == 5 and len(report.breaches) == 5
    print(f"\none SLA sweep, 1,000 open tickets (5 due): {dict(small)}")
    print(f"one SLA sweep, 10,000 open tickets (5 due): {dict(large)}")
    reads = ("Query items", "GetItem items", "BatchGetItem items", "Scan items", "Scan requests", "Query requests")
    assert {k: small[k] for k in reads} == {k: large[k] for k in reads}
    assert small["Scan requests"] == 0
    assert small["Query items"] == 6  # what is due across every shard (5), and the one SLA policy, read once
