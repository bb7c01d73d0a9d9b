"""Views, pure: which index a view's conditions choose, and what the read can then leave out (never a ticket
the conditions match: a property checked over generated conditions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.domain import automations
from helpdesk.domain.errors import InvalidRule
from helpdesk.domain.rule_context import UpdateContext
from helpdesk.domain.rule_values import STATUSES
from helpdesk.domain.views import (
    READ_LIMIT,
    UNNARROWED_READ_LIMIT,
    View,
    default_views,
    read_plan,
    validate_conditions,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _plan(*every: dict[str, Any], actor: int | None = 3) -> Any:
    return read_plan(validate_conditions({"all": list(every)}), actor, NOW)


def test_the_assignee_chooses_by_assignee_with_the_statuses_left() -> None:
    plan = _plan({"field": "status", "operator": "less_than", "value": "solved"},
                 {"field": "assignee_id", "operator": "is", "value": "current_user"})
    assert (plan.index, plan.assignee_id, plan.statuses) == ("by_assignee", 3, ("new", "open", "pending", "hold"))
    assert plan.narrowed_by == ("assignee_id", "status") and not plan.bounded


def test_unassigned_reads_the_status_partitions() -> None:
    plan = _plan({"field": "status", "operator": "less_than", "value": "solved"},
                 {"field": "assignee_id", "operator": "is", "value": ""})
    assert (plan.index, plan.statuses, plan.limit) == ("by_status", ("new", "open", "pending", "hold"), READ_LIMIT)


def test_hours_since_solved_bounds_the_solved_partition() -> None:
    plan = _plan({"field": "status", "operator": "is", "value": "solved"},
                 {"field": "SOLVED", "operator": "less_than", "value": 168})
    assert (plan.index, plan.statuses, plan.since) == ("by_status", ("solved",), NOW - timedelta(hours=168))


def test_recently_updated_reads_by_updated_down_to_the_bound() -> None:
    plan = _plan({"field": "updated_at", "operator": "less_than", "value": 24})
    assert (plan.index, plan.since, plan.narrowed_by) == ("by_updated", NOW - timedelta(hours=24),
                                                          ("hours_since_update",))


def test_nothing_narrowing_is_a_bounded_read_of_the_latest_updates() -> None:
    plan = _plan({"field": "priority", "operator": "is", "value": "urgent"})
    assert (plan.index, plan.since, plan.limit, plan.bounded) == ("by_updated", None, UNNARROWED_READ_LIMIT, True)
    any_only = read_plan(validate_conditions({"any": [{"field": "status", "operator": "is", "value": "new"}]}),
                         3, NOW)
    assert any_only.index == "by_updated" and any_only.bounded  # conditions in any only filter


def test_the_defaults_are_zendesks_six_views() -> None:
    views = default_views(10, "2026-11-23T09:00:00Z")
    assert [v.id for v in views] == list(range(10, 16)) and all(v.default for v in views)
    assert [v.position for v in views] == [1, 2, 3, 4, 5, 6]
    assert View.from_doc(views[0].to_doc()) == views[0]


@pytest.mark.parametrize("conditions, reason", [
    ({"all": []}, "at least one condition"),
    ({"all": [{"field": "requester.custom_fields.plan", "operator": "is", "value": "x"}]}, "not available in views"),
    ({"all": [{"field": "status", "operator": "changed"}]}, "about an update"),
    ({"none": []}, "unknown key"),
])
def test_conditions_a_view_cannot_have(conditions: dict[str, Any], reason: str) -> None:
    with pytest.raises(InvalidRule, match=reason):
        validate_conditions(conditions)


TICKETS = st.fixed_dictionaries({
    "status": st.sampled_from(STATUSES), "assignee_id": st.sampled_from([None, 3, 4]),
    "priority": st.sampled_from([None, "low", "urgent"]),
    "updated_hours_ago": st.integers(0, 400), "status_hours_ago": st.integers(0, 400),
})
CONDITIONS = st.lists(st.sampled_from([
    {"field": "status", "operator": op, "value": value}
    for op in ("is", "is_not", "less_than", "greater_than") for value in STATUSES
] + [
    {"field": "assignee_id", "operator": "is", "value": value} for value in ("current_user", "", 4)
] + [
    {"field": "hours_since_update", "operator": "less_than", "value": 24},
    {"field": "hours_since_solved", "operator": "less_than", "value": 168},
    {"field": "hours_since_pending", "operator": "less_than", "value": 48},
    {"field": "priority", "operator": "is", "value": "urgent"},
]), min_size=1, max_size=4)


@settings(max_examples=300, deadline=None)
@given(st.lists(TICKETS, max_size=12), CONDITIONS)
def test_the_read_never_leaves_out_a_ticket_the_view_lists(tickets: list[dict[str, Any]],
                                                            every: list[dict[str, Any]]) -> None:
    conditions = validate_conditions({"all": every})
    plan = read_plan(conditions, 3, NOW)
    ctx = UpdateContext(update_type="Change", via="api", actor_role="agent", actor_id=3)
    for spec in tickets:
        updated = NOW - timedelta(hours=spec["updated_hours_ago"])
        status_set = min(updated, NOW - timedelta(hours=spec["status_hours_ago"]))
        ticket = {"status": spec["status"], "assignee_id": spec["assignee_id"], "priority": spec["priority"],
                  "updated_at": updated.isoformat(), "status_updated_at": status_set.isoformat(),
                  "created_at": (NOW - timedelta(days=30)).isoformat()}
        clocks = automations.Clocks(NOW)
        if not all(automations.holds(c, ticket, ctx, clocks) for c in conditions["all"]):
            continue
        read = ticket["status"] in plan.statuses
        if plan.index == "by_assignee":
            read = read and ticket["assignee_id"] == plan.assignee_id
        elif plan.index == "by_updated" and plan.since is not None:
            read = read and updated > plan.since
        elif plan.index == "by_status" and plan.since is not None:
            read = read and status_set > plan.since
        assert read, (ticket, conditions, plan)
