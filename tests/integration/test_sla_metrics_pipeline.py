"""Each SLA metric through the real pipeline and the local clock: a breach recorded within a minute of its due
moment, escalated exactly once (sweeps run twice and late); the ticket's ``slas`` side-load; policy reorder
and definitions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from helpdesk.domain import sla
from helpdesk.domain.clock import parse_iso
from tests.support import Pipeline, make_email

REPLY_CYCLE = ("next_reply_time", "periodic_update_time", "pausable_update_time")


def _policy(p: Pipeline, *metrics: dict[str, Any], title: str = "All", **extra: Any) -> dict[str, Any]:
    body = {"sla_policy": {"title": title, "filter": {"all": [], "any": []}, "policy_metrics": list(metrics), **extra}}
    return dict(p.json("POST", "/api/v2/slas/policies.json", body, expect=201)["sla_policy"])


def _ticket(p: Pipeline, number: int = 1, include: str = "") -> dict[str, Any]:
    suffix = f"?include={include}" if include else ""
    return dict(p.json("GET", f"/api/v2/tickets/{number}.json{suffix}")["ticket"])


def _agent_reply(p: Pipeline, number: int = 1) -> None:
    p.json("PUT", f"/api/v2/tickets/{number}.json", {"ticket": {"comment": {"body": "On it.", "public": True}}})
    p.dispatcher.drain()


def _requester_writes(p: Pipeline, n: int) -> None:
    p.email(make_email(message_id=f"again{n}@customer.example", subject="Re: Help with my order [#1]",
                       body="Any news?"))
    p.dispatcher.drain()


def _start(p: Pipeline, metric: str) -> None:
    """A ticket by email whose ``metric`` runs from now."""
    p.email(make_email(message_id="first@customer.example"))
    p.dispatcher.drain()
    if metric in REPLY_CYCLE:
        _agent_reply(p)
        if metric == "next_reply_time":
            _requester_writes(p, 1)


def _due(p: Pipeline, metric: str) -> Any:
    shown = {m["metric"]: m for m in _ticket(p, include="slas")["slas"]["policy_metrics"]}
    return parse_iso(shown[metric]["breach_at"])


@pytest.mark.parametrize("metric", sla.METRICS)
def test_each_metric_breaches_within_a_minute_and_is_escalated_once(pipeline: Pipeline, metric: str) -> None:
    _policy(pipeline, {"priority": "normal", "metric": metric, "target": 10},
            {"priority": "high", "metric": metric, "target": 10})
    _start(pipeline, metric)
    due = _due(pipeline, metric)
    pipeline.dispatcher.advance(9)
    assert _ticket(pipeline)["sla"][metric]["breached_at"] is None
    pipeline.dispatcher.advance(3)
    after = _ticket(pipeline, include="slas")
    breached_at = parse_iso(after["sla"][metric]["breached_at"])
    assert breached_at is not None and 0 <= (breached_at - due).total_seconds() <= 60
    assert after["priority"] == "high" and after["tags"].count("sla_breached") == 1
    [shown] = [m for m in after["slas"]["policy_metrics"] if m["metric"] == metric]
    assert shown["breached"] is True and shown["stage"] == "active"
    pipeline.dispatcher.advance(5)
    again = _ticket(pipeline)
    assert again["sla"][metric]["breached_at"] == after["sla"][metric]["breached_at"]
    assert again["priority"] == "high" and again["tags"].count("sla_breached") == 1


@pytest.mark.parametrize("metric", ["pausable_update_time", "requester_wait_time", "agent_work_time"])
def test_a_late_sweep_run_twice_records_a_paused_then_resumed_breach_once(pipeline: Pipeline, metric: str) -> None:
    from helpdesk.services.sla.sweep import sweep_sla

    _policy(pipeline, {"priority": "normal", "metric": metric, "target": 30})
    _start(pipeline, metric)
    pipeline.json("PUT", "/api/v2/tickets/1.json", {"ticket": {"status": "pending"}})
    paused = _ticket(pipeline, include="slas")["slas"]["policy_metrics"]
    assert [(m["stage"], m["breach_at"]) for m in paused if m["metric"] == metric] == [("paused", None)]
    pipeline.clock.advance(timedelta(hours=5))  # paused: no sweep would find anything due
    deps = pipeline.deps()
    assert sweep_sla(deps).read == 0
    pipeline.json("PUT", "/api/v2/tickets/1.json", {"ticket": {"status": "open"}})
    due = _due(pipeline, metric)
    assert due == pipeline.clock.now() + timedelta(minutes=30)  # the 5 paused hours did not count
    pipeline.clock.advance(timedelta(minutes=45))  # the sweeps were late
    first, second = sweep_sla(deps), sweep_sla(deps)
    assert [m for _, m in first.breaches] == [metric] and second.breaches == [] and second.read == 0
    assert _ticket(pipeline)["tags"].count("sla_breached") == 1


def test_a_priority_change_past_the_new_target_breaches_at_the_change_and_the_sweep_escalates(
        pipeline: Pipeline) -> None:
    _policy(pipeline, {"priority": "normal", "metric": "first_reply_time", "target": 60},
            {"priority": "urgent", "metric": "first_reply_time", "target": 10})
    _start(pipeline, "first_reply_time")
    pipeline.dispatcher.advance(20)
    pipeline.json("PUT", "/api/v2/tickets/1.json", {"ticket": {"priority": "urgent"}})
    changed_at = pipeline.clock.now()
    ticket = _ticket(pipeline)
    assert parse_iso(ticket["sla"]["first_reply_time"]["breached_at"]) == changed_at  # not back-dated
    assert "sla_breached" not in ticket["tags"]
    pipeline.dispatcher.advance(1)  # the next sweep escalates the breach the write recorded
    escalated = _ticket(pipeline)
    assert escalated["tags"].count("sla_breached") == 1
    assert escalated["sla"]["first_reply_time"]["breached_at"] == ticket["sla"]["first_reply_time"]["breached_at"]
    pipeline.dispatcher.advance(3)
    assert _ticket(pipeline)["tags"].count("sla_breached") == 1


def test_targets_in_seconds_are_kept_and_a_fifteen_second_target_breaches_within_the_minute(
        pipeline: Pipeline) -> None:
    created = _policy(pipeline, {"priority": "normal", "metric": "first_reply_time", "target_in_seconds": 15})
    assert created["policy_metrics"][0]["target_in_seconds"] == 15
    _start(pipeline, "first_reply_time")
    due = _due(pipeline, "first_reply_time")
    pipeline.dispatcher.advance(1)
    breached_at = parse_iso(_ticket(pipeline)["sla"]["first_reply_time"]["breached_at"])
    assert breached_at is not None and 0 <= (breached_at - due).total_seconds() <= 60


def test_a_policy_filter_on_a_requester_field_applies_that_policy(pipeline: Pipeline) -> None:
    _policy(pipeline, {"priority": "normal", "metric": "first_reply_time", "target": 15}, title="VIP", position=1,
            filter={"all": [{"field": "requester.custom_fields.tier", "operator": "is", "value": "gold"}],
                    "any": []})
    rest = _policy(pipeline, {"priority": "normal", "metric": "first_reply_time", "target": 240}, title="Rest",
                   position=2)
    _start(pipeline, "first_reply_time")
    assert _ticket(pipeline)["sla"]["first_reply_time"]["due_at"] is not None
    requester = _ticket(pipeline)["requester_id"]
    pipeline.json("PUT", f"/api/v2/users/{requester}.json", {"user": {"user_fields": {"tier": "gold"}}})
    created = parse_iso(_ticket(pipeline)["created_at"])
    assert created is not None
    pipeline.json("PUT", "/api/v2/tickets/1.json", {"ticket": {"type": "question"}})
    assert parse_iso(_ticket(pipeline)["sla"]["first_reply_time"]["due_at"]) == created + timedelta(minutes=15)
    assert rest["position"] == 2


def test_reorder_and_definitions(pipeline: Pipeline) -> None:
    one = _policy(pipeline, {"priority": "normal", "metric": "first_reply_time", "target": 60}, title="One")
    two = _policy(pipeline, {"priority": "normal", "metric": "first_reply_time", "target": 30}, title="Two")
    ordered = pipeline.json("PUT", "/api/v2/slas/policies/reorder.json", {"sla_policy_ids": [two["id"], one["id"]]})
    assert [(p["id"], p["position"]) for p in ordered["sla_policies"]] == [(two["id"], 1), (one["id"], 2)]
    listed = pipeline.json("GET", "/api/v2/slas/policies.json")["sla_policies"]
    assert [p["title"] for p in listed] == ["Two", "One"]
    _start(pipeline, "first_reply_time")
    assert _ticket(pipeline, include="slas")["slas"]["policy_metrics"][0]["minutes"] in (29, 30)  # Two applies
    refused = pipeline.json("PUT", "/api/v2/slas/policies/reorder", {"sla_policy_ids": [one["id"]]}, expect=422)
    assert "exactly once" in str(refused)
    pipeline.json("PUT", "/api/v2/slas/policies/reorder", {"ids": []}, expect=400)
    found = pipeline.json("GET", "/api/v2/slas/policies/definitions.json")["definitions"]
    subjects = {d["subject"] for d in found["all"]}
    assert {"priority", "type", "group_id", "organization_id", "requester.custom_fields.<key>"} <= subjects
    assert "update_type" not in subjects and {d["subject"] for d in found["any"]} == subjects


def test_metric_events_are_kept_as_they_happen_per_ticket_on_show_and_incrementally(pipeline: Pipeline) -> None:
    _policy(pipeline, {"priority": "normal", "metric": "first_reply_time", "target": 10},
            {"priority": "high", "metric": "first_reply_time", "target": 10},
            {"priority": "normal", "metric": "requester_wait_time", "target": 600},
            {"priority": "high", "metric": "requester_wait_time", "target": 600})
    start = int(pipeline.clock.now().timestamp())
    _start(pipeline, "first_reply_time")
    pipeline.dispatcher.advance(12)  # first reply time breaches
    pipeline.json("PUT", "/api/v2/tickets/1.json", {"ticket": {"status": "pending"}})
    pipeline.dispatcher.advance(5)
    _agent_reply(pipeline)
    pipeline.dispatcher.advance(3)  # later sweeps add nothing
    events = pipeline.json("GET", "/api/v2/tickets/1/metric_events.json")["ticket_metric_events"]
    seen = [(e["metric"], e["instance_id"], e["type"]) for e in events]
    assert seen == [
        ("reply_time", 1, "activate"), ("reply_time", 1, "apply_sla"),
        ("requester_wait_time", 1, "activate"), ("requester_wait_time", 1, "apply_sla"),
        ("reply_time", 1, "breach"),
        ("requester_wait_time", 1, "pause"),
        ("reply_time", 1, "fulfill"), ("reply_time", 1, "update_status"),
    ]
    [breach] = [e for e in events if e["type"] == "breach"]
    assert breach["deleted"] is False and breach["ticket_id"] == 1
    [applied] = [e for e in events if e["type"] == "apply_sla" and e["metric"] == "reply_time"]
    assert applied["sla"]["target"] == 10 and applied["sla"]["policy"]["title"] == "All"
    [status] = [e for e in events if e["type"] == "update_status"]
    assert status["status"] == {"calendar": 17, "business": 17}
    assert len({e["id"] for e in events}) == len(events)
    shown = _ticket(pipeline, include="metric_events,slas")
    assert [e["type"] for e in shown["metric_events"]["reply_time"]] == [
        "activate", "apply_sla", "breach", "fulfill", "update_status"]
    assert "policy_metrics" in shown["slas"]
    page = pipeline.json("GET", "/api/v2/incremental/ticket_metric_events.json?start_time=0")
    assert page["ticket_metric_events"] == events and page["count"] == len(events)
    assert page["end_of_stream"] is True and page["next_page"].endswith(f"start_time={page['end_time']}")
    later = pipeline.json("GET", f"/api/v2/incremental/ticket_metric_events.json?start_time={start + 14 * 60}")
    assert [e["type"] for e in later["ticket_metric_events"]] == ["fulfill", "update_status"]
    for bad in ("", "?start_time=soon", f"?start_time={start + 10**8}"):
        pipeline.json("GET", f"/api/v2/incremental/ticket_metric_events.json{bad}", expect=400)
    pipeline.json("GET", "/api/v2/tickets/99/metric_events.json", expect=404)
