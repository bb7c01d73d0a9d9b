"""Users and API tokens through the API (Zendesk's /api/v2/users and /api/v2/api_tokens), on the real stack."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.support import Pipeline


@pytest.fixture
def p(pipeline: Pipeline) -> Pipeline:
    return pipeline


def _as(email: str, token: str) -> dict[str, str]:
    login = base64.b64encode(f"{email}/token:{token}".encode()).decode()
    return {"Authorization": f"Basic {login}", "Content-Type": "application/json"}


def _call(p: Pipeline, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
          expect: int = 200) -> Any:
    response = p.call(method, path, body, headers)
    assert response.status_code == expect, response.body
    return json.loads(response.body) if response.body else None


def _agent_with_token(p: Pipeline, email: str = "agnes@helpdesk.example") -> tuple[int, dict[str, str]]:
    user = _call(p, "POST", "/api/v2/users.json", {"user": {"name": "Agnes", "email": email, "role": "agent"}},
                 expect=201)["user"]
    token = _call(p, "POST", "/api/v2/api_tokens.json", {"token": {"description": "agents"}}, expect=201)
    return int(user["id"]), _as(email, token["api_token"]["token"])


def test_an_agent_signs_in_with_an_account_token_and_manages_end_users(p: Pipeline) -> None:
    agent_id, agent = _agent_with_token(p)
    assert _call(p, "GET", "/api/v2/users/me.json", headers=agent)["user"]["id"] == agent_id

    created = _call(p, "POST", "/api/v2/users", {"user": {
        "name": "Bea Buyer", "email": "Bea@Customer.example", "locale": "de-DE",
        "user_fields": {"account_type": "customer", "tier": 2}}}, headers=agent, expect=201)["user"]
    assert (created["email"], created["role"], created["locale"], created["active"]) == (
        "bea@customer.example", "end_user", "de-DE", True)
    assert created["user_fields"] == {"account_type": "customer", "tier": 2}
    assert created["created_at"] == "2026-11-23T09:00:00Z"

    changed = _call(p, "PUT", f"/api/v2/users/{created['id']}.json",
                    {"user": {"user_fields": {"tier": None, "segment": "key_account"}, "name": "Bea B."}},
                    headers=agent)["user"]
    assert changed["user_fields"] == {"account_type": "customer", "segment": "key_account"}  # merged, null clears
    assert changed["name"] == "Bea B."
    assert _call(p, "GET", f"/api/v2/users/{created['id']}", headers=agent)["user"] == changed
    [found] = _call(p, "GET", "/api/v2/users/search.json?query=bea@customer.example", headers=agent)["users"]
    assert found["id"] == created["id"]


def test_only_admins_create_or_change_agents(p: Pipeline) -> None:
    agent_id, agent = _agent_with_token(p)
    refused = p.call("POST", "/api/v2/users", json.dumps({"user": {"name": "Eve", "email": "eve@x.example",
                                                                     "role": "admin"}}), agent)
    assert refused.status_code == 403
    assert p.call("PUT", f"/api/v2/users/{agent_id}", json.dumps({"user": {"role": "admin"}}), agent).status_code == 403
    assert p.call("POST", "/api/v2/api_tokens", json.dumps({"token": {}}), agent).status_code == 403
    assert p.call("DELETE", f"/api/v2/users/{agent_id}", None, agent).status_code == 403
    renamed = _call(p, "PUT", f"/api/v2/users/{agent_id}", {"user": {"name": "Agnes A.", "locale": "de"}},
                    headers=agent)["user"]
    assert (renamed["name"], renamed["locale"], renamed["role"]) == ("Agnes A.", "de", "agent")  # their own profile
    me = _call(p, "GET", "/api/v2/users/me")["user"]
    own = p.call("PUT", f"/api/v2/users/{me['id']}", json.dumps({"user": {"role": "agent"}}), None)
    assert own.status_code == 403 and b"your own role" in own.body


@pytest.mark.parametrize(("user", "reason"), [
    ({"name": "No mail"}, "Email: is required"),
    ({"name": "Bad", "email": "not-an-address"}, "not a valid email address"),
    ({"email": "x@y.example"}, "Name: is required"),
    ({"name": " ", "email": "x@y.example"}, "Name: cannot be blank"),
    ({"name": "R", "email": "x@y.example", "role": "owner"}, "Role:"),
    ({"name": "L", "email": "x@y.example", "locale": "german please"}, "Locale:"),
    ({"name": "F", "email": "x@y.example", "user_fields": ["a"]}, "user_fields: must be an object"),
    ({"name": "F", "email": "x@y.example", "user_fields": {"a": {"b": 1}}}, "user_fields.a"),
    ({"name": "O", "email": "x@y.example", "organization_id": 99}, "organization 99 does not exist"),
])
def test_invalid_users_are_refused_with_a_reason(p: Pipeline, user: dict[str, Any], reason: str) -> None:
    response = p.call("POST", "/api/v2/users.json", json.dumps({"user": user}))
    assert response.status_code == 422, response.body
    assert reason in json.loads(response.body)["description"]
    assert _call(p, "GET", "/api/v2/users/search?query=x@y.example")["users"] == []


def test_a_client_may_send_back_the_user_it_read(p: Pipeline) -> None:
    """Read-only and unkept attributes of Zendesk's user object are ignored, as Zendesk does."""
    user = _call(p, "POST", "/api/v2/users", {"user": {"name": "Pat", "email": "pat@x.example", "phone": "+1 555",
                                                       "verified": True}}, expect=201)["user"]
    echoed = {**user, "name": "Pat P.", "id": 999, "url": "elsewhere", "time_zone": "Berlin"}
    saved = _call(p, "PUT", f"/api/v2/users/{user['id']}.json", {"user": echoed})["user"]
    assert (saved["id"], saved["name"], saved["url"]) == (user["id"], "Pat P.", user["url"])


