"""Trigger evaluation speed: 500 triggers against one update, our engine against the same rules in json-logic
(a general-purpose rules library), in the same run; and trigger evaluation's share of trigger_eval's time.

Both engines run Zendesk's cycle (from the top, the first matching trigger that has not fired fires, its actions
change the ticket, check again from the top) over the same 500 rules, of which three fire, one enabling the next.
Figures are medians of several runs; all are printed (`make bench`, or
`.venv/bin/pytest tests/benchmarks/test_trigger_eval.py -m benchmark -s`).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from helpdesk.domain.triggers import Trigger, UpdateContext, run_triggers
from tests.support import ROOT, Pipeline

RULES = 500
RUNS = 7
STATUS_RANK = {"new": 0, "open": 1, "pending": 2, "hold": 3, "solved": 4, "closed": 5}
LOCALES = ("de", "fr", "it", "nl", "pt", "ja", "ko", "sv")


def _rule(i: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Trigger i's conditions and actions; 100, 300 and 450 fire on the sample update, each enabling the next."""
    if i == 100:
        return ([{"field": "current_tags", "operator": "includes", "value": "refund"},
                 {"field": "status", "operator": "less_than", "value": "solved"}],
                [{"field": "current_tags", "value": "refund_seen"}])
    if i == 300:
        return ([{"field": "current_tags", "operator": "includes", "value": "refund_seen"},
                 {"field": "priority", "operator": "is", "value": "normal"}],
                [{"field": "priority", "value": "high"}])
    if i == 450:
        return ([{"field": "priority", "operator": "is", "value": "high"},
                 {"field": "update_type", "operator": "is", "value": "Change"}],
                [{"field": "current_tags", "value": "escalated"}])
    return ([{"field": "update_type", "operator": "is", "value": "Change"},
             {"field": "status", "operator": "less_than", "value": "solved"},
             {"field": "current_tags", "operator": "includes", "value": f"topic_{i} area_{i}"},
             {"field": "requester_locale", "operator": "is", "value": LOCALES[i % len(LOCALES)]},
             {"field": "comment_includes_word", "operator": "includes", "value": f"word{i}"}],
            [{"field": "group_id", "value": 1000 + i}, {"field": "current_tags", "value": f"routed_{i}"}])


def _triggers() -> list[Trigger]:
    return [Trigger.from_api({"title": f"Rule {i}", "conditions": {"all": _rule(i)[0], "any": []},
                              "actions": _rule(i)[1], "position": i}, id=i, now_iso="2026-11-23T09:00:00Z")
            for i in range(1, RULES + 1)]


TICKET: dict[str, Any] = {"id": 1, "subject": "Refund please", "status": "open", "priority": "normal",
                          "type": None, "tags": ["refund"], "group_id": None, "assignee_id": None,
                          "requester_id": 7, "via": "email", "custom_fields": {}}
CTX = UpdateContext(update_type="Change", via="email", actor_role="end-user", actor_id=7,
                    comment={"body": "I would like my money back for order 1234.", "public": True, "author_id": 7},
                    previous={**TICKET, "status": "new"},
                    requester={"id": 7, "name": "Dana", "email": "dana@customer.example", "role": "end-user",
                               "locale": "en-US", "user_fields": {}})


# ---- the same rules in json-logic -------------------------------------------------------------------------
def _logic(condition: dict[str, Any]) -> dict[str, Any]:
    field, value = condition["field"], condition["value"]
    operator = condition["operator"]
    if field == "current_tags":
        return {"or": [{"in": [tag, {"var": "tags"}]} for tag in value.split()]}
    if field == "status":
        return {"<": [{"var": "status_rank"}, STATUS_RANK[value]]}
    if field == "comment_includes_word":
        return {"in": [value.lower(), {"var": "comment"}]}
    if field == "requester_locale":
        return {"==": [{"var": "locale"}, value]}
    assert operator == "is", condition
    return {"==": [{"var": field}, value]}


