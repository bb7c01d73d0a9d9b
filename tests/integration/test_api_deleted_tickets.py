"""Deleting tickets as Zendesk does: soft deletion (one, or many with a job status), the deleted tickets listed,
restored (one, or many) and deleted for good."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tests.support import Pipeline


def _ticket(pipeline: Pipeline, subject: str) -> int:
    body = {"ticket": {"subject": subject, "comment": {"body": subject}}}
    number = int(pipeline.json("POST", "/api/v2/tickets.json", body, expect=201)["ticket"]["id"])
    pipeline.clock.advance(timedelta(seconds=1))
    return number


def _listed(pipeline: Pipeline) -> list[int]:
    return [t["id"] for t in pipeline.json("GET", "/api/v2/tickets.json")["tickets"]]


def test_a_deleted_ticket_leaves_the_list_and_comes_back_when_restored(pipeline: Pipeline) -> None:
    keep, gone = _ticket(pipeline, "keep"), _ticket(pipeline, "gone")
    assert pipeline.call("DELETE", f"/api/v2/tickets/{gone}.json").status_code == 204
    assert _listed(pipeline) == [keep]
    shown = pipeline.call("GET", f"/api/v2/tickets/{gone}.json")
    assert shown.status_code == 404 and b"deleted" in shown.body
    assert pipeline.call("PUT", f"/api/v2/tickets/{gone}.json", {"ticket": {"status": "open"}}).status_code == 404
    deleted = pipeline.json("GET", "/api/v2/deleted_tickets.json")
    assert [d["id"] for d in deleted["deleted_tickets"]] == [gone] and deleted["count"] == 1
    entry = deleted["deleted_tickets"][0]
    assert entry["subject"] == "gone" and entry["previous_state"] == "new" and entry["actor"]["name"] == "Admin"
    assert entry["deleted_at"]
    assert pipeline.call("DELETE", f"/api/v2/tickets/{gone}.json").status_code == 404  # already deleted
    assert pipeline.call("PUT", f"/api/v2/deleted_tickets/{gone}/restore.json").status_code == 200
    assert set(_listed(pipeline)) == {keep, gone}
    assert pipeline.json("GET", f"/api/v2/tickets/{gone}.json")["ticket"]["subject"] == "gone"
    assert pipeline.json("GET", "/api/v2/deleted_tickets.json")["deleted_tickets"] == []


def test_many_are_deleted_restored_and_purged_with_job_statuses(pipeline: Pipeline) -> None:
    ids = [_ticket(pipeline, f"t{i}") for i in range(3)]
    job = pipeline.json("DELETE", f"/api/v2/tickets/destroy_many.json?ids={ids[0]},{ids[1]},{ids[2]},999")
    results = {r["id"]: r["success"] for r in job["job_status"]["results"]}
    assert results == {ids[0]: True, ids[1]: True, ids[2]: True, 999: False}
    assert _listed(pipeline) == []
    restored = pipeline.json("PUT", f"/api/v2/deleted_tickets/restore_many?ids={ids[0]}")["job_status"]
    assert restored["results"][0]["success"] is True and _listed(pipeline) == [ids[0]]
    purged = pipeline.json("DELETE", f"/api/v2/deleted_tickets/{ids[1]}.json")["job_status"]
    assert purged["results"][0]["success"] is True
    assert pipeline.json("GET", f"/api/v2/job_statuses/{purged['id']}.json")["job_status"]["status"] == "completed"
    assert [d["id"] for d in pipeline.json("GET", "/api/v2/deleted_tickets")["deleted_tickets"]] == [ids[2]]
    assert pipeline.call("PUT", f"/api/v2/deleted_tickets/{ids[1]}/restore").status_code == 404  # gone for good
    assert pipeline.deps().tickets.comments(ids[1]) == []  # its comments went with it
    many = pipeline.json("DELETE", f"/api/v2/deleted_tickets/destroy_many.json?ids={ids[2]},{ids[0]}")
    assert [r["success"] for r in many["job_status"]["results"]] == [True, False]  # ids[0] is not deleted
    assert pipeline.json("GET", "/api/v2/deleted_tickets")["deleted_tickets"] == []


def test_a_deleted_ticket_leaves_the_sweeps(pipeline: Pipeline) -> None:
    number = _ticket(pipeline, "due")
    pipeline.json("PUT", f"/api/v2/tickets/{number}.json", {"ticket": {"status": "open"}})
    deps = pipeline.deps()
    assert number in [t.id for t in deps.tickets_by_status.with_status("open")]
    pipeline.call("DELETE", f"/api/v2/tickets/{number}")
    assert number not in [t.id for t in deps.tickets_by_status.with_status("open")]
    pipeline.call("PUT", f"/api/v2/deleted_tickets/{number}/restore")
    assert number in [t.id for t in deps.tickets_by_status.with_status("open")]


@pytest.mark.parametrize("method, path, status, reason", [
    ("DELETE", "/api/v2/tickets/abc.json", 400, "not a ticket id"),
    ("DELETE", "/api/v2/tickets/destroy_many.json", 400, "ids is required"),
    ("DELETE", "/api/v2/tickets/destroy_many.json?ids=1,x", 400, "'x' is not an id"),
    ("PUT", "/api/v2/deleted_tickets/restore_many.json", 400, "ids is required"),
    ("PUT", "/api/v2/deleted_tickets/7.json", 405, "restore"),
    ("PUT", "/api/v2/deleted_tickets/x/restore", 400, "not a ticket id"),
    ("PUT", "/api/v2/deleted_tickets/999/restore", 404, "999"),
    ("DELETE", "/api/v2/deleted_tickets/destroy_many", 400, "ids is required"),
    ("GET", "/api/v2/deleted_tickets.json?page%5Bafter%5D=forged", 400, "page[after]"),
])
def test_bad_deletion_input_gets_a_4xx_with_the_reason(pipeline: Pipeline, method: str, path: str, status: int,
                                                        reason: str) -> None:
    response = pipeline.call(method, path)
    assert response.status_code == status, response.body
    body: Any = json.loads(response.body)
    assert reason in body["description"]
