"""Merging tickets as Zendesk does: sources closed with a comment, the target told and copying their requesters,
answered with a job status."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support import Pipeline


def _ticket(pipeline: Pipeline, subject: str, email: str) -> int:
    body = {"ticket": {"subject": subject, "comment": {"body": subject}, "requester": {"email": email}}}
    return int(pipeline.json("POST", "/api/v2/tickets.json", body, expect=201)["ticket"]["id"])


def _comments(pipeline: Pipeline, number: int) -> list[dict[str, Any]]:
    return list(pipeline.json("GET", f"/api/v2/tickets/{number}/comments.json")["comments"])


def test_sources_are_closed_and_the_target_names_them(pipeline: Pipeline) -> None:
    target = _ticket(pipeline, "Printer broken", "ana@customer.example")
    first = _ticket(pipeline, "Printer still broken", "ben@customer.example")
    second = _ticket(pipeline, "Printer!!", "ana@customer.example")
    job = pipeline.json("POST", f"/api/v2/tickets/{target}/merge.json", {
        "ids": [first, second], "source_comment": "Merged into the main one", "target_comment_is_public": True,
    })["job_status"]
    assert job["status"] == "completed" and all(r["success"] for r in job["results"])
    for source in (first, second):
        assert pipeline.json("GET", f"/api/v2/tickets/{source}.json")["ticket"]["status"] == "closed"
        last = _comments(pipeline, source)[-1]
        assert last["body"] == "Merged into the main one" and last["public"] is False
    note = _comments(pipeline, target)[-1]
    assert note["public"] is True and f"#{first}" in note["body"] and f"#{second}" in note["body"]
    merged = pipeline.json("GET", f"/api/v2/tickets/{target}.json?include=users")
    ben = next(u["id"] for u in merged["users"] if u["email"] == "ben@customer.example")
    assert merged["ticket"]["collaborator_ids"] == [ben]  # ana requests the target already
    assert pipeline.json("GET", f"/api/v2/job_statuses/{job['id']}")["job_status"]["results"] == job["results"]


@pytest.mark.parametrize("body, status, reason", [
    ({}, 400, "ids must list"), ({"ids": []}, 400, "ids must list"), ({"ids": ["2"]}, 400, "ids must list"),
    ({"ids": [2, 3, 4, 5, 6, 7]}, 400, "ids must list"), ({"ids": [1]}, 400, "into itself"),
    ({"ids": [99]}, 404, "99"), ({"ids": [2], "source_comment": 5}, 400, "source_comment"),
    ({"ids": [2], "target_comment_is_public": "yes"}, 400, "target_comment_is_public"),
    ({"ids": [3]}, 422, "closed"),
])
def test_bad_merges_get_a_4xx_and_change_nothing(pipeline: Pipeline, body: Any, status: int, reason: str) -> None:
    target, source = _ticket(pipeline, "t", "a@customer.example"), _ticket(pipeline, "s", "b@customer.example")
    closed = _ticket(pipeline, "c", "c@customer.example")
    pipeline.json("PUT", f"/api/v2/tickets/{closed}.json", {"ticket": {"status": "closed"}})
    assert (target, source, closed) == (1, 2, 3)
    response = pipeline.call("POST", f"/api/v2/tickets/{target}/merge.json", body)
    assert response.status_code == status, response.body
    assert reason in json.loads(response.body)["description"]
    assert pipeline.json("GET", f"/api/v2/tickets/{source}.json")["ticket"]["status"] != "closed"
    assert len(_comments(pipeline, target)) == 1
