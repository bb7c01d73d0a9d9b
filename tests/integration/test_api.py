"""The Zendesk-compatible REST API: auth, envelopes, both path styles, bad input, concurrent agents."""

from __future__ import annotations

import base64
import json
import threading
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest

from tests.support import ADMIN_EMAIL, Pipeline, make_email

NEW_TICKET = {"ticket": {"subject": "Printer on fire", "comment": {"body": "The printer is on fire!"},
                         "requester": {"name": "Frank", "email": "frank@customer.example"}, "priority": "urgent"}}


def _basic(login: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(login.encode()).decode(),
            "Content-Type": "application/json"}


@pytest.mark.parametrize("headers", [
    {}, _basic(f"{ADMIN_EMAIL}/token:wrong"), _basic(f"{ADMIN_EMAIL}:password"), {"Authorization": "Bearer x"},
    {"Authorization": "Basic !!!not-base64"}, _basic("nobody@example.com/token:test-admin-token"),
])
def test_requests_without_valid_token_credentials_get_401(pipeline: Pipeline, headers: dict[str, str]) -> None:
    response = pipeline.call("GET", "/api/v2/tickets.json", headers=headers)
    assert response.status_code == 401
    assert json.loads(response.body)["description"]


def test_end_users_cannot_use_the_api(pipeline: Pipeline) -> None:
    from dataclasses import replace

    from helpdesk.domain.users import hash_token

    users = pipeline.deps().users
    user = users.ensure("enduser@customer.example", "End User")
    users.put(replace(user, api_token_sha256=hash_token("t0k")))
    response = pipeline.call("GET", "/api/v2/tickets", headers=_basic("enduser@customer.example/token:t0k"))
    assert response.status_code == 403


def test_create_show_update_list_with_zendesk_envelopes(pipeline: Pipeline) -> None:
    created = pipeline.json("POST", "/api/v2/tickets.json", NEW_TICKET, expect=201)["ticket"]
    assert created["subject"] == "Printer on fire" and created["priority"] == "urgent"
    assert created["via"]["channel"] == "api" and created["status"] == "new"
    number = created["id"]
    for path in (f"/api/v2/tickets/{number}.json", f"/api/v2/tickets/{number}"):
        assert pipeline.json("GET", path)["ticket"]["id"] == number
    updated = pipeline.json("PUT", f"/api/v2/tickets/{number}.json",
                            {"ticket": {"status": "pending", "tags": ["printer", "Fire"]}})["ticket"]
    assert updated["status"] == "pending" and updated["tags"] == ["printer", "fire"]
    listing = pipeline.json("GET", "/api/v2/tickets")
    assert [t["id"] for t in listing["tickets"]] == [number]
    assert listing["meta"]["has_more"] is False and "links" in listing


def test_cursor_pagination(pipeline: Pipeline) -> None:
    for i in range(3):
        body = {"ticket": {"subject": f"t{i}", "comment": {"body": "x"}}}
        pipeline.json("POST", "/api/v2/tickets.json", body, expect=201)
        pipeline.clock.advance(timedelta(seconds=1))
    first = pipeline.json("GET", "/api/v2/tickets.json?per_page=2")
    assert len(first["tickets"]) == 2 and first["meta"]["has_more"] is True
    cursor = first["meta"]["after_cursor"]
    second = pipeline.call("GET", "/api/v2/tickets.json?per_page=2&page%5Bafter%5D=" + quote(cursor))
    rest = json.loads(second.body)["tickets"]
    assert {t["subject"] for t in first["tickets"] + rest} == {"t0", "t1", "t2"}


