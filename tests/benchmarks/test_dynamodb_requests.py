"""DynamoDB requests per ticket lifecycle (email in, triggers, agent reply, solve, survey, rating), counted
by operation at the botocore level: a count that does not depend on the machine's speed."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from tests.support import Pipeline, sample


@contextmanager
def counting() -> Iterator[Counter[str]]:
    from botocore import client as botocore_client

    base: Any = botocore_client.BaseClient
    counts: Counter[str] = Counter()
    real = base._make_api_call

    def counted(self: Any, operation: str, params: Any) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            counts[operation] += 1
        return real(self, operation, params)

    base._make_api_call = counted
    try:
        yield counts
    finally:
        base._make_api_call = real


@pytest.mark.benchmark
def test_dynamodb_requests_per_ticket_lifecycle(pipeline: Pipeline) -> None:
    from moto.ses.models import ses_backends

    for name in ("api_trigger_refund_priority.json", "api_trigger_acknowledge.json", "api_trigger_bad_rating.json"):
        pipeline.json("POST", "/api/v2/triggers.json", json.loads(sample(name)), expect=201)
    pipeline.json("POST", "/api/v2/slas/policies.json", json.loads(sample("api_sla_policy.json")), expect=201)
    stages: dict[str, Counter[str]] = {}

    def stage(name: str, action: Any) -> None:
        with counting() as counts:
            action()
            pipeline.dispatcher.drain()
        stages[name] = counts

    stage("email in + triggers + acknowledgement", lambda: pipeline.email(sample("email_order_refund.eml")))
    stage("agent reply (+ mail out)",
          lambda: pipeline.json("PUT", "/api/v2/tickets/1.json", json.loads(sample("api_agent_reply.json"))))
    stage("solve (+ survey scheduled)",
          lambda: pipeline.json("PUT", "/api/v2/tickets/1.json", json.loads(sample("api_solve.json"))))
    stage("survey sent (one sweep)",
          lambda: (pipeline.clock.advance(timedelta(days=1, minutes=5)), pipeline.dispatcher.fire_due_schedules()))
    raw = ses_backends["123456789012"]["us-east-1"].sent_messages[-1].raw_data
    token = re.search(r"/surveys/(\S+)", raw.replace("=\n", ""))
    assert token is not None
    stage("rating + triggers", lambda: pipeline.api.http.post(
        f"/surveys/{token.group(1)}", headers={"Content-Type": "application/x-www-form-urlencoded"},
        body="score=bad&comment=slow"))
    total: Counter[str] = Counter()
    print("\nDynamoDB requests per ticket lifecycle")
    for name, counts in stages.items():
        total.update(counts)
        print(f"  {name:<40} {sum(counts.values()):3d}  {dict(sorted(counts.items()))}")
    print(f"  {'total':<40} {sum(total.values()):3d}  {dict(sorted(total.items()))}")
    assert sum(total.values()) > 0
    assert total["Scan"] == 0  # nothing in the lifecycle scans a table