def test_an_email_belongs_to_one_user_and_moves_when_changed(p: Pipeline) -> None:
    first = _call(p, "POST", "/api/v2/users", {"user": {"name": "A", "email": "a@x.example"}}, expect=201)["user"]
    _call(p, "POST", "/api/v2/users", {"user": {"name": "B", "email": "b@x.example"}}, expect=201)
    taken = p.call("POST", "/api/v2/users", json.dumps({"user": {"name": "A2", "email": "A@x.example"}}))
    assert taken.status_code == 422 and b"already being used" in taken.body
    clash = p.call("PUT", f"/api/v2/users/{first['id']}", json.dumps({"user": {"email": "b@x.example"}}))
    assert clash.status_code == 422
    assert _call(p, "GET", f"/api/v2/users/{first['id']}")["user"]["email"] == "a@x.example"

    _call(p, "PUT", f"/api/v2/users/{first['id']}", {"user": {"email": "a.new@x.example"}})
    [moved] = _call(p, "GET", "/api/v2/users/search?query=a.new@x.example")["users"]
    assert moved["id"] == first["id"]
    assert _call(p, "GET", "/api/v2/users/search?query=a@x.example")["users"] == []
    again = _call(p, "POST", "/api/v2/users", {"user": {"name": "A again", "email": "a@x.example"}}, expect=201)
    assert again["user"]["id"] != first["id"]  # the old address is free


def test_create_or_update_matches_by_email(p: Pipeline) -> None:
    body = {"user": {"name": "Carl", "email": "carl@x.example", "user_fields": {"plan": "basic"}}}
    created = p.call("POST", "/api/v2/users/create_or_update.json", json.dumps(body))
    assert created.status_code == 201
    body["user"]["user_fields"] = {"plan": "pro"}
    updated = p.call("POST", "/api/v2/users/create_or_update", json.dumps(body))
    assert updated.status_code == 200
    assert json.loads(updated.body)["user"]["id"] == json.loads(created.body)["user"]["id"]
    assert json.loads(updated.body)["user"]["user_fields"] == {"plan": "pro"}


def test_listing_pages_by_id_and_filters_by_role(p: Pipeline) -> None:
    for number in range(5):
        _call(p, "POST", "/api/v2/users", {"user": {"name": f"U{number}", "email": f"u{number}@x.example"}},
              expect=201)
    _call(p, "POST", "/api/v2/users", {"user": {"name": "Ag", "email": "ag@x.example", "role": "agent"}},
          expect=201)
    seen: list[int] = []
    path = "/api/v2/users.json?per_page=2"
    while path:
        page = _call(p, "GET", path)
        seen += [u["id"] for u in page["users"]]
        assert len(page["users"]) <= 2
        path = page["links"]["next"] and page["links"]["next"] + "&per_page=2"
    assert seen == sorted(seen) and len(seen) == 7  # the admin, five end users, one agent
    staff = _call(p, "GET", "/api/v2/users?role[]=agent&role[]=admin")["users"]
    assert sorted(u["role"] for u in staff) == ["admin", "agent"]
    assert {u["role"] for u in _call(p, "GET", "/api/v2/users?role=end-user")["users"]} == {"end_user"}
    assert p.call("GET", "/api/v2/users?role=owner").status_code == 400
    assert p.call("GET", "/api/v2/users?page[after]=%7B%7D").status_code == 400


