"""Ticket, user, organization, comment, attachment and job status objects carry every top-level key of Zendesk's
own examples (../shared/corpora/zendesk_objects), so a client reading any of them finds it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support import Pipeline, corpus

pytestmark = pytest.mark.corpus


def _keys(name: str) -> set[str]:
    return set(json.loads(corpus("zendesk_objects", f"{name}.json").read_text()))


def _objects(pipeline: Pipeline) -> dict[str, dict[str, Any]]:
    organization = pipeline.json("POST", "/api/v2/organizations.json", {"organization": {"name": "Acme"}},
                                 expect=201)["organization"]
    user = pipeline.json("POST", "/api/v2/users.json", {"user": {"name": "Una", "email": "una@customer.example"}},
                         expect=201)["user"]
    upload = json.loads(pipeline.call("POST", "/api/v2/uploads.json?filename=a.txt", b"abc",
                                      {**pipeline.auth, "Content-Type": "text/plain"}).body)["upload"]["token"]
    created = pipeline.json("POST", "/api/v2/tickets.json", {"ticket": {
        "subject": "Shapes", "requester_id": user["id"], "comment": {"body": "x", "uploads": [upload]}}},
        expect=201)
    number = created["ticket"]["id"]
    [comment] = pipeline.json("GET", f"/api/v2/tickets/{number}/comments.json")["comments"]
    job = pipeline.json("PUT", f"/api/v2/tickets/update_many.json?ids={number}",
                        {"ticket": {"priority": "low"}})["job_status"]
    return {
        "ticket": pipeline.json("GET", f"/api/v2/tickets/{number}.json")["ticket"],
        "user": pipeline.json("GET", f"/api/v2/users/{user['id']}.json")["user"],
        "organization": pipeline.json("GET", f"/api/v2/organizations/{organization['id']}.json")["organization"],
        "comment": comment, "attachment": comment["attachments"][0], "job_status": job,
        "audit": created["audit"],
    }


def test_objects_carry_every_key_of_zendesks_examples(pipeline: Pipeline) -> None:
    objects = _objects(pipeline)
    missing = {name: sorted(_keys(name) - set(found)) for name, found in objects.items()}
    assert missing == {name: [] for name in objects}


def test_the_keys_hold_what_the_product_knows(pipeline: Pipeline) -> None:
    objects = _objects(pipeline)
    ticket, user = objects["ticket"], objects["user"]
    assert ticket["url"] == f"https://helpdesk.test/api/v2/tickets/{ticket['id']}.json"
    assert ticket["fields"] == ticket["custom_fields"] and ticket["allow_channelback"] is False
    assert ticket["followup_ids"] == [] and ticket["problem_id"] is None and ticket["due_at"] is None
    assert user["verified"] is True and user["suspended"] is False and user["restricted_agent"] is True
    assert user["ticket_restriction"] == "requested" and user["tags"] == []
    assert objects["organization"]["url"].endswith(f"/api/v2/organizations/{objects['organization']['id']}.json")
