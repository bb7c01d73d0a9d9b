"""SLA warnings and escalation levels through the pipeline and the local clock, for each metric: the warning mailed
before the breach, the breach recorded, each level run (mail, reassign, priority) within a minute of its due
moment and exactly once, even when sweeps run twice or late."""

from __future__ import annotations

import email
import threading
from collections.abc import Iterator
from email import policy as email_policy
from email.message import EmailMessage
from typing import Any

import pytest

from helpdesk.domain import sla
from helpdesk.domain.clock import parse_iso
from tests.integration.test_rule_stories import _BackendServer
from tests.support import Pipeline, make_email

RESPONSE = ("first_reply_time", "next_reply_time", "periodic_update_time", "pausable_update_time")


def _sent(p: Pipeline) -> list[EmailMessage]:
    from moto.ses.models import ses_backends

    ses = ses_backends["123456789012"]["us-east-1"]
    return [email.message_from_string(m.raw_data, policy=email_policy.default) for m in ses.sent_messages]


def _sla_mail(p: Pipeline) -> list[tuple[str, str]]:
    """(recipient, subject) of every SLA mail sent so far."""
    return [(str(m["To"]).split("<")[-1].rstrip(">"), " ".join(str(m["Subject"]).split())) for m in _sent(p)
            if str(m["Subject"]).strip().startswith("SLA ")]


@pytest.fixture
def hooks() -> Iterator[_BackendServer]:
    """A local HTTP server that verifies the webhook signature (the rule stories' backend)."""
    server = _BackendServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _agent(p: Pipeline, name: str) -> int:
    return int(p.deps().users.ensure(f"{name}@support.example", name.title(), role="agent").id)


def _people(p: Pipeline) -> dict[str, int]:
    people = {name: _agent(p, name) for name in ("ann", "bob", "cat", "dan", "eve")}
    group = p.json("POST", "/api/v2/groups.json", {"group": {"name": "Tier 2", "assignment": {
        "manager_id": people["eve"]}}}, expect=201)["group"]["id"]
    for name in ("cat", "dan"):
        p.json("POST", "/api/v2/group_memberships.json", {"group_membership": {
            "group_id": group, "user_id": people[name]}}, expect=201)
    people["group"] = int(group)
    return people


def _policy(p: Pipeline, metric: str, people: dict[str, int]) -> None:
    levels = {
        "response": [{"after_minutes": 0, "notify": {"assignee": True, "agent_ids": [people["bob"]]}}],
        "resolution": [
            {"after_minutes": 0, "notify": {"assignee": True}},
            {"after_minutes": 10, "notify": {"assignee": False, "group_id": people["group"]}},
            {"after_minutes": 20, "notify": {"assignee": False, "group_manager_of": people["group"]},
             "raise_priority": True},
            {"after_minutes": 30, "notify": {"assignee": True}, "reassign_to": people["eve"]},
        ]}
    body = {"sla_policy": {"title": "Escalating", "filter": {"all": [], "any": []},
                           "policy_metrics": [{"priority": prio, "metric": metric, "target": 30}
                                              for prio in ("low", "normal", "high", "urgent")],
                           "escalation": {"warn_before_minutes": 10, **levels}}}
    created = p.json("POST", "/api/v2/slas/policies.json", body, expect=201)["sla_policy"]
    assert created["escalation"]["warn_before_minutes"] == 10


def _start(p: Pipeline, metric: str, assignee: int) -> Any:
    p.email(make_email(message_id="first@customer.example"))
    p.dispatcher.drain()
    p.json("PUT", "/api/v2/tickets/1.json", {"ticket": {"assignee_id": assignee}})
    if metric in RESPONSE[1:]:
        p.json("PUT", "/api/v2/tickets/1.json", {"ticket": {"comment": {"body": "On it.", "public": True}}})
        if metric == "next_reply_time":
            p.email(make_email(message_id="again@customer.example", subject="Re: Help with my order [#1]"))
    p.dispatcher.drain()
    ticket = p.json("GET", "/api/v2/tickets/1.json")["ticket"]
    return parse_iso(ticket["sla"][metric]["due_at"])


def _advance_to(p: Pipeline, moment: Any) -> None:
    p.dispatcher.advance((moment - p.clock.now()).total_seconds() / 60)