def _json_logic_cycle(rules: list[tuple[int, dict[str, Any], list[dict[str, Any]]]],
                      apply: Callable[..., Any]) -> list[int]:
    data = {"update_type": "Change", "status_rank": STATUS_RANK[TICKET["status"]], "priority": TICKET["priority"],
            "tags": list(TICKET["tags"]), "comment": str((CTX.comment or {})["body"]).lower(), "locale": "en",
            "group_id": None}
    fired: list[int] = []
    while True:
        hit = next((r for r in rules if r[0] not in fired and apply(r[1], data)), None)
        if hit is None:
            return fired
        fired.append(hit[0])
        for action in hit[2]:
            if action["field"] == "current_tags":
                data["tags"] = [*data["tags"], *(t for t in action["value"].split() if t not in data["tags"])]
            else:
                data[action["field"]] = action["value"]


def _median_seconds(run: Callable[[], Any]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@pytest.mark.benchmark
def test_500_triggers_ours_against_json_logic() -> None:
    from json_logic import jsonLogic  # type: ignore[import-untyped]

    triggers = _triggers()
    logic_rules = [(t.id, {"and": [_logic(c) for c in t.conditions["all"]]}, t.actions) for t in triggers]
    ours = run_triggers(TICKET, triggers, CTX)
    theirs = _json_logic_cycle(logic_rules, jsonLogic)
    assert ours.fired == theirs == [100, 300, 450]  # the same rules, the same outcome
    ours_s = _median_seconds(lambda: run_triggers(TICKET, triggers, CTX))
    theirs_s = _median_seconds(lambda: _json_logic_cycle(logic_rules, jsonLogic))
    print(f"\n500 triggers, one update, 3 fire (4 passes), median of {RUNS}: ours {ours_s * 1000:.2f} ms, "
          f"json-logic {theirs_s * 1000:.2f} ms, json-logic/ours = {theirs_s / ours_s:.1f}x")
    assert ours_s < theirs_s


@pytest.fixture
def timed_runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    from helpdesk.services import trigger_evaluation

    spent: list[float] = []
    real = getattr(trigger_evaluation, "run_triggers")  # noqa: B009 - the name the service calls

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - start)

    monkeypatch.setattr(trigger_evaluation, "run_triggers", timed)
    yield spent


def _sqs_event(message: dict[str, Any]) -> dict[str, Any]:
    return {"Records": [{
        "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
        "attributes": message.get("Attributes", {}), "messageAttributes": {}, "md5OfBody": message.get("MD5OfBody"),
        "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:TriggerQueue",
        "awsRegion": "us-east-1"}]}


@pytest.mark.benchmark
def test_trigger_evaluation_is_a_small_share_of_the_trigger_function(pipeline: Pipeline,
                                                                     timed_runs: list[float]) -> None:
    from helpdesk.local.dispatcher import function_environment, load_handler

    deps = pipeline.deps()
    for trigger in _triggers():
        deps.rules.put_trigger(trigger)
    spec = pipeline.stack.functions["TriggerEvalFunction"]
    handler = load_handler(ROOT, spec)
    url = pipeline.queue_url("TriggerQueue")
    shares, totals, evaluations = [], [], []
    for n in range(RUNS):
        body = {"ticket": {"subject": f"Refund {n}", "tags": ["refund"], "priority": "normal",
                           "comment": {"body": "I would like my money back."}}}
        pipeline.json("POST", "/api/v2/tickets.json", body, expect=201)
        [message] = pipeline.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", [])
        assert json.loads(message["Body"])["detail-type"] == "TicketCreated"
        timed_runs.clear()
        with function_environment(pipeline.stack, spec):
            start = time.perf_counter()
            result = handler(_sqs_event(message), None)
            total = time.perf_counter() - start
        assert result == {"batchItemFailures": []} and len(timed_runs) == 1
        pipeline.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        pipeline.dispatcher.drain()
        totals.append(total)
        evaluations.append(timed_runs[0])
        shares.append(timed_runs[0] / total)
    share = statistics.median(shares)
    print(f"\ntrigger_eval with {RULES} triggers, median of {RUNS} events: handler "
          f"{statistics.median(totals) * 1000:.1f} ms, run_triggers {statistics.median(evaluations) * 1000:.2f} ms, "
          f"share {share:.1%}")
    assert share < 0.05