@pytest.mark.parametrize("body, status", [
    ({"subject": "no envelope"}, 400),
    ({"ticket": {"subject": "no comment"}}, 400),
    ({"ticket": {"comment": {"body": "x"}, "priority": "blazing"}}, 400),
    ({"ticket": {"comment": {"body": "x"}, "status": "sideways"}}, 400),
    ({"ticket": {"comment": {"body": "x"}, "assignee_id": "abc"}}, 400),
    ({"ticket": {"comment": {"body": "x"}, "group_id": [1]}}, 400),
    ({"ticket": {"comment": {"body": "x"}, "collaborator_ids": "7"}}, 400),
    ({"ticket": {"comment": {"body": "x"}, "collaborator_ids": ["x"]}}, 400),
    ({"ticket": {"comment": {"body": "x"}, "custom_fields": [1]}}, 400),
    ({"ticket": {"comment": {"body": "x"}, "assignee_id": 999}}, 422),
    ({"ticket": {"comment": {"body": "x"}, "requester_id": 999}}, 422),
    ({"ticket": {"comment": {"body": "x"}, "requester_id": "me"}}, 400),
    ({"ticket": {"comment": {"body": "x"}, "requester": {"email": "not an address"}}}, 422),
])
def test_bad_ticket_bodies_get_a_4xx_with_a_reason(pipeline: Pipeline, body: Any, status: int) -> None:
    response = pipeline.call("POST", "/api/v2/tickets.json", body)
    assert response.status_code == status
    assert json.loads(response.body)["description"]


def test_only_an_active_agent_can_be_assigned(pipeline: Pipeline) -> None:
    deps = pipeline.deps()
    customer = deps.users.ensure("cora@customer.example", "Cora")
    agent = deps.users.ensure("axel@helpdesk.example", "Axel", role="agent")
    ticket = pipeline.json("POST", "/api/v2/tickets.json", {"ticket": {"comment": {"body": "x"}}}, expect=201)
    path = f"/api/v2/tickets/{ticket['ticket']['id']}.json"
    refused = pipeline.call("PUT", path, {"ticket": {"assignee_id": customer.id}})
    assert refused.status_code == 422 and b"not an active agent" in refused.body
    assert pipeline.json("PUT", path, {"ticket": {"assignee_id": agent.id}})["ticket"]["assignee_id"] == agent.id
    pipeline.json("DELETE", f"/api/v2/users/{agent.id}.json")
    assert pipeline.call("PUT", path, {"ticket": {"assignee_id": agent.id}}).status_code == 422
    assert pipeline.json("PUT", path, {"ticket": {"assignee_id": None}})["ticket"]["assignee_id"] is None


def test_a_listing_cursor_must_be_one_the_api_gave(pipeline: Pipeline) -> None:
    for cursor in ["garbage", "{}", '{"id": {"N": "1"}, "list_bucket": {"S": "all"}, "updated_at": {"S": "x"}}',
                   '{"id": {"N": "1"}, "list_bucket": {"S": "all"}, "updated_at": {"N": "1"}, "x": {"S": "1"}}']:
        response = pipeline.call("GET", "/api/v2/tickets.json?page%5Bafter%5D=" + quote(cursor))
        assert response.status_code == 400, cursor
        assert b"after_cursor" in response.body


def test_malformed_json_and_unknown_tickets(pipeline: Pipeline) -> None:
    assert pipeline.call("POST", "/api/v2/tickets.json", "{not json").status_code == 400
    assert pipeline.call("GET", "/api/v2/tickets/999.json").status_code == 404
    assert pipeline.call("GET", "/api/v2/tickets/abc.json").status_code == 400


def test_a_closed_ticket_cannot_be_reopened_through_the_api(pipeline: Pipeline) -> None:
    number = pipeline.json("POST", "/api/v2/tickets.json", NEW_TICKET, expect=201)["ticket"]["id"]
    pipeline.json("PUT", f"/api/v2/tickets/{number}", {"ticket": {"status": "closed"}})
    response = pipeline.call("PUT", f"/api/v2/tickets/{number}", {"ticket": {"status": "open"}})
    assert response.status_code == 422


def test_triggers_are_validated_and_listed(pipeline: Pipeline) -> None:
    bad = {"trigger": {"title": "x", "conditions": {"all": [{"field": "nope", "operator": "is", "value": 1}]},
                       "actions": [{"field": "status", "value": "open"}]}}
    response = pipeline.call("POST", "/api/v2/triggers.json", bad)
    assert response.status_code == 422 and "nope" in json.loads(response.body)["description"]
    good = {"trigger": {"title": "Tag VIP", "conditions": {"all": [
        {"field": "update_type", "operator": "is", "value": "Create"}], "any": []},
        "actions": [{"field": "current_tags", "value": "vip"}]}}
    created = pipeline.json("POST", "/api/v2/triggers", good, expect=201)["trigger"]
    listed = pipeline.json("GET", "/api/v2/triggers.json")["triggers"]
    assert [t["id"] for t in listed] == [created["id"]] and listed[0]["title"] == "Tag VIP"


