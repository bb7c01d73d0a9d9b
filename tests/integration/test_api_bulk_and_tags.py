"""Zendesk's ticket calls beyond one ticket at a time: create and update answer with their audit; show_many;
create_many and update_many answered with a job status readable at /api/v2/job_statuses; a ticket's tags."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tests.support import Pipeline

BASE = "https://helpdesk.test"


def _ticket(pipeline: Pipeline, subject: str = "Hello", **fields: Any) -> dict[str, Any]:
    body = {"ticket": {"subject": subject, "comment": {"body": "Body of " + subject}, **fields}}
    return dict(pipeline.json("POST", "/api/v2/tickets.json", body, expect=201)["ticket"])


def test_create_and_update_answer_with_the_ticket_and_its_audit(pipeline: Pipeline) -> None:
    response = pipeline.call("POST", "/api/v2/tickets.json", {"ticket": {"subject": "S", "comment": {"body": "B"}}})
    created = json.loads(response.body)
    assert response.headers["Location"] == f"{BASE}/api/v2/tickets/{created['ticket']['id']}.json"
    audit = created["audit"]
    assert audit["ticket_id"] == created["ticket"]["id"]
    kinds = [e["type"] for e in audit["events"]]
    assert "Comment" in kinds and "Create" in kinds
    number = created["ticket"]["id"]
    updated = pipeline.json("PUT", f"/api/v2/tickets/{number}.json", {"ticket": {"priority": "high"}})
    change = [e for e in updated["audit"]["events"] if e["type"] == "Change"]
    assert {"field_name": "priority", "value": "high"}.items() <= change[0].items()
    stored = pipeline.json("GET", f"/api/v2/tickets/{number}/audits.json")["audits"]
    assert [a["id"] for a in stored] == [audit["id"], updated["audit"]["id"]]


def test_show_many_answers_the_tickets_that_exist(pipeline: Pipeline) -> None:
    first, second = _ticket(pipeline, "one"), _ticket(pipeline, "two")
    found = pipeline.json("GET", f"/api/v2/tickets/show_many.json?ids={first['id']},{second['id']},999")
    assert sorted(t["subject"] for t in found["tickets"]) == ["one", "two"]


def test_update_many_by_ids_and_by_list_with_job_statuses(pipeline: Pipeline) -> None:
    first, second = _ticket(pipeline, "one"), _ticket(pipeline, "two")
    job = pipeline.json("PUT", f"/api/v2/tickets/update_many.json?ids={first['id']},{second['id']},999",
                        {"ticket": {"status": "open", "priority": "low"}})["job_status"]
    assert job["status"] == "completed" and job["total"] == job["progress"] == 3
    assert job["url"] == f"{BASE}/api/v2/job_statuses/{job['id']}.json"
    by_id = {r["id"]: r for r in job["results"]}
    assert by_id[first["id"]]["success"] is True and by_id[first["id"]]["status"] == "Updated"
    assert by_id[999]["success"] is False and "999" in by_id[999]["details"]
    for number in (first["id"], second["id"]):
        shown = pipeline.json("GET", f"/api/v2/tickets/{number}.json")["ticket"]
        assert (shown["status"], shown["priority"]) == ("open", "low")
    assert pipeline.json("GET", f"/api/v2/job_statuses/{job['id']}.json")["job_status"] == job
    listed = pipeline.json("PUT", "/api/v2/tickets/update_many.json",
                           {"tickets": [{"id": first["id"], "priority": "urgent"},
                                        {"id": second["id"], "status": "sideways"}]})["job_status"]
    results = {r["id"]: r for r in listed["results"]}
    assert results[first["id"]]["success"] is True and results[second["id"]]["success"] is False
    assert pipeline.json("GET", f"/api/v2/tickets/{first['id']}.json")["ticket"]["priority"] == "urgent"
    both = pipeline.json("GET", f"/api/v2/job_statuses/show_many.json?ids={job['id']},{listed['id']}")
    assert [j["id"] for j in both["job_statuses"]] == [job["id"], listed["id"]]


def test_create_many_answers_a_job_status_with_each_index(pipeline: Pipeline) -> None:
    job = pipeline.json("POST", "/api/v2/tickets/create_many.json", {"tickets": [
        {"subject": "a", "comment": {"body": "a"}}, {"subject": "b"}, {"subject": "c", "comment": {"body": "c"}},
    ]})["job_status"]
    results = job["results"]
    assert [r["index"] for r in results] == [0, 1, 2]
    assert results[0]["success"] and results[2]["success"] and not results[1]["success"]
    shown = pipeline.json("GET", f"/api/v2/tickets/show_many.json?ids={results[0]['id']},{results[2]['id']}")
    assert sorted(t["subject"] for t in shown["tickets"]) == ["a", "c"]


def test_tags_are_listed_added_set_and_removed(pipeline: Pipeline) -> None:
    number = _ticket(pipeline, tags=["alpha"])["id"]
    path = f"/api/v2/tickets/{number}/tags.json"
    assert pipeline.json("GET", path)["tags"] == ["alpha"]
    assert pipeline.json("PUT", path, {"tags": ["beta", "gamma"]})["tags"] == ["alpha", "beta", "gamma"]
    assert pipeline.json("DELETE", path, {"tags": ["beta"]})["tags"] == ["alpha", "gamma"]
    assert pipeline.json("POST", path, {"tags": ["only"]})["tags"] == ["only"]
    assert pipeline.json("GET", f"/api/v2/tickets/{number}.json")["ticket"]["tags"] == ["only"]
    assert pipeline.json("DELETE", f"/api/v2/tickets/{number}/tags?tags=only")["tags"] == []


def test_tags_honour_safe_update(pipeline: Pipeline) -> None:
    ticket = _ticket(pipeline)
    path = f"/api/v2/tickets/{ticket['id']}/tags.json"
    stale = {"tags": ["x"], "safe_update": True, "updated_stamp": "2020-01-01T00:00:00Z"}
    assert pipeline.call("PUT", path, stale).status_code == 409
    fresh = {"tags": ["x"], "safe_update": True, "updated_stamp": ticket["updated_at"]}
    assert pipeline.json("PUT", path, fresh)["tags"] == ["x"]


@pytest.mark.parametrize("method, path, body, status, reason", [
    ("GET", "/api/v2/tickets/show_many.json", None, 400, "ids is required"),
    ("GET", "/api/v2/tickets/show_many.json?ids=1,abc", None, 400, "'abc' is not an id"),
    ("GET", "/api/v2/tickets/show_many.json?ids=" + ",".join(str(i) for i in range(1, 102)), None, 400,
     "at most 100"),
    ("PUT", "/api/v2/tickets/update_many.json?ids=1", {"tickets": []}, 400, '{"ticket": {...}}'),
    ("PUT", "/api/v2/tickets/update_many.json", {"tickets": [{"status": "open"}]}, 400, "needs its id"),
    ("PUT", "/api/v2/tickets/update_many.json", {"tickets": "x"}, 400, '{"tickets": [{...}, ...]}'),
    ("POST", "/api/v2/tickets/create_many.json", {"tickets": [{}] * 101}, 400, "at most 100"),
    ("POST", "/api/v2/tickets/create_many.json", {"ticket": {}}, 400, '{"tickets"'),
    ("GET", "/api/v2/tickets/create_many.json", None, 405, "takes POST"),
    ("POST", "/api/v2/tickets/5.json", {"ticket": {}}, 405, "create_many"),
    ("GET", "/api/v2/job_statuses/nope.json", None, 404, "does not exist"),
    ("GET", "/api/v2/job_statuses/show_many.json", None, 400, "ids is required"),
    ("GET", "/api/v2/job_statuses/show_many.json?ids=a-b", None, 400, "job status ids"),
    ("PUT", "/api/v2/tickets/1/tags.json", {"tags": [1]}, 400, "list of tags"),
    ("PUT", "/api/v2/tickets/1/tags.json", {"tags": {"a": 1}}, 400, "list of tags"),
    ("GET", "/api/v2/tickets/x/tags.json", None, 400, "not a ticket id"),
    ("GET", "/api/v2/tickets/999/tags.json", None, 404, "999"),
])
def test_bad_bulk_and_tag_input_gets_a_4xx_with_the_reason(pipeline: Pipeline, method: str, path: str, body: Any,
                                                            status: int, reason: str) -> None:
    _ticket(pipeline)
    response = pipeline.call(method, path, body)
    assert response.status_code == status, response.body
    assert reason in json.loads(response.body)["description"]


def test_include_side_loads_users_groups_and_organizations(pipeline: Pipeline) -> None:
    group = pipeline.json("POST", "/api/v2/groups.json", {"group": {"name": "Billing"}}, expect=201)["group"]
    organization = pipeline.json("POST", "/api/v2/organizations.json", {"organization": {"name": "Acme"}},
                                 expect=201)["organization"]
    requester = pipeline.json("POST", "/api/v2/users.json", {"user": {
        "name": "Rita", "email": "rita@customer.example", "organization_id": organization["id"]}},
        expect=201)["user"]
    ticket = _ticket(pipeline, requester_id=requester["id"], group_id=group["id"],
                     organization_id=organization["id"])
    shown = pipeline.json("GET", f"/api/v2/tickets/{ticket['id']}.json?include=users,groups,organizations")
    assert requester["id"] in {u["id"] for u in shown["users"]}
    assert [g["name"] for g in shown["groups"]] == ["Billing"]
    assert [o["name"] for o in shown["organizations"]] == ["Acme"]
    listed = pipeline.json("GET", "/api/v2/tickets.json?include=users")
    assert requester["id"] in {u["id"] for u in listed["users"]} and "groups" not in listed
    assert "users" not in pipeline.json("GET", f"/api/v2/tickets/{ticket['id']}.json")


@pytest.mark.parametrize("name", ["requester_id", "assignee_id", "organization_id", "status"])
def test_ticket_list_filters_no_index_serves_are_refused_not_ignored(pipeline: Pipeline, name: str) -> None:
    _ticket(pipeline)
    response = pipeline.call("GET", f"/api/v2/tickets.json?{name}=1")
    assert response.status_code == 400
    assert json.loads(response.body)["description"].startswith(f"{name}: ")


def test_the_external_id_filter_reads_its_index(pipeline: Pipeline) -> None:
    first = _ticket(pipeline, "one", external_id="crm-42")["id"]
    _ticket(pipeline, "two", external_id="crm-43")
    third = _ticket(pipeline, "three", external_id=42)["id"]  # a number is kept as its text
    pipeline.clock.advance(timedelta(seconds=1))
    second_of_42 = _ticket(pipeline, "four", external_id="crm-42")["id"]
    found = pipeline.json("GET", "/api/v2/tickets.json?external_id=crm-42")
    assert [t["id"] for t in found["tickets"]] == [second_of_42, first] and found["count"] == 2
    assert [t["id"] for t in pipeline.json("GET", "/api/v2/tickets.json?external_id=42")["tickets"]] == [third]
    assert pipeline.json("GET", "/api/v2/tickets.json?external_id=none")["tickets"] == []
    paged = pipeline.json("GET", "/api/v2/tickets.json?external_id=crm-42&page%5Bsize%5D=1")
    assert "external_id=crm-42" in paged["links"]["next"]  # the filter is kept in the links
    nxt = pipeline.json("GET", paged["links"]["next"].removeprefix(BASE))
    assert [t["id"] for t in nxt["tickets"]] == [first]
    pipeline.json("PUT", f"/api/v2/tickets/{first}.json", {"ticket": {"external_id": None}})
    assert [t["id"] for t in pipeline.json("GET", "/api/v2/tickets?external_id=crm-42")["tickets"]] == [
        second_of_42]


@pytest.mark.parametrize("query, body", [
    ("external_id=" + "x" * 1025, None), ("external_id=", None),
    (None, {"ticket": {"comment": {"body": "x"}, "external_id": {"a": 1}}}),
    (None, {"ticket": {"comment": {"body": "x"}, "external_id": "y" * 1025}}),
])
def test_bad_external_ids_get_a_400_with_the_reason(pipeline: Pipeline, query: str | None, body: Any) -> None:
    response = (pipeline.call("GET", f"/api/v2/tickets.json?{query}") if query is not None
                else pipeline.call("POST", "/api/v2/tickets.json", body))
    assert response.status_code == 400, response.body
    assert "external_id" in json.loads(response.body)["description"]
