"""Groups, assignment and macros through the real pipeline (moto): routing, capacity, the manager after the
unassigned limit, and macros that show their changes without saving anything."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from tests.support import Pipeline


class Workspace:
    """Calls to the workspace API (groups, memberships, macros)."""

    def __init__(self, pipeline: Pipeline, client: Any) -> None:
        self.pipeline, self.client = pipeline, client

    def call(self, method: str, path: str, body: Any = None) -> Any:
        from helpdesk.local.dispatcher import function_environment

        stack = self.pipeline.stack
        with function_environment(stack, stack.functions["ApiFunction"]):
            send = getattr(self.client.http, method.lower())
            return send(path, headers=self.pipeline.auth, body=None if body is None else json.dumps(body))

    def json(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        response = self.call(method, path, body)
        assert response.status_code == expect, response.body
        return json.loads(response.body) if response.body else None


@pytest.fixture
def ws(pipeline: Pipeline) -> Iterator[Workspace]:
    yield Workspace(pipeline, pipeline.api)


def agent(pipeline: Pipeline, name: str, locale: str = "en-US") -> int:
    users = pipeline.deps().users
    user = users.ensure(f"{name.lower()}@support.example", name, role="agent")
    if user.locale != locale:
        users.put(replace(user, locale=locale))
    return int(user.id)


def group(ws: Workspace, name: str, **assignment: Any) -> int:
    return int(ws.json("POST", "/api/v2/groups.json", {"group": {"name": name, "assignment": assignment}},
                       expect=201)["group"]["id"])


def member(ws: Workspace, group_id: int, user_id: int, **fields: Any) -> int:
    body = {"group_membership": {"group_id": group_id, "user_id": user_id, **fields}}
    return int(ws.json("POST", "/api/v2/group_memberships", body, expect=201)["group_membership"]["id"])


def new_ticket(pipeline: Pipeline, subject: str, **fields: Any) -> int:
    body = {"ticket": {"subject": subject, "comment": {"body": subject},
                       "requester": {"name": "Dana", "email": "dana@customer.example"}, **fields}}
    number = int(pipeline.json("POST", "/api/v2/tickets.json", body, expect=201)["ticket"]["id"])
    pipeline.dispatcher.drain()
    return number


def assignee(pipeline: Pipeline, ticket_id: int) -> int | None:
    found = pipeline.json("GET", f"/api/v2/tickets/{ticket_id}.json")["ticket"]["assignee_id"]
    return int(found) if found is not None else None


def test_a_ticket_routed_to_a_group_is_assigned_round_robin(pipeline: Pipeline, ws: Workspace) -> None:
    agents = [agent(pipeline, name) for name in ("Ann", "Bob", "Cid")]
    billing = group(ws, "Billing", mode="round_robin")
    for user_id in reversed(agents):
        member(ws, billing, user_id)
    trigger = {"trigger": {"title": "Billing to Billing", "conditions": {"all": [
        {"field": "subject_includes_word", "operator": "includes", "value": "invoice"}]},
        "actions": [{"field": "group_id", "value": billing}]}}
    pipeline.json("POST", "/api/v2/triggers.json", trigger, expect=201)
    tickets = [new_ticket(pipeline, f"Invoice question {n}") for n in range(6)]
    assert [assignee(pipeline, t) for t in tickets] == agents + agents
    audit = pipeline.deps().tickets.get(tickets[0])
    assert audit.group_id == billing and audit.assigned_at is not None
    assert assignee(pipeline, new_ticket(pipeline, "Something else")) is None  # no group: nobody assigns


def test_load_based_assignment_respects_capacity(pipeline: Pipeline, ws: Workspace) -> None:
    ann, bob = agent(pipeline, "Ann"), agent(pipeline, "Bob")
    tier2 = group(ws, "Tier 2", mode="load_based")
    member(ws, tier2, ann, capacity=1)
    member(ws, tier2, bob, capacity=2)
    tickets = [new_ticket(pipeline, f"Problem {n}", group_id=tier2) for n in range(4)]
    assert [assignee(pipeline, t) for t in tickets] == [ann, bob, bob, None]
    pipeline.json("PUT", f"/api/v2/tickets/{tickets[0]}.json", {"ticket": {"status": "solved"}})
    pipeline.dispatcher.drain()
    assert assignee(pipeline, new_ticket(pipeline, "Problem 5", group_id=tier2)) == ann  # Ann has room again


def test_skills_language_and_availability_choose_the_agent(pipeline: Pipeline, ws: Workspace) -> None:
    ann, bob, cid = agent(pipeline, "Ann"), agent(pipeline, "Bob", "de-DE"), agent(pipeline, "Cid")
    desk = group(ws, "Desk", mode="round_robin")
    member(ws, desk, ann, skills=["refunds"], languages=["en"])
    member(ws, desk, bob, languages=["de"])
    away = member(ws, desk, cid, skills=["refunds"])
    ws.json("PUT", f"/api/v2/group_memberships/{away}.json", {"group_membership": {"available": False}})
    users = pipeline.deps().users
    dana = users.ensure("dana@customer.example", "Dana")
    users.put(replace(dana, locale="de-AT"))
    assert assignee(pipeline, new_ticket(pipeline, "Hallo", group_id=desk)) == bob
    assert assignee(pipeline, new_ticket(pipeline, "Geld", group_id=desk, tags=["skill_refunds"])) is None


def test_a_ticket_unassigned_past_the_limit_goes_to_the_manager(pipeline: Pipeline, ws: Workspace) -> None:
    boss, ann = agent(pipeline, "Boss"), agent(pipeline, "Ann")
    vip = group(ws, "VIP", mode="round_robin", unassigned_limit_minutes=30, manager_id=boss)
    member(ws, vip, ann, available=False)
    created = pipeline.clock.now()
    ticket_id = new_ticket(pipeline, "Urgent VIP", group_id=vip)
    assert pipeline.deps().tickets.get(ticket_id).assignment_due_at == created + timedelta(minutes=30)
    pipeline.dispatcher.advance(29)
    assert assignee(pipeline, ticket_id) is None
    pipeline.dispatcher.advance(2)
    stored = pipeline.deps().tickets.get(ticket_id)
    assert stored.assignee_id == boss and stored.assignment_due_at is None
    assert stored.assigned_at is not None
    late = stored.assigned_at - (created + timedelta(minutes=30))
    assert timedelta(0) <= late <= timedelta(minutes=1)
    pipeline.dispatcher.advance(5)
    assert pipeline.deps().tickets.get(ticket_id).version == stored.version  # handed over once


def test_an_agent_assigned_in_time_stops_the_manager_hand_over(pipeline: Pipeline, ws: Workspace) -> None:
    boss, ann = agent(pipeline, "Boss"), agent(pipeline, "Ann")
    vip = group(ws, "VIP", mode="none", unassigned_limit_minutes=10, manager_id=boss)
    member(ws, vip, ann)
    ticket_id = new_ticket(pipeline, "Please help", group_id=vip)
    pipeline.dispatcher.advance(5)
    pipeline.json("PUT", f"/api/v2/tickets/{ticket_id}.json", {"ticket": {"assignee_id": ann}})
    pipeline.dispatcher.advance(20)
    assert assignee(pipeline, ticket_id) == ann


MACRO = {"macro": {"title": "Known issue", "actions": [
    {"field": "status", "value": "solved"}, {"field": "priority", "value": "high"},
    {"field": "current_tags", "value": "known_issue"}, {"field": "assignee_id", "value": "current_user"},
    {"field": "comment_value", "value": "Hi {{ticket.requester.first_name}}, #{{ticket.id}} is known."},
    {"field": "comment_mode_is_public", "value": False}]}}


def test_macro_apply_returns_the_changes_and_saves_nothing(pipeline: Pipeline, ws: Workspace) -> None:
    macro_id = ws.json("POST", "/api/v2/macros.json", MACRO, expect=201)["macro"]["id"]
    ticket_id = new_ticket(pipeline, "Printer on fire", tags=["printer"])
    before = pipeline.json("GET", f"/api/v2/tickets/{ticket_id}.json")
    version = pipeline.deps().tickets.get(ticket_id).version
    comments = pipeline.json("GET", f"/api/v2/tickets/{ticket_id}/comments.json")
    result = ws.json("GET", f"/api/v2/tickets/{ticket_id}/macros/{macro_id}/apply.json")["result"]
    assert result["ticket"]["id"] == ticket_id and result["ticket"]["status"] == "solved"
    assert result["ticket"]["priority"] == "high" and result["ticket"]["tags"] == ["printer", "known_issue"]
    assert result["ticket"]["assignee_id"] == pipeline.deps().users.find_by_email("admin@example.com").id
    assert result["comment"]["body"] == f"Hi Dana, #{ticket_id} is known." and result["comment"]["public"] is False
    pipeline.dispatcher.drain()
    assert pipeline.json("GET", f"/api/v2/tickets/{ticket_id}.json") == before
    assert pipeline.deps().tickets.get(ticket_id).version == version
    assert pipeline.json("GET", f"/api/v2/tickets/{ticket_id}/comments.json") == comments
    changes = ws.json("GET", f"/api/v2/macros/{macro_id}/apply")["result"]
    assert changes["ticket"]["status"] == "solved" and changes["ticket"]["tags"] == ["known_issue"]
    assert "id" not in changes["ticket"] and changes["comment"]["body"].startswith("Hi {{ticket.requester")


def test_macro_crud_and_validation(pipeline: Pipeline, ws: Workspace) -> None:
    bad = {"macro": {"title": "Broken", "actions": [{"field": "status", "value": "solved"},
                                                    {"field": "status", "value": "new"}]}}
    response = ws.call("POST", "/api/v2/macros", bad)
    assert response.status_code == 422 and "actions[1]: status" in json.loads(response.body)["description"]
    response = ws.call("POST", "/api/v2/macros", {"macro": {"actions": MACRO["macro"]["actions"]}})
    assert response.status_code == 422 and "title" in json.loads(response.body)["description"]
    created = ws.json("POST", "/api/v2/macros", MACRO, expect=201)["macro"]
    number = created["id"]
    assert ws.json("GET", f"/api/v2/macros/{number}.json")["macro"]["actions"] == created["actions"]
    updated = ws.json("PUT", f"/api/v2/macros/{number}", {"macro": {"title": "Known issue v2", "active": False}})
    assert updated["macro"]["title"] == "Known issue v2" and updated["macro"]["actions"] == created["actions"]
    assert [m["id"] for m in ws.json("GET", "/api/v2/macros.json")["macros"]] == [number]
    assert ws.json("GET", "/api/v2/macros/active.json")["macros"] == []
    assert ws.call("PUT", f"/api/v2/macros/{number}", {"macro": {"actions": []}}).status_code == 422
    assert ws.call("DELETE", f"/api/v2/macros/{number}.json").status_code == 204
    assert ws.call("GET", f"/api/v2/macros/{number}").status_code == 404
    assert ws.call("GET", "/api/v2/macros/abc").status_code == 400


def test_group_and_membership_crud_and_validation(pipeline: Pipeline, ws: Workspace) -> None:
    ann = agent(pipeline, "Ann")
    customer = pipeline.deps().users.ensure("eve@customer.example", "Eve").id
    support = group(ws, "Support", mode="round_robin")
    assert ws.call("POST", "/api/v2/groups", {"group": {"name": "support"}}).status_code == 422
    bad_manager = {"group": {"assignment": {"manager_id": customer}}}
    assert ws.call("PUT", f"/api/v2/groups/{support}.json", bad_manager).status_code == 422
    shown = ws.json("PUT", f"/api/v2/groups/{support}.json", {"group": {"assignment": {"manager_id": ann}}})
    assert shown["group"]["assignment"] == {"mode": "round_robin", "unassigned_limit_minutes": None,
                                            "manager_id": ann}
    assert ws.call("POST", "/api/v2/group_memberships",
                   {"group_membership": {"group_id": support, "user_id": customer}}).status_code == 422
    membership = member(ws, support, ann, capacity=3, skills=["billing"], languages=["en"])
    assert ws.call("POST", "/api/v2/group_memberships",
                   {"group_membership": {"group_id": support, "user_id": ann}}).status_code == 422
    listed = ws.json("GET", f"/api/v2/groups/{support}/memberships.json")["group_memberships"]
    assert [(m["user_id"], m["capacity"], m["skills"], m["available"]) for m in listed] == [
        (ann, 3, ["billing"], True)]
    assert ws.json("GET", "/api/v2/groups")["count"] == 1
    assert ws.call("DELETE", f"/api/v2/group_memberships/{membership}").status_code == 204
    assert ws.json("GET", "/api/v2/group_memberships.json")["group_memberships"] == []
    assert ws.call("DELETE", f"/api/v2/groups/{support}.json").status_code == 204
    assert ws.call("GET", f"/api/v2/groups/{support}").status_code == 404