def test_triggers_list_by_activity_in_the_order_they_run(pipeline: Pipeline) -> None:
    def create(title: str, active: bool, position: int) -> int:
        return int(pipeline.json("POST", "/api/v2/triggers.json", {"trigger": {
            "title": title, "active": active, "position": position,
            "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"}], "any": []},
            "actions": [{"field": "current_tags", "value": title.lower()}]}}, expect=201)["trigger"]["id"])

    late, off, early = create("Late", True, 9), create("Off", False, 5), create("Early", True, 1)
    assert [t["id"] for t in pipeline.json("GET", "/api/v2/triggers.json")["triggers"]] == [early, off, late]
    assert [t["id"] for t in pipeline.json("GET", "/api/v2/triggers/active.json")["triggers"]] == [early, late]
    assert [t["id"] for t in pipeline.json("GET", "/api/v2/triggers?active=false")["triggers"]] == [off]
    assert pipeline.call("GET", "/api/v2/triggers?active=maybe").status_code == 400


def test_sla_policies_are_shown_updated_and_deleted(pipeline: Pipeline) -> None:
    policy = {"sla_policy": {"title": "Standard", "filter": {"all": [], "any": []}, "policy_metrics": [
        {"priority": "normal", "metric": "first_reply_time", "target": 60, "business_hours": False}]}}
    created = pipeline.json("POST", "/api/v2/slas/policies.json", policy, expect=201)["sla_policy"]
    path = f"/api/v2/slas/policies/{created['id']}.json"
    assert pipeline.json("GET", path)["sla_policy"] == created
    metrics = [{"priority": "normal", "metric": "first_reply_time", "target": 30, "business_hours": False}]
    updated = pipeline.json("PUT", path, {"sla_policy": {"title": "Faster", "policy_metrics": metrics}})
    shown = [{**metrics[0], "target_in_seconds": 1800}]  # Zendesk shows both units
    assert (updated["sla_policy"]["title"], updated["sla_policy"]["policy_metrics"]) == ("Faster", shown)
    pipeline.email(make_email(message_id="sla@customer.example"))
    pipeline.dispatcher.drain()
    stored = pipeline.deps().tickets.get(1)
    assert stored.sla_targets["first_reply_time"].target_minutes == 30  # the updated policy applies
    bad = pipeline.call("PUT", path, {"sla_policy": {"policy_metrics": [{"priority": "normal", "target": -1}]}})
    assert bad.status_code in (400, 422)
    assert pipeline.call("DELETE", path).status_code == 204
    assert pipeline.call("GET", path).status_code == 404
    assert pipeline.json("GET", "/api/v2/slas/policies.json")["sla_policies"] == []


