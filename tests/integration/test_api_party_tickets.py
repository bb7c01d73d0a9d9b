"""A user's and an organization's tickets (/api/v2/users/{id}/tickets/requested|assigned,
/api/v2/organizations/{id}/tickets), read through indexes and paginated as every listing."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tests.support import Pipeline

BASE = "https://helpdesk.test"


def _user(pipeline: Pipeline, name: str, role: str = "end-user", **extra: Any) -> int:
    body = {"user": {"name": name, "email": f"{name.lower()}@customer.example", "role": role, **extra}}
    return int(pipeline.json("POST", "/api/v2/users.json", body, expect=201)["user"]["id"])


def _ticket(pipeline: Pipeline, subject: str, **fields: Any) -> int:
    body = {"ticket": {"subject": subject, "comment": {"body": subject}, **fields}}
    number = int(pipeline.json("POST", "/api/v2/tickets.json", body, expect=201)["ticket"]["id"])
    pipeline.clock.advance(timedelta(seconds=1))
    return number


def _all(pipeline: Pipeline, path: str) -> list[int]:
    page, seen = pipeline.json("GET", path), []
    while True:
        seen += [t["id"] for t in page["tickets"]]
        if not page["meta"]["has_more"]:
            return seen
        page = pipeline.json("GET", page["links"]["next"].removeprefix(BASE))


def test_a_requesters_and_an_organizations_tickets(pipeline: Pipeline) -> None:
    acme = pipeline.json("POST", "/api/v2/organizations.json", {"organization": {"name": "Acme"}},
                         expect=201)["organization"]["id"]
    rita, sam = _user(pipeline, "Rita"), _user(pipeline, "Sam")
    ritas = [_ticket(pipeline, f"rita {i}", requester_id=rita, organization_id=acme) for i in range(3)]
    sams = _ticket(pipeline, "sam", requester_id=sam)
    assert _all(pipeline, f"/api/v2/users/{rita}/tickets/requested.json?page%5Bsize%5D=2") == list(reversed(ritas))
    assert _all(pipeline, f"/api/v2/users/{sam}/tickets/requested") == [sams]
    assert _all(pipeline, f"/api/v2/organizations/{acme}/tickets.json?page%5Bsize%5D=1") == list(reversed(ritas))
    offset = pipeline.json("GET", f"/api/v2/organizations/{acme}/tickets?per_page=2&page=2")
    assert [t["id"] for t in offset["tickets"]] == [ritas[0]] and offset["next_page"] is None
    pipeline.call("DELETE", f"/api/v2/tickets/{ritas[1]}.json")  # a deleted ticket leaves the lists
    assert _all(pipeline, f"/api/v2/users/{rita}/tickets/requested") == [ritas[2], ritas[0]]
    pipeline.call("PUT", f"/api/v2/deleted_tickets/{ritas[1]}/restore")
    assert ritas[1] in _all(pipeline, f"/api/v2/organizations/{acme}/tickets")
    sideloaded = pipeline.json("GET", f"/api/v2/users/{sam}/tickets/requested.json?include=users")
    assert sam in {u["id"] for u in sideloaded["users"]}


def test_an_agents_assigned_tickets(pipeline: Pipeline) -> None:
    axel = _user(pipeline, "Axel", role="agent")
    mine = [_ticket(pipeline, f"a{i}", assignee_id=axel) for i in range(3)]
    _ticket(pipeline, "nobody's")
    pipeline.json("PUT", f"/api/v2/tickets/{mine[0]}.json", {"ticket": {"status": "pending"}})
    found = _all(pipeline, f"/api/v2/users/{axel}/tickets/assigned.json?page%5Bsize%5D=2")
    assert sorted(found) == sorted(mine) and len(found) == 3


@pytest.mark.parametrize("path, status, reason", [
    ("/api/v2/users/1/tickets/ccd.json", 400, "not served by an index"),
    ("/api/v2/users/1/tickets/watched", 400, "requested, assigned or ccd"),
    ("/api/v2/users/x/tickets/requested", 400, "not a user id"),
    ("/api/v2/users/999/tickets/requested", 404, "999"),
    ("/api/v2/organizations/999/tickets.json", 404, "999"),
    ("/api/v2/organizations/x/tickets", 400, "not a organization id"),
    ("/api/v2/users/1/tickets/requested?page%5Bafter%5D=forged", 400, "page[after]"),
])
def test_bad_party_ticket_requests_get_a_4xx_with_the_reason(pipeline: Pipeline, path: str, status: int,
                                                             reason: str) -> None:
    response = pipeline.call("GET", path)
    assert response.status_code == status, response.body
    assert reason in json.loads(response.body)["description"]
