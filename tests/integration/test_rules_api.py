"""The trigger API beyond create/list, and the webhook API, through the Chalice app on moto."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import pytest

from helpdesk.domain.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from helpdesk.ports import EndpointUnreachable, HttpResult, WebhookTransport
from tests.support import Pipeline

RULE = {"title": "Urgent refunds", "conditions": {"all": [{"field": "current_tags", "operator": "includes",
                                                          "value": "refund"}], "any": []},
        "actions": [{"field": "priority", "value": "urgent"}]}


@pytest.fixture
def p(pipeline: Pipeline) -> Pipeline:
    return pipeline


def _create(p: Pipeline, title: str, **extra: Any) -> dict[str, Any]:
    body = {"trigger": {**RULE, "title": title, **extra}}
    return dict(p.json("POST", "/api/v2/triggers.json", body, expect=201)["trigger"])


def _agent_headers(p: Pipeline) -> dict[str, str]:
    from helpdesk.domain.users import hash_token

    deps = p.deps()
    agent = deps.users.ensure("agent@example.com", "Agent", role="agent")
    deps.users.put(dataclasses.replace(agent, role="agent", api_token_sha256=hash_token("agent-token")))
    token = base64.b64encode(b"agent@example.com/token:agent-token").decode()
    return {"Authorization": f"Basic {token}", "Content-Type": "application/json"}


def test_show_update_and_delete_a_trigger(p: Pipeline) -> None:
    created = _create(p, "First")
    assert p.json("GET", f"/api/v2/triggers/{created['id']}.json")["trigger"] == created
    assert p.json("GET", f"/api/v2/triggers/{created['id']}")["trigger"]["title"] == "First"
    updated = p.json("PUT", f"/api/v2/triggers/{created['id']}.json",
                     {"trigger": {"title": "Renamed", "active": False}})["trigger"]
    assert (updated["title"], updated["active"], updated["conditions"]) == ("Renamed", False, created["conditions"])
    assert updated["created_at"] == created["created_at"]
    new_rules = {"conditions": {"all": [{"field": "status", "operator": "is", "value": "open"}], "any": []},
                 "actions": [{"field": "status", "value": "pending"}]}
    replaced = p.json("PUT", f"/api/v2/triggers/{created['id']}", {"trigger": new_rules})["trigger"]
    assert replaced["actions"] == [{"field": "status", "value": "pending"}]
    only_actions = {"trigger": {"actions": [{"field": "priority", "value": "low"}]}}  # clears the conditions
    assert p.call("PUT", f"/api/v2/triggers/{created['id']}", only_actions).status_code == 422
    assert p.call("DELETE", f"/api/v2/triggers/{created['id']}.json").status_code == 204
    assert p.call("GET", f"/api/v2/triggers/{created['id']}").status_code == 404
    assert p.json("GET", "/api/v2/triggers.json")["triggers"] == []


def test_invalid_updates_and_unknown_ids(p: Pipeline) -> None:
    created = _create(p, "First")
    bad = {"trigger": {"conditions": {"all": [{"field": "status", "operator": "sounds_like", "value": "x"}]},
                       "actions": RULE["actions"]}}
    response = p.call("PUT", f"/api/v2/triggers/{created['id']}", bad)
    assert response.status_code == 422 and "sounds_like" in json.loads(response.body)["description"]
    assert p.call("PUT", "/api/v2/triggers/999", {"trigger": {"title": "x"}}).status_code == 404
    assert p.call("DELETE", "/api/v2/triggers/999.json").status_code == 404
    assert p.call("GET", "/api/v2/triggers/abc").status_code == 400


def test_reorder_puts_the_named_triggers_first_in_that_order(p: Pipeline) -> None:
    a, b, c = (_create(p, name)["id"] for name in "ABC")
    ordered = p.json("PUT", "/api/v2/triggers/reorder.json", {"trigger_ids": [c, a]})["triggers"]
    assert [(t["id"], t["position"]) for t in ordered] == [(c, 1), (a, 2), (b, 3)]
    assert [t["id"] for t in p.json("GET", "/api/v2/triggers")["triggers"]] == [c, a, b]
    p.json("PUT", "/api/v2/triggers/reorder", {"trigger_ids": [b, c, a]})
    assert [t["id"] for t in p.json("GET", "/api/v2/triggers")["triggers"]] == [b, c, a]
    for body in ({"trigger_ids": [a, a]}, {"trigger_ids": [a, 999]}, {"trigger_ids": ["x"]}):
        assert p.call("PUT", "/api/v2/triggers/reorder.json", body).status_code == 422, body
    assert p.call("PUT", "/api/v2/triggers/reorder.json", {"ids": [a]}).status_code == 400


def test_reordering_changes_which_trigger_wins(p: Pipeline) -> None:
    low = _create(p, "Low", actions=[{"field": "priority", "value": "low"},
                                     {"field": "current_tags", "value": "seen"}])
    high = _create(p, "High", actions=[{"field": "priority", "value": "high"},
                                       {"field": "current_tags", "value": "seen"}])
    guard = {"field": "current_tags", "operator": "not_includes", "value": "seen"}
    for rule in (low, high):
        conditions = {"all": [*rule["conditions"]["all"], guard], "any": []}
        p.json("PUT", f"/api/v2/triggers/{rule['id']}", {"trigger": {"conditions": conditions,
                                                                     "actions": rule["actions"]}})
    p.json("PUT", "/api/v2/triggers/reorder", {"trigger_ids": [high["id"], low["id"]]})
    p.json("POST", "/api/v2/tickets.json", {"ticket": {"subject": "Refund", "tags": ["refund"],
                                                       "comment": {"body": "x"}}}, expect=201)
    p.dispatcher.drain()
    assert p.json("GET", "/api/v2/tickets/1.json")["ticket"]["priority"] == "high"


def test_definitions_list_what_the_engine_supports(p: Pipeline) -> None:
    from helpdesk.domain.conditions import validate_conditions

    p.json("POST", "/api/v2/webhooks", {"webhook": {"name": "Hook", "endpoint": "https://hooks.example/x"}},
           expect=201)
    found = p.json("GET", "/api/v2/triggers/definitions.json")["definitions"]
    assert p.json("GET", "/api/v2/triggers/definitions")["definitions"] == found
    assert set(found) == {"actions", "conditions_all", "conditions_any"}
    subjects = {c["subject"] for c in found["conditions_all"]}
    assert {"status", "reopens", "replies", "within_business_hours", "requester_locale", "via_id"} <= subjects
    for condition in found["conditions_all"]:
        assert {"subject", "title", "type", "group", "nullable", "repeatable", "operators", "values"} <= set(condition)
        for operator in condition["operators"]:
            value = None if operator["terminal"] else (condition["values"][0]["value"] if condition["values"]
                                                       else "1")
            validate_conditions({"all": [{"field": condition["subject"], "operator": operator["value"],
                                          "value": value}]})  # every listed pair is accepted
    webhook_action = next(a for a in found["actions"] if a["subject"] == "notification_webhook")
    assert webhook_action["values"] == [{"value": "1", "title": "Hook", "enabled": True}]


def test_only_admins_change_triggers_and_see_webhooks(p: Pipeline) -> None:
    created = _create(p, "First")
    agent = _agent_headers(p)
    assert p.call("GET", f"/api/v2/triggers/{created['id']}", headers=agent).status_code == 200
    assert p.call("GET", "/api/v2/triggers/definitions", headers=agent).status_code == 200
    for method, path, body in (("PUT", f"/api/v2/triggers/{created['id']}", {"trigger": {"title": "x"}}),
                               ("DELETE", f"/api/v2/triggers/{created['id']}", None),
                               ("PUT", "/api/v2/triggers/reorder", {"trigger_ids": [created["id"]]}),
                               ("GET", "/api/v2/webhooks", None),
                               ("POST", "/api/v2/webhooks", {"webhook": {"name": "x", "endpoint": "https://a.b"}})):
        data = None if body is None else json.dumps(body)
        assert p.call(method, path, data, headers=agent).status_code == 403, (method, path)
    assert p.call("GET", "/api/v2/webhooks", headers={}).status_code == 401


def test_webhook_crud_and_signing_secret(p: Pipeline) -> None:
    created = p.json("POST", "/api/v2/webhooks.json", {"webhook": {
        "name": "Orders", "endpoint": "https://orders.example/hook", "http_method": "POST",
        "request_format": "json", "status": "active", "subscriptions": ["conditional_ticket_events"]}},
        expect=201)["webhook"]
    assert created["signing_secret"]["secret"] is None  # only the signing_secret endpoint shows it
    number = created["id"]
    assert p.json("GET", f"/api/v2/webhooks/{number}")["webhook"] == created
    assert [w["id"] for w in p.json("GET", "/api/v2/webhooks")["webhooks"]] == [number]
    secret = p.json("GET", f"/api/v2/webhooks/{number}/signing_secret")["signing_secret"]
    assert secret["algorithm"] == "SHA256" and len(secret["secret"]) >= 30
    renewed = p.json("POST", f"/api/v2/webhooks/{number}/signing_secret", expect=201)["signing_secret"]
    assert renewed["secret"] != secret["secret"]
    put = {"webhook": {"name": "Orders v2", "endpoint": "https://orders.example/v2", "status": "inactive"}}
    assert p.call("PUT", f"/api/v2/webhooks/{number}", put).status_code == 204
    shown = p.json("GET", f"/api/v2/webhooks/{number}")["webhook"]
    assert (shown["name"], shown["endpoint"], shown["status"]) == ("Orders v2", "https://orders.example/v2",
                                                                   "inactive")
    assert p.call("PATCH", f"/api/v2/webhooks/{number}", {"webhook": {"status": "active"}}).status_code == 204
    assert p.json("GET", f"/api/v2/webhooks/{number}")["webhook"]["name"] == "Orders v2"
    assert p.json("GET", f"/api/v2/webhooks/{number}/signing_secret")["signing_secret"] == renewed
    assert p.call("DELETE", f"/api/v2/webhooks/{number}").status_code == 204
    assert p.call("GET", f"/api/v2/webhooks/{number}").status_code == 404


@pytest.mark.parametrize("webhook", [
    {"endpoint": "https://a.example"},
    {"name": "x"},
    {"name": "x", "endpoint": "ftp://a.example"},
    {"name": "x", "endpoint": "https://user:pw@a.example"},
    {"name": "x", "endpoint": "https://a.example", "http_method": "TRACE"},
    {"name": "x", "endpoint": "https://a.example", "request_format": "xml"},
    {"name": "x", "endpoint": "https://a.example", "status": "paused"},
])
def test_invalid_webhooks_are_refused(p: Pipeline, webhook: dict[str, Any]) -> None:
    assert p.call("POST", "/api/v2/webhooks", {"webhook": webhook}).status_code == 400


class _Recorder(WebhookTransport):
    def __init__(self, answer: int | None) -> None:
        self.answer = answer
        self.sent: list[tuple[str, str, dict[str, str], bytes | None]] = []

    def send(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None,
             timeout: float) -> HttpResult:
        self.sent.append((method, url, dict(headers), body))
        if self.answer is None:
            raise EndpointUnreachable("connection refused")
        return HttpResult(self.answer, "")


def _deliver(p: Pipeline, answer: int | None, *, status: str = "active") -> tuple[Any, _Recorder]:
    from helpdesk.services.webhooks import deliver_webhook

    hook = p.json("POST", "/api/v2/webhooks", {"webhook": {"name": "x", "endpoint": "https://a.example/h",
                                                           "status": status}}, expect=201)["webhook"]
    deps = p.deps()
    recorder = _Recorder(answer)
    deps.__dict__["webhook_transport"] = recorder  # the cached adapter, replaced by a fake for this test
    detail = {"event_id": f"WebhookRequested:1:{answer}", "ticket_id": 1, "webhook_id": hook["id"],
              "body": '{"a": 1}', "trigger_id": 3}
    try:
        return deliver_webhook(deps, detail), recorder
    finally:
        del deps.__dict__["webhook_transport"]


def test_a_delivery_is_signed_over_the_exact_bytes_sent(p: Pipeline) -> None:
    result, recorder = _deliver(p, 204)
    assert result.skipped is None and result.status == 204
    [(method, url, headers, body)] = recorder.sent
    assert (method, url, body) == ("POST", "https://a.example/h", b'{"a": 1}')
    assert body is not None
    secret = p.json("GET", "/api/v2/webhooks/1/signing_secret")["signing_secret"]["secret"]
    assert verify(secret, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
    assert headers[TIMESTAMP_HEADER] == "2026-11-23T09:00:00Z"


@pytest.mark.parametrize("answer", [None, 500, 503, 408, 429])
def test_transient_failures_raise_for_a_retry(p: Pipeline, answer: int | None) -> None:
    from helpdesk.services.webhooks import WebhookFailed

    with pytest.raises(WebhookFailed):
        _deliver(p, answer)
    [invocation] = p.json("GET", "/api/v2/webhooks/1/invocations")["invocations"]
    assert invocation["status"] == "failed"


@pytest.mark.parametrize("answer", [400, 401, 404, 410, 302])
def test_refusals_are_recorded_and_not_retried(p: Pipeline, answer: int) -> None:
    result, _ = _deliver(p, answer)
    assert result.skipped == f"the endpoint refused it: HTTP {answer}"
    [invocation] = p.json("GET", "/api/v2/webhooks/1/invocations")["invocations"]
    assert (invocation["status"], invocation["http_status"]) == ("failed", answer)


def test_inactive_and_unknown_webhooks_are_skipped(p: Pipeline) -> None:
    from helpdesk.services.webhooks import deliver_webhook

    result, recorder = _deliver(p, 200, status="inactive")
    assert result.skipped == "the webhook is inactive" and recorder.sent == []
    missing = deliver_webhook(p.deps(), {"event_id": "e", "webhook_id": "77", "body": "{}"})
    assert missing.skipped == "webhook 77 does not exist"
