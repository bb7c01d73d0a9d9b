"""Zendesk's collision-safe ticket update (safe_update + updated_stamp) and its tag changes without a
read-modify-write (additional_tags, remove_tags), through the API on the real stack."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tests.support import Pipeline

NEW = {"ticket": {"subject": "Printer on fire", "comment": {"body": "The printer is on fire!"},
                  "tags": ["printer", "fire"]}}


def _ticket(p: Pipeline) -> dict[str, Any]:
    return dict(p.json("POST", "/api/v2/tickets.json", NEW, expect=201)["ticket"])


def test_a_safe_update_with_the_stamp_read_applies_and_with_a_stale_one_answers_409(pipeline: Pipeline) -> None:
    p = pipeline
    read = _ticket(p)
    path = f"/api/v2/tickets/{read['id']}.json"
    p.clock.advance(timedelta(minutes=1))
    other = p.json("PUT", path, {"ticket": {"priority": "high"}})["ticket"]  # someone else, after our read
    assert other["updated_at"] != read["updated_at"]

    stale = p.call("PUT", path, {"ticket": {"status": "pending", "safe_update": True,
                                            "updated_stamp": read["updated_at"]}})
    assert stale.status_code == 409
    assert json.loads(stale.body) == {
        "error": "UpdateConflict", "description": "Safe Update prevented the update due to outdated ticket data. "
                                                  "Please fetch the latest ticket data and try again."}
    assert p.json("GET", path)["ticket"]["status"] == "new"  # nothing was applied

    p.clock.advance(timedelta(minutes=1))
    fresh = p.json("PUT", path, {"ticket": {"status": "pending", "safe_update": "true",
                                            "updated_stamp": other["updated_at"]}})["ticket"]
    assert fresh["status"] == "pending" and fresh["priority"] == "high"


def test_a_safe_update_without_a_usable_stamp_is_a_400_with_the_reason(pipeline: Pipeline) -> None:
    p = pipeline
    path = f"/api/v2/tickets/{_ticket(p)['id']}.json"
    for ticket, reason in (({"safe_update": True}, "updated_stamp is required"),
                           ({"safe_update": True, "updated_stamp": "last tuesday"}, "must be a time")):
        response = p.call("PUT", path, {"ticket": {"status": "open", **ticket}})
        assert response.status_code == 400
        assert reason in json.loads(response.body)["description"]


def test_a_safe_update_that_loses_the_write_race_answers_409_and_is_not_reapplied(pipeline: Pipeline) -> None:
    """The stamp matched when this request read the ticket, but another writer saved before its write: the
    client asked to hear about collisions, so it gets 409 rather than a silent retry over the other change."""
    from helpdesk.adapters.dynamo.repositories import DynamoTicketRepository
    from helpdesk.domain.errors import UpdateConflict
    from helpdesk.services.api_tickets import update_ticket

    p = pipeline
    read = _ticket(p)
    deps = p.deps()
    admin = deps.users.find_by_email("admin@example.com")
    assert admin is not None
    real_get = DynamoTicketRepository.get
    gets = []

    def get_then_someone_saves(self: DynamoTicketRepository, ticket_id: int) -> Any:
        ticket = real_get(self, ticket_id)
        gets.append(ticket_id)
        if len(gets) == 1:  # between this request's read and its write, another agent saves the ticket
            update_ticket(deps, ticket_id, {"ticket": {"priority": "low"}}, admin)
        return ticket

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DynamoTicketRepository, "get", get_then_someone_saves)
        with pytest.raises(UpdateConflict):
            update_ticket(deps, read["id"], {"ticket": {"priority": "urgent", "safe_update": True,
                                                        "updated_stamp": read["updated_at"]}}, admin)
    assert len(gets) == 2  # its own read and the other agent's; no second attempt
    assert p.json("GET", f"/api/v2/tickets/{read['id']}.json")["ticket"]["priority"] == "low"


def test_additional_and_remove_tags_change_the_tags_audit_them_and_fire_triggers(pipeline: Pipeline) -> None:
    p = pipeline
    p.json("POST", "/api/v2/triggers.json", {"trigger": {
        "title": "VIP is urgent", "conditions": {"all": [
            {"field": "current_tags", "operator": "includes", "value": "vip"}], "any": []},
        "actions": [{"field": "priority", "value": "urgent"}]}}, expect=201)
    number = _ticket(p)["id"]
    path = f"/api/v2/tickets/{number}.json"
    added = p.json("PUT", path, {"ticket": {"additional_tags": ["VIP", "printer"]}})["ticket"]
    assert added["tags"] == ["printer", "fire", "vip"]
    removed = p.json("PUT", path, {"ticket": {"remove_tags": ["fire", "never_there"]}})["ticket"]
    assert removed["tags"] == ["printer", "vip"]
    p.dispatcher.drain()
    assert p.json("GET", path)["ticket"]["priority"] == "urgent"  # the trigger saw the tags change
    audits = p.json("GET", f"/api/v2/tickets/{number}/audits.json")["audits"]
    tag_changes = [(e["previous_value"], e["value"]) for a in audits for e in a["events"]
                   if e.get("field_name") == "tags" and e["type"] == "Change"]
    assert tag_changes == [(["printer", "fire"], ["printer", "fire", "vip"]), (["printer", "fire", "vip"],
                                                                               ["printer", "vip"])]


def test_adding_a_tag_the_ticket_has_answers_the_ticket_as_it_is(pipeline: Pipeline) -> None:
    """As Zendesk does; no audit, no event. A plain update that changes nothing stays a 400."""
    p = pipeline
    number = _ticket(p)["id"]
    path = f"/api/v2/tickets/{number}.json"
    same = p.json("PUT", path, {"ticket": {"additional_tags": ["fire"], "remove_tags": ["absent"]}})["ticket"]
    assert same["tags"] == ["printer", "fire"]
    assert len(p.json("GET", f"/api/v2/tickets/{number}/audits.json")["audits"]) == 1
    assert p.call("PUT", path, {"ticket": {"tags": ["printer", "fire"]}}).status_code == 400
    bad = p.call("PUT", path, {"ticket": {"additional_tags": {"tag": "x"}}})
    assert bad.status_code == 400 and "additional_tags must be" in json.loads(bad.body)["description"]