@pytest.mark.parametrize("metric", sla.METRICS)
def test_warning_breach_and_every_level_run_once_within_a_minute(pipeline: Pipeline, metric: str) -> None:
    from datetime import timedelta

    from helpdesk.services.sla.sweep import sweep_sla

    people = _people(pipeline)
    _policy(pipeline, metric, people)
    due = _start(pipeline, metric, people["ann"])
    email_of = {v: k for k, v in people.items()}
    minute = timedelta(minutes=1)

    _advance_to(pipeline, due - timedelta(minutes=10) - timedelta(seconds=1))
    assert _sla_mail(pipeline) == []  # not before the warning is due
    _advance_to(pipeline, due - timedelta(minutes=10) + minute)
    assert _sla_mail(pipeline) == [("ann@support.example", f"SLA warning: ticket #1 {metric.replace('_', ' ')} "
                                    f"is due at {due.strftime('%Y-%m-%dT%H:%M:%SZ')} [#1]")]
    _advance_to(pipeline, due - timedelta(seconds=1))
    assert pipeline.json("GET", "/api/v2/tickets/1.json")["ticket"]["sla"][metric]["breached_at"] is None
    _advance_to(pipeline, due + minute)
    ticket = pipeline.json("GET", "/api/v2/tickets/1.json")["ticket"]
    breached_at = parse_iso(ticket["sla"][metric]["breached_at"])
    assert breached_at is not None and 0 <= (breached_at - due).total_seconds() <= 60
    level_one = sorted(r for r, s in _sla_mail(pipeline) if "(level 1)" in s)
    if metric in RESPONSE:
        assert level_one == ["ann@support.example", "bob@support.example"]
    else:
        assert level_one == ["ann@support.example"]
        for at, level, wanted in ((10, 2, ["cat@support.example", "dan@support.example"]),
                                  (20, 3, ["eve@support.example"]), (30, 4, ["eve@support.example"])):
            _advance_to(pipeline, breached_at + timedelta(minutes=at) - timedelta(seconds=1))
            assert not [s for _, s in _sla_mail(pipeline) if f"(level {level})" in s]
            _advance_to(pipeline, breached_at + timedelta(minutes=at) + minute)
            assert sorted(r for r, s in _sla_mail(pipeline) if f"(level {level})" in s) == wanted
        shown = pipeline.json("GET", "/api/v2/tickets/1.json")["ticket"]
        assert shown["priority"] == "urgent"  # breach: normal -> high; level 3: high -> urgent
        assert email_of[shown["assignee_id"]] == "eve"  # level 4 reassigned
    [escalation] = [m for m in _sent(pipeline) if "(level 1)" in str(m["Subject"])][:1]
    body = escalation.get_content()
    assert "ticket #1" in body and metric.replace("_", " ") in body and "/api/v2/tickets/1.json" in body
    assert "breached just now" in body or "minute" in body
    before = _sla_mail(pipeline)
    pipeline.clock.advance(timedelta(hours=2))  # late sweeps, twice
    sweep_sla(pipeline.deps())
    sweep_sla(pipeline.deps())
    pipeline.dispatcher.advance(5)
    assert _sla_mail(pipeline) == before  # everything ran exactly once
    assert pipeline.json("GET", "/api/v2/tickets/1.json")["ticket"]["tags"].count("sla_breached") == 1


def test_a_sweep_that_is_late_past_the_due_time_records_the_breach_and_sends_no_stale_warning(
        pipeline: Pipeline) -> None:
    from datetime import timedelta

    from helpdesk.services.sla.sweep import sweep_sla

    people = _people(pipeline)
    _policy(pipeline, "first_reply_time", people)
    due = _start(pipeline, "first_reply_time", people["ann"])
    pipeline.clock.advance(due - pipeline.clock.now() + timedelta(minutes=3))
    first = sweep_sla(pipeline.deps())
    second = sweep_sla(pipeline.deps())
    pipeline.dispatcher.drain()
    assert [m for _, m in first.breaches] == ["first_reply_time"] and second.breaches == []
    mails = _sla_mail(pipeline)
    assert [s for _, s in mails if s.startswith("SLA warning")] == []
    assert sorted(r for r, s in mails if "(level 1)" in s) == ["ann@support.example", "bob@support.example"]


def test_escalation_settings_are_validated(pipeline: Pipeline) -> None:
    base = {"title": "E", "policy_metrics": [{"priority": "normal", "metric": "first_reply_time", "target": 30}]}
    for bad in ({"response": [{"after_minutes": 0}, {"after_minutes": 5}]},
                {"resolution": [{"after_minutes": 0}] * 5},
                {"resolution": [{"after_minutes": 10}, {"after_minutes": 5}]},
                {"warn_before_minutes": 0}, {"warn_before_minutes": "soon"},
                {"response": [{"notify": {"assignee": False}}]},
                {"response": [{"notify": {"agent_ids": ["bob"]}}]}, "often"):
        answer = pipeline.json("POST", "/api/v2/slas/policies.json",
                               {"sla_policy": {**base, "escalation": bad}}, expect=422)
        assert "escalation" in str(answer)


def test_webhooks_subscribed_to_sla_events_receive_the_warning_breach_and_levels_once(
        pipeline: Pipeline, hooks: _BackendServer) -> None:
    import json
    from datetime import timedelta

    people = _people(pipeline)
    _policy(pipeline, "total_resolution_time", people)
    endpoint = f"http://127.0.0.1:{hooks.server_address[1]}/sla"
    hook = pipeline.json("POST", "/api/v2/webhooks", {"webhook": {
        "name": "SLA feed", "endpoint": endpoint, "subscriptions": ["sla_events"]}}, expect=201)["webhook"]
    hooks.secret = pipeline.json("GET", f"/api/v2/webhooks/{hook['id']}/signing_secret")["signing_secret"]["secret"]
    pipeline.json("POST", "/api/v2/webhooks", {"webhook": {"name": "Other", "endpoint": endpoint + "/other"}},
                  expect=201)  # not subscribed: never called
    due = _start(pipeline, "total_resolution_time", people["ann"])
    _advance_to(pipeline, due + timedelta(minutes=35))
    pipeline.dispatcher.advance(10)
    calls = [json.loads(c["body"]) for c in hooks.received]
    assert all(c["verified"] and c["path"] == "/sla" for c in hooks.received)
    assert [(c["type"], c.get("level")) for c in calls] == [
        ("SlaWarning", None), ("SlaBreached", None), ("SlaEscalated", 1), ("SlaEscalated", 2),
        ("SlaEscalated", 3), ("SlaEscalated", 4)]
    assert {c["metric"] for c in calls} == {"total_resolution_time"} and {c["ticket_id"] for c in calls} == {1}
