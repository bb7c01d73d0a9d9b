"""Automations: Zendesk's validation, time conditions, and the index reads a run makes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from helpdesk.domain.automations import Automation, CandidateRead, Clocks, candidate_reads, matches
from helpdesk.domain.business_hours import Schedule
from helpdesk.domain.clock import iso
from helpdesk.domain.errors import InvalidRule
from helpdesk.domain.rule_context import UpdateContext
from tests.support import corpus

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
CTX = UpdateContext(update_type="Change", via="automation", actor_role="rule", actor_id=None)


def automation(all_: list[dict[str, Any]], actions: list[dict[str, Any]], any_: list[dict[str, Any]] | None = None,
               **extra: Any) -> Automation:
    body = {"title": "Rule", "conditions": {"all": all_, "any": any_ or []}, "actions": actions, **extra}
    return Automation.from_api(body, id=1, now_iso=iso(NOW) or "")


def cond(field: str, operator: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


SOLVE_PENDING = ([cond("status", "is", "pending"), cond("hours_since_pending", "greater_than", 48)],
                 [{"field": "status", "value": "solved"}])


def ticket(**fields: Any) -> dict[str, Any]:
    base = {"id": 1, "status": "pending", "tags": [], "requester_id": 5, "created_at": iso(NOW - timedelta(days=9)),
            "updated_at": iso(NOW - timedelta(hours=50)), "status_updated_at": iso(NOW - timedelta(hours=50)),
            "assigned_at": None, "requester_updated_at": None, "agent_updated_at": None, "custom_fields": {}}
    return {**base, **fields}


def test_a_valid_automation_round_trips_and_accepts_zendesk_field_names() -> None:
    sample = json.loads(corpus("zendesk_objects", "automation.json").read_text())
    sample["conditions"]["all"].append(cond("status", "is", "pending"))
    parsed = Automation.from_api(sample, id=7, now_iso="2026-01-01T00:00:00Z")
    assert parsed.conditions["all"][0] == cond("hours_since_pending", "greater_than", 336)
    assert Automation.from_doc(parsed.to_api()) == parsed


@pytest.mark.parametrize(("all_", "actions", "reason"), [
    ([cond("status", "is", "pending")], [{"field": "status", "value": "solved"}], "time condition"),
    ([cond("hours_since_created", "greater_than", 2), cond("priority", "is", "low")],
     [{"field": "priority", "value": "high"}], "status, type, group, assignee or requester"),
    ([cond("status", "is", "open"), cond("hours_since_update", "greater_than", 24)],
     [{"field": "priority", "value": "high"}], "true only once or nullify"),
    ([cond("status", "is", "pending"), cond("hours_since_pending", "greater_than", 24)],
     [{"field": "status", "value": "pending"}], "true only once or nullify"),
    ([cond("status", "is", "open"), cond("hours_since_update", "greater_than", 24),
      cond("current_tags", "not_includes", "nudged")], [{"field": "current_tags", "value": "other"}], "nullify"),
    ([cond("status", "is", "open"), cond("hours_since_update", "sometimes", 24)],
     [{"field": "status", "value": "solved"}], "operator"),
    ([cond("status", "is", "open"), cond("hours_since_update", "is", "soon")],
     [{"field": "status", "value": "solved"}], "whole number of hours"),
    ([cond("status", "changed"), cond("hours_since_update", "is", 3)],
     [{"field": "status", "value": "solved"}], "not available in automations"),
])
def test_zendesk_validation_refuses_with_a_reason(all_: list[dict[str, Any]], actions: list[dict[str, Any]],
                                                  reason: str) -> None:
    with pytest.raises(InvalidRule, match=reason):
        automation(all_, actions)


@pytest.mark.parametrize(("all_", "actions"), [
    SOLVE_PENDING,
    ([cond("status", "is", "open"), cond("hours_since_update", "is", 24)], [{"field": "priority", "value": "high"}]),
    ([cond("status", "less_than", "solved"), cond("hours_since_update", "greater_than", 24),
      cond("current_tags", "not_includes", "nudged")], [{"field": "current_tags", "value": "nudged"}]),
    ([cond("group_id", "is", 4), cond("hours_since_created", "greater_than", 24),
      cond("current_tags", "includes", "vip")], [{"field": "remove_tags", "value": "vip"}]),
    ([cond("status", "is", "solved"), cond("hours_since_solved", "greater_than", 96)],
     [{"field": "status", "value": "closed"}]),
])
def test_rules_that_fire_once_or_nullify_are_accepted(all_: list[dict[str, Any]],
                                                      actions: list[dict[str, Any]]) -> None:
    automation(all_, actions)


def test_time_conditions_measure_from_the_right_clock() -> None:
    rule = automation(*SOLVE_PENDING)
    assert matches(rule, ticket(), CTX, Clocks(NOW))
    assert not matches(rule, ticket(status_updated_at=iso(NOW - timedelta(hours=47))), CTX, Clocks(NOW))
    assert not matches(rule, ticket(status="open"), CTX, Clocks(NOW))
    assert not matches(rule, ticket(status="closed"), CTX, Clocks(NOW))
    hourly = automation([cond("status", "is", "open"), cond("hours_since_requester_update", "is", 24)],
                        [{"field": "current_tags", "value": "nudged"}])
    for hours, expected in ((23.9, False), (24, True), (24.99, True), (25, False)):
        at = ticket(status="open", requester_updated_at=iso(NOW - timedelta(hours=hours)))
        assert matches(hourly, at, CTX, Clocks(NOW)) is expected
    assert not matches(hourly, ticket(status="open"), CTX, Clocks(NOW))  # the requester never updated


def test_hours_until_the_next_sla_breach_and_business_hours() -> None:
    soon = automation([cond("status", "less_than", "solved"), cond("hours_until_next_sla_breach", "less_than", 2),
                       cond("current_tags", "not_includes", "warned")], [{"field": "current_tags", "value": "warned"}])
    assert matches(soon, ticket(), CTX, Clocks(NOW, NOW + timedelta(minutes=90)))
    assert not matches(soon, ticket(), CTX, Clocks(NOW, NOW + timedelta(hours=3)))
    assert not matches(soon, ticket(), CTX, Clocks(NOW))
    office = Schedule.from_api({"name": "Office", "time_zone": "UTC", "intervals": [
        {"start_time": d * 1440 + 540, "end_time": d * 1440 + 1020} for d in range(1, 6)]}, id=1, now_iso="")
    business = automation([cond("status", "is", "pending"),
                           cond("hours_since_pending", "greater_than_business_hours", 8)],
                          [{"field": "status", "value": "solved"}])
    monday_noon = datetime(2026, 11, 30, 12, tzinfo=UTC)
    friday_noon = iso(monday_noon - timedelta(days=3))  # 5 business hours Friday + 3 Monday = 8, not more
    assert not matches(business, ticket(status_updated_at=friday_noon), CTX, Clocks(monday_noon, None, office))
    assert matches(business, ticket(status_updated_at=friday_noon), CTX,
                   Clocks(monday_noon + timedelta(minutes=1), None, office))


def test_reads_are_narrowed_by_status_and_bounded_by_status_time() -> None:
    assert candidate_reads(automation(*SOLVE_PENDING), NOW) == [CandidateRead("pending", NOW - timedelta(hours=48))]
    exact = automation([cond("status", "is", "pending"), cond("hours_since_pending", "is", 24)],
                       [{"field": "current_tags", "value": "x"}])
    assert candidate_reads(exact, NOW) == [
        CandidateRead("pending", NOW - timedelta(hours=24), NOW - timedelta(hours=25))]
    by_update = automation([cond("status", "less_than", "pending"), cond("hours_since_update", "greater_than", 5),
                            cond("current_tags", "not_includes", "x")], [{"field": "current_tags", "value": "x"}])
    assert candidate_reads(by_update, NOW) == [CandidateRead(s, NOW - timedelta(hours=5)) for s in ("new", "open")]
    wide = automation([cond("assignee_id", "is", 3), cond("hours_since_created", "greater_than", 5),
                       cond("current_tags", "not_includes", "x")], [{"field": "current_tags", "value": "x"}])
    assert [r.status for r in candidate_reads(wide, NOW)] == ["new", "open", "pending", "hold", "solved"]
    assert all(r.set_before is None for r in candidate_reads(wide, NOW))
