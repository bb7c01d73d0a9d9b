"""Triggers and automations posted with Zendesk's top-level ``all`` / ``any`` (besides ``conditions``), and the
triggers list's ``include=usage_24h,usage_7d``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support import Pipeline

RAISE_ON_CREATE = {
    "title": "Urgent words", "all": [{"field": "update_type", "operator": "is", "value": "Create"}],
    "any": [{"field": "subject_includes_word", "operator": "includes", "value": "outage"}],
    "actions": [{"field": "priority", "value": "urgent"}],
}
HOURS = [{"field": "status", "operator": "is", "value": "pending"},
         {"field": "hours_since_update", "operator": "greater_than", "value": "48"}]


def test_a_trigger_with_top_level_all_and_any_is_stored_and_fires(pipeline: Pipeline) -> None:
    made = pipeline.json("POST", "/api/v2/triggers.json", {"trigger": RAISE_ON_CREATE}, expect=201)["trigger"]
    assert made["conditions"]["all"][0]["field"] == "update_type"
    assert made["conditions"]["any"][0]["value"] == "outage" and "all" not in made
    pipeline.json("POST", "/api/v2/tickets.json", {"ticket": {"subject": "Total outage", "comment": {"body": "x"}}},
                  expect=201)
    pipeline.dispatcher.drain()
    listed = pipeline.json("GET", "/api/v2/triggers.json?include=usage_24h,usage_7d")["triggers"]
    [mine] = [t for t in listed if t["id"] == made["id"]]
    assert (mine["usage_24h"], mine["usage_7d"]) == (1, 1)
    assert "usage_24h" not in pipeline.json("GET", "/api/v2/triggers.json")["triggers"][0]
    only_week = pipeline.json("GET", "/api/v2/triggers.json?include=usage_7d")["triggers"][0]
    assert "usage_7d" in only_week and "usage_24h" not in only_week
    changed = pipeline.json("PUT", f"/api/v2/triggers/{made['id']}.json", {"trigger": {
        "any": [{"field": "subject_includes_word", "operator": "includes", "value": "down"}],
        "actions": [{"field": "priority", "value": "high"}]}})["trigger"]
    assert changed["conditions"] == {"all": [], "any": [
        {"field": "subject_includes_word", "operator": "includes", "value": "down"}]}


def test_an_automation_with_top_level_all_is_stored_and_updated(pipeline: Pipeline) -> None:
    body = {"automation": {"title": "Solve pending", "all": HOURS, "actions": [{"field": "status",
                                                                              "value": "solved"}]}}
    made = pipeline.json("POST", "/api/v2/automations.json", body, expect=201)["automation"]
    assert [c["field"] for c in made["conditions"]["all"]] == ["status", "hours_since_update"]
    assert made["conditions"]["any"] == []
    changed = pipeline.json("PUT", f"/api/v2/automations/{made['id']}.json", {"automation": {
        "all": [HOURS[0], {**HOURS[1], "value": "72"}]}})["automation"]
    assert changed["conditions"]["all"][1]["value"] in ("72", 72)


@pytest.mark.parametrize("path, body", [
    ("/api/v2/triggers.json", {"trigger": {**RAISE_ON_CREATE, "conditions": {"all": [], "any": []}}}),
    ("/api/v2/automations.json", {"automation": {"title": "t", "all": HOURS, "conditions": {"all": HOURS},
                                                 "actions": [{"field": "status", "value": "solved"}]}}),
    ("/api/v2/triggers.json", {"trigger": {**RAISE_ON_CREATE, "all": "status is open"}}),
    ("/api/v2/triggers.json", {"trigger": {**RAISE_ON_CREATE, "all": [], "any": []}}),
])
def test_bad_top_level_conditions_get_a_422_with_the_reason(pipeline: Pipeline, path: str, body: Any) -> None:
    response = pipeline.call("POST", path, body)
    assert response.status_code == 422, response.body
    assert "conditions" in json.loads(response.body)["description"]