def test_deactivated_users_and_revoked_tokens_no_longer_sign_in(p: Pipeline) -> None:
    agent_id, agent = _agent_with_token(p)
    assert p.call("GET", "/api/v2/tickets.json", None, agent).status_code == 200
    [listed] = _call(p, "GET", "/api/v2/api_tokens.json")["api_tokens"]
    assert listed["token"].startswith("...") and len(listed["token"]) == 7  # the secret is shown once only
    deleted = _call(p, "DELETE", f"/api/v2/users/{agent_id}.json")["user"]
    assert deleted["active"] is False
    assert p.call("GET", "/api/v2/tickets.json", None, agent).status_code == 401

    _, other = _agent_with_token(p, "otto@helpdesk.example")
    assert p.call("GET", "/api/v2/tickets.json", None, other).status_code == 200
    for token in _call(p, "GET", "/api/v2/api_tokens")["api_tokens"]:
        assert p.call("DELETE", f"/api/v2/api_tokens/{token['id']}").status_code == 204
    assert p.call("GET", "/api/v2/tickets.json", None, other).status_code == 401
    assert p.call("GET", "/api/v2/tickets.json", None, _as("otto@helpdesk.example", "guess")).status_code == 401


def test_an_end_user_cannot_use_the_api_even_with_an_account_token(p: Pipeline) -> None:
    _call(p, "POST", "/api/v2/users", {"user": {"name": "Ed", "email": "ed@x.example"}}, expect=201)
    secret = _call(p, "POST", "/api/v2/api_tokens", {"token": {}}, expect=201)["api_token"]["token"]
    assert p.call("GET", "/api/v2/users/me", None, _as("ed@x.example", secret)).status_code == 403


def test_a_user_made_through_the_api_is_routed_by_its_language_and_fields(p: Pipeline) -> None:
    _call(p, "POST", "/api/v2/triggers.json", {"trigger": {
        "title": "German shoppers to group 7", "conditions": {"all": [
            {"field": "update_type", "operator": "is", "value": "Create"},
            {"field": "requester_locale", "operator": "is", "value": "de"},
            {"field": "requester.custom_fields.account_type", "operator": "is", "value": "shopper"}], "any": []},
        "actions": [{"field": "group_id", "value": 7}]}}, expect=201)
    user = _call(p, "POST", "/api/v2/users", {"user": {"name": "Sven", "email": "sven@shop.example",
                                                       "locale": "de-AT",
                                                       "user_fields": {"account_type": "shopper"}}}, expect=201)
    ticket = _call(p, "POST", "/api/v2/tickets.json", {"ticket": {
        "subject": "Lieferung", "comment": {"body": "Wo ist mein Paket?"}, "requester_id": user["user"]["id"]}},
        expect=201)["ticket"]
    p.dispatcher.drain()
    assert _call(p, "GET", f"/api/v2/tickets/{ticket['id']}.json")["ticket"]["group_id"] == 7


def test_a_deactivated_agent_leaves_their_groups(p: Pipeline) -> None:
    agent_id, _ = _agent_with_token(p)
    group = _call(p, "POST", "/api/v2/groups.json", {"group": {"name": "Billing"}}, expect=201)["group"]
    _call(p, "POST", "/api/v2/group_memberships.json",
          {"group_membership": {"user_id": agent_id, "group_id": group["id"]}}, expect=201)
    assert len(_call(p, "GET", f"/api/v2/groups/{group['id']}/memberships.json")["group_memberships"]) == 1
    _call(p, "DELETE", f"/api/v2/users/{agent_id}.json")
    assert _call(p, "GET", f"/api/v2/groups/{group['id']}/memberships.json")["group_memberships"] == []
    ticket = _call(p, "POST", "/api/v2/tickets.json", {"ticket": {"comment": {"body": "x"},
                                                                  "group_id": group["id"]}}, expect=201)
    p.dispatcher.drain()
    assert _call(p, "GET", f"/api/v2/tickets/{ticket['ticket']['id']}.json")["ticket"]["assignee_id"] is None