def test_two_agents_updating_one_ticket_at_once_lose_neither_update(
        pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk.adapters.dynamo.repositories import DynamoTicketRepository
    from helpdesk.bootstrap import container
    from helpdesk.services.api_tickets import update_ticket

    number = pipeline.json("POST", "/api/v2/tickets.json", NEW_TICKET, expect=201)["ticket"]["id"]
    deps = container()
    admin = deps.users.find_by_email(ADMIN_EMAIL)
    assert admin is not None
    both_read = threading.Barrier(2, timeout=10)
    first_saved = threading.Event()
    real_get = DynamoTicketRepository.get
    reads = {"n": 0}
    lock = threading.Lock()
    first_reader: list[int] = []

    def get_then_wait(self: DynamoTicketRepository, ticket_id: int) -> Any:
        ticket = real_get(self, ticket_id)
        with lock:
            reads["n"] += 1
            n = reads["n"]
            if n == 1:
                first_reader.append(threading.get_ident())
        if n <= 2:  # both agents hold the same version before either writes ...
            both_read.wait()
        if n == 2:  # ... and the second writes only after the first has saved: a certain conflict
            first_saved.wait(timeout=10)
        return ticket

    monkeypatch.setattr(DynamoTicketRepository, "get", get_then_wait)
    errors: list[BaseException] = []

    def agent(fields: dict[str, Any]) -> None:
        try:
            update_ticket(deps, number, {"ticket": fields}, admin)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            if first_reader and first_reader[0] == threading.get_ident():
                first_saved.set()

    threads = [threading.Thread(target=agent, args=({"priority": "low"},)),
               threading.Thread(target=agent, args=({"tags": ["escalated"]},))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert reads["n"] >= 3  # one of them lost the race, reloaded and retried
    final = pipeline.json("GET", f"/api/v2/tickets/{number}.json")["ticket"]
    assert final["priority"] == "low" and final["tags"] == ["escalated"]


def test_audits_record_who_changed_what_and_the_triggers_net_change_once(pipeline: Pipeline) -> None:
    """Two chained triggers (the second fires on the first one's tag) make one audit by the rule: author -1,
    channel "rule", the net change of both; the API's own update is its own audit with the comment in it."""
    for title, condition, action in (
            ("VIP tag", {"field": "comment_includes_word", "operator": "includes", "value": "invoice"},
             {"field": "current_tags", "value": "billing"}),
            ("Billing is high", {"field": "current_tags", "operator": "includes", "value": "billing"},
             {"field": "priority", "value": "high"})):
        pipeline.json("POST", "/api/v2/triggers.json", {"trigger": {
            "title": title, "conditions": {"all": [condition], "any": []}, "actions": [action]}}, expect=201)
    created = pipeline.json("POST", "/api/v2/tickets.json", {"ticket": {
        "subject": "Wrong invoice", "comment": {"body": "My invoice is wrong"}}}, expect=201)["ticket"]
    pipeline.dispatcher.drain()
    audits = pipeline.json("GET", f"/api/v2/tickets/{created['id']}/audits.json")
    assert audits["count"] == 2
    first, rule = audits["audits"]
    assert first["via"]["channel"] == "api" and first["author_id"] == created["submitter_id"]
    assert {e["type"] for e in first["events"]} == {"Create", "Comment"}
    [comment] = [e for e in first["events"] if e["type"] == "Comment"]
    assert comment["body"] == "My invoice is wrong" and comment["public"] is True
    assert (rule["author_id"], rule["via"]["channel"]) == (-1, "rule")
    changes = {e["field_name"]: (e["previous_value"], e["value"]) for e in rule["events"]}
    assert changes == {"tags": ([], ["billing"]), "priority": (None, "high")}
    assert pipeline.json("GET", f"/api/v2/tickets/{created['id']}/audits")["count"] == 2
    assert pipeline.call("GET", "/api/v2/tickets/999/audits.json").status_code == 404


def test_a_trigger_adds_a_cc_and_routes_by_the_address_mail_came_to(pipeline: Pipeline) -> None:
    """Through the pipeline: a recipient address, Zendesk's 'Received at' condition and the 'Add CC' action."""
    manager = pipeline.json("POST", "/api/v2/users.json", {"user": {
        "name": "Mona Manager", "email": "mona@shop.example", "role": "agent"}}, expect=201)["user"]
    pipeline.json("POST", "/api/v2/recipient_addresses.json", {"recipient_address": {
        "email": "sellers@shop.example", "name": "Sellers"}}, expect=201)
    pipeline.json("POST", "/api/v2/triggers.json", {"trigger": {
        "title": "Sellers' mail copies their manager", "conditions": {"all": [
            {"field": "recipient", "operator": "is", "value": "sellers@shop.example"}], "any": []},
        "actions": [{"field": "cc", "value": manager["id"]}, {"field": "current_tags", "value": "seller"}]}},
        expect=201)
    for number, address in enumerate(("sellers@shop.example", "support@example.com")):
        pipeline.email(make_email(message_id=f"m{number}@customer.example", sender=f"c{number}@customer.example")
                       .replace(b"To: support@example.com", f"To: {address}".encode()))
    pipeline.dispatcher.drain()
    seller, customer = (pipeline.json("GET", f"/api/v2/tickets/{n}.json")["ticket"] for n in (1, 2))
    assert (seller["recipient"], seller["collaborator_ids"], seller["tags"]) == (
        "sellers@shop.example", [manager["id"]], ["seller"])
    assert customer["collaborator_ids"] == [] and "seller" not in customer["tags"]
