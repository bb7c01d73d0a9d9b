"""Rule statistics and the dry run, through the whole pipeline on moto."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tests.support import Pipeline

TAG_ON_CREATE = {"trigger": {"title": "Welcome", "conditions": {"all": [
    {"field": "update_type", "operator": "is", "value": "Create"}]},
    "actions": [{"field": "current_tags", "value": "welcomed"}]}}
TAG_ON_CHANGE = {"trigger": {"title": "Touched", "conditions": {"all": [
    {"field": "update_type", "operator": "is", "value": "Change"}]},
    "actions": [{"field": "current_tags", "value": "touched"}]}}
NEVER = {"trigger": {"title": "Never", "conditions": {"all": [
    {"field": "subject_includes_word", "operator": "includes", "value": "zzzz"}]},
    "actions": [{"field": "priority", "value": "low"}]}}


@pytest.fixture
def insights_api(pipeline: Pipeline) -> Pipeline:
    return pipeline


def _ticket(pipeline: Pipeline, subject: str, body: str = "Hello") -> int:
    created = pipeline.json("POST", "/api/v2/tickets.json", {"ticket": {
        "subject": subject, "comment": {"body": body},
        "requester": {"name": "Dana", "email": "dana@customer.example"}}}, expect=201)
    return int(created["ticket"]["id"])


def _stats(pipeline: Pipeline, path: str = "/api/v2/rule_stats/triggers.json") -> dict[str, dict[str, Any]]:
    return {s["title"]: s for s in pipeline.json("GET", path)["rule_stats"]}


def _redeliver_trigger_events(pipeline: Pipeline) -> int:
    """Take what waits on the trigger queue and put every message back twice: a redelivery of each event."""
    url = pipeline.queue_url("TriggerQueue")
    taken = pipeline.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for message in taken:
        pipeline.sqs.send_message(QueueUrl=url, MessageBody=message["Body"])
        pipeline.sqs.send_message(QueueUrl=url, MessageBody=message["Body"])
        pipeline.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return len(taken)


def test_firings_are_counted_once_per_update_even_when_an_event_is_redelivered(insights_api: Pipeline) -> None:
    p = insights_api
    for body in (TAG_ON_CREATE, TAG_ON_CHANGE, NEVER):
        p.json("POST", "/api/v2/triggers.json", body, expect=201)
    first, second = _ticket(p, "Where is my parcel"), _ticket(p, "Refund please")
    p.dispatcher.drain()
    for n in range(3):  # the first change adds the tag (a write), the next two change nothing (a record only)
        p.json("PUT", f"/api/v2/tickets/{first}.json", {"ticket": {"comment": {"body": f"ping {n}", "public": False}}})
        assert _redeliver_trigger_events(p) == 1
        p.dispatcher.drain()
    assert p.dispatcher.failures == []
    stats = _stats(p)
    assert stats["Welcome"]["usage_24h"] == 2 and stats["Welcome"]["usage_7d"] == 2
    assert stats["Touched"]["usage_24h"] == 3 and stats["Touched"]["usage_7d"] == 3
    assert stats["Never"]["usage_24h"] == 0
    assert _stats(p, "/api/v2/rule_stats/triggers") == stats
    assert "touched" in p.json("GET", f"/api/v2/tickets/{first}.json")["ticket"]["tags"]
    assert "touched" not in p.json("GET", f"/api/v2/tickets/{second}.json")["ticket"]["tags"]


def test_the_24_hour_window_forgets_before_the_7_day_window(insights_api: Pipeline) -> None:
    p = insights_api
    p.json("POST", "/api/v2/triggers.json", TAG_ON_CREATE, expect=201)
    _ticket(p, "One")
    p.dispatcher.drain()
    p.clock.advance(timedelta(hours=23))
    _ticket(p, "Two")
    p.dispatcher.drain()
    assert (_stats(p)["Welcome"]["usage_24h"], _stats(p)["Welcome"]["usage_7d"]) == (2, 2)
    p.clock.advance(timedelta(hours=1, minutes=1))  # the first firing's hour has left the 24-hour window
    assert (_stats(p)["Welcome"]["usage_24h"], _stats(p)["Welcome"]["usage_7d"]) == (1, 2)
    p.clock.advance(timedelta(days=6))
    assert (_stats(p)["Welcome"]["usage_24h"], _stats(p)["Welcome"]["usage_7d"]) == (0, 1)
    p.clock.advance(timedelta(days=1))
    assert (_stats(p)["Welcome"]["usage_24h"], _stats(p)["Welcome"]["usage_7d"]) == (0, 0)


def test_counters_expire_by_ttl_and_usage_sideloads_onto_the_listing(insights_api: Pipeline) -> None:
    import boto3

    from helpdesk.adapters.dynamo.models import DirectoryModel
    from helpdesk.domain.clock import to_epoch
    from helpdesk.services import rule_stats

    p = insights_api
    trigger = p.json("POST", "/api/v2/triggers.json", TAG_ON_CREATE, expect=201)["trigger"]
    _ticket(p, "One")
    p.dispatcher.drain()
    deps = p.deps()
    items = list(DirectoryModel.scan(DirectoryModel.pk.startswith("stat#trigger#")))
    hour = to_epoch(p.clock.now()) // 3600
    day = hour // 24
    assert [(i.pk, i.expires_at) for i in items] == [  # one item a rule and day, kept 8 days after the day
        (f"stat#trigger#{trigger['id']}#d{day}", (day * 24 + 23) * 3600 + 8 * 24 * 3600)]
    raw = boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName=DirectoryModel.Meta.table_name, Key={"pk": {"S": items[0].pk}})["Item"]
    assert raw[f"h{hour}"] == {"N": "1"}  # the firing, counted in its hour
    listed = rule_stats.with_usage(deps, [t.to_api() for t in deps.rules.triggers()], "usage_24h,usage_7d")
    assert (listed[0]["id"], listed[0]["usage_24h"], listed[0]["usage_7d"]) == (trigger["id"], 1, 1)
    only_day = rule_stats.with_usage(deps, [trigger], "usage_24h")[0]
    assert only_day["usage_24h"] == 1 and "usage_7d" not in only_day
    assert rule_stats.with_usage(deps, [trigger], None) == [trigger]


def _everything(pipeline: Pipeline) -> dict[str, Any]:
    import boto3

    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    tables = {name: dynamodb.scan(TableName=pipeline.stack.env[name])["Items"]
              for name in ("TICKETS_TABLE", "ACTIVITY_TABLE", "DIRECTORY_TABLE", "RULES_TABLE")}
    queues = {name: pipeline.sqs.get_queue_attributes(QueueUrl=pipeline.queue_url(name),
                                                      AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
              for name in ("TriggerQueue", "NotifyQueue")}
    return {"tables": tables, "queues": queues}


REFUND_AUTO_ANSWER = {"trigger": {
    "title": "Answer refund questions", "active": False,
    "conditions": {"all": [{"field": "subject_includes_word", "operator": "includes", "value": "refund"}]},
    "actions": [{"field": "status", "value": "solved"}, {"field": "current_tags", "value": "auto_answered"},
                {"field": "notification_user", "value": ["requester_id", "About #{{ticket.id}}",
                                                         "Hello {{ticket.requester.name}}, see our refund page."]}],
}}


def test_dry_run_lists_what_the_trigger_would_change_and_writes_nothing(insights_api: Pipeline) -> None:
    p = insights_api
    refund = _ticket(p, "Refund for order 7")
    _ticket(p, "Where is my parcel")
    p.clock.advance(timedelta(minutes=1))
    latest = _ticket(p, "Another refund")
    p.dispatcher.drain()
    before = _everything(p)
    found = p.json("POST", "/api/v2/rule_stats/dry_run.json", REFUND_AUTO_ANSWER)["dry_run"]
    assert found["evaluated"] == 3
    assert sorted(m["ticket_id"] for m in found["matched"]) == [refund, latest]
    match = found["matched"][0]
    assert match["changes"] == {"status": ["new", "solved"], "tags": [[], ["auto_answered"]]}
    assert match["notifications"] == 1
    assert p.json("POST", "/api/v2/rule_stats/dry_run?limit=1", REFUND_AUTO_ANSWER)["dry_run"] == {
        "evaluated": 1, "matched": [{**match, "ticket_id": latest}]}
    assert _everything(p) == before
    assert p.json("GET", "/api/v2/triggers.json")["triggers"] == []


@pytest.mark.parametrize(("path", "body", "status"), [
    ("/api/v2/rule_stats/dry_run", {"trigger": {"title": "no conditions", "actions": []}}, 422),
    ("/api/v2/rule_stats/dry_run", {"title": "no envelope"}, 400),
    ("/api/v2/rule_stats/dry_run?limit=lots", REFUND_AUTO_ANSWER, 400),
    ("/api/v2/rule_stats/dry_run", [], 400),
])
def test_dry_run_refuses_bad_input(insights_api: Pipeline, path: str, body: Any, status: int) -> None:
    response = insights_api.call("POST", path, body)
    assert response.status_code == status, response.body
    assert json.loads(response.body)["description"]


def test_insights_need_credentials(insights_api: Pipeline) -> None:
    assert insights_api.call("GET", "/api/v2/rule_stats/triggers.json", headers={}).status_code == 401


def test_dry_run_reads_the_latest_comment_for_comment_conditions(insights_api: Pipeline) -> None:
    p = insights_api
    asked = _ticket(p, "Account", body="How do I reset my password?")
    _ticket(p, "Account", body="My invoice is wrong")
    keyword = {"trigger": {"title": "Password answer", "conditions": {"all": [
        {"field": "comment_includes_word", "operator": "includes", "value": "password"},
        {"field": "update_type", "operator": "is", "value": "Create"}]},
        "actions": [{"field": "status", "value": "solved"}]}}
    found = p.json("POST", "/api/v2/rule_stats/dry_run", keyword)["dry_run"]
    assert found == {"evaluated": 2, "matched": [
        {"ticket_id": asked, "changes": {"status": ["new", "solved"]}, "notifications": 0}]}


def test_the_7_day_usage_of_150_rules_is_12_batch_reads(insights_api: Pipeline,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """One counter item a rule and day: 150 rules x 8 days = 1200 keys, 12 BatchGetItem requests (one item an
    hour took 150 x 168 keys, 252 requests)."""
    from pynamodb.connection.table import TableConnection

    from helpdesk.adapters.dynamo.rule_stats import DynamoRuleStatistics
    from helpdesk.domain.rule_stats import hour_of, window

    stats = DynamoRuleStatistics()
    now = insights_api.clock.now()
    stats.record("trigger", [7, 149], hour_of(now) - 30)
    stats.record("trigger", [7], hour_of(now))
    calls: list[int] = []
    real = TableConnection.batch_get_item

    def counted(self: TableConnection, keys: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(len(keys))
        return real(self, keys, *args, **kwargs)

    monkeypatch.setattr(TableConnection, "batch_get_item", counted)
    counts = stats.hourly("trigger", list(range(150)), window(now, 168))
    assert len(calls) == 12 and sum(calls) == 1200
    assert counts[7] == {hour_of(now) - 30: 1, hour_of(now): 1} and counts[149] == {hour_of(now) - 30: 1}
    assert counts[0] == {}
