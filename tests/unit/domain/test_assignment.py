"""Choosing an agent within a group: round robin, load-based with capacity, skills, language, availability."""

from __future__ import annotations

import pytest

from helpdesk.domain.assignment import OPEN_STATUSES, choose, needs_load, needs_of, qualified
from helpdesk.domain.errors import InvalidRule
from helpdesk.domain.groups import AssignmentSettings, Group, GroupMembership
from helpdesk.domain.tickets import STATUSES


def member(user_id: int, **fields: object) -> GroupMembership:
    return GroupMembership(id=user_id * 10, user_id=user_id, group_id=1, **fields)  # type: ignore[arg-type]


def round_robin(members: list[GroupMembership], times: int, loads: dict[int, int] | None = None) -> list[int]:
    chosen: list[int] = []
    last = None
    for _ in range(times):
        agent = choose("round_robin", members, loads or {}, last)
        assert agent is not None
        chosen.append(agent)
        last = agent
    return chosen


def test_round_robin_takes_agents_in_turn_and_wraps_around() -> None:
    members = [member(7), member(3), member(5)]
    assert round_robin(qualified(members, needs_of([], "en-US")), 7) == [3, 5, 7, 3, 5, 7, 3]


def test_round_robin_skips_agents_at_capacity_without_queueing_them() -> None:
    members = [member(1, capacity=2), member(2, capacity=0), member(3)]
    assert round_robin(members, 4, loads={1: 0, 2: 0, 3: 9}) == [1, 3, 1, 3]
    assert choose("round_robin", members, {1: 2, 2: 0}, last_assigned=1) == 3


def test_load_based_picks_the_least_loaded_agent_under_capacity() -> None:
    members = [member(1, capacity=3), member(2, capacity=5), member(3, capacity=2)]
    assert choose("load_based", members, {1: 1, 2: 4, 3: 0}) == 3
    assert choose("load_based", members, {1: 1, 2: 1, 3: 2}) == 1  # 3 is full; a tie goes to the lower id
    assert choose("load_based", members, {1: 3, 2: 5, 3: 2}) is None


def test_only_compared_loads_are_counted() -> None:
    assert needs_load("load_based", member(1)) and needs_load("round_robin", member(1, capacity=4))
    assert not needs_load("round_robin", member(1))


def test_skills_come_from_skill_tags_and_every_one_is_required() -> None:
    members = [member(1, skills=("billing",)), member(2, skills=("billing", "refunds")), member(3)]
    assert [m.user_id for m in qualified(members, needs_of(["skill_billing", "vip"], None))] == [1, 2]
    assert [m.user_id for m in qualified(members, needs_of(["skill_billing", "SKILL_Refunds"], None))] == [2]
    assert [m.user_id for m in qualified(members, needs_of(["vip"], None))] == [1, 2, 3]


def test_language_is_the_requester_locale_prefix_and_no_languages_means_any() -> None:
    members = [member(1, languages=("de",)), member(2, languages=("en", "fr")), member(3)]
    assert [m.user_id for m in qualified(members, needs_of([], "de-CH"))] == [1, 3]
    assert [m.user_id for m in qualified(members, needs_of([], "fr"))] == [2, 3]
    assert [m.user_id for m in qualified(members, needs_of([], "ja-JP"))] == [3]


def test_unavailable_agents_are_skipped() -> None:
    members = [member(1, available=False), member(2), member(3, available=False)]
    assert [m.user_id for m in qualified(members, needs_of([], "en"))] == [2]
    assert round_robin(qualified(members, needs_of([], "en")), 2) == [2, 2]


def test_nobody_eligible_gives_none() -> None:
    needs = needs_of(["skill_legal"], "en-US")
    assert choose("round_robin", qualified([member(1), member(2, available=False)], needs), {}) is None
    assert choose("load_based", [], {}) is None
    assert choose("none", [member(1)], {}) is None


def test_open_statuses_sort_together_so_one_range_query_counts_them() -> None:
    low, high = min(OPEN_STATUSES), max(OPEN_STATUSES)
    assert sorted(s for s in STATUSES if low <= s <= high) == sorted(OPEN_STATUSES)


def test_group_assignment_settings_are_validated() -> None:
    group = Group.from_api({"group": {"name": " Tier 2 ", "assignment": {"mode": "load_based",
                                                                          "unassigned_limit_minutes": 30,
                                                                          "manager_id": "12"}}},
                           id=4, now_iso="2026-11-23T09:00:00Z")
    assert group.name == "Tier 2"
    assert group.assignment == AssignmentSettings("load_based", 30, 12)
    renamed = Group.from_api({"name": "Tier 3"}, id=4, now_iso="later", existing=group)
    assert renamed.assignment == group.assignment and renamed.created_at == group.created_at
    for bad in ({"name": ""}, {"name": "x", "assignment": {"mode": "random"}},
                {"name": "x", "assignment": {"unassigned_limit_minutes": 0}},
                {"name": "x", "assignment": {"manager_id": "boss"}}):
        with pytest.raises(InvalidRule):
            Group.from_api(bad, id=1, now_iso="now")


def test_membership_fields_are_validated_and_normalised() -> None:
    made = GroupMembership.from_api({"group_membership": {"user_id": 3, "group_id": 4, "capacity": 5,
                                                          "skills": ["Billing", "billing"],
                                                          "languages": ["pt-BR", "en"]}}, id=9, now_iso="now")
    assert (made.skills, made.languages, made.available) == (("billing",), ("pt", "en"), True)
    off = GroupMembership.from_api({"available": False}, id=9, now_iso="later", existing=made)
    assert off.available is False and off.capacity == 5 and off.user_id == 3
    for bad in ({"group_id": 4}, {"user_id": 3, "group_id": 4, "capacity": -1},
                {"user_id": 3, "group_id": 4, "languages": ["e1"]}, {"user_id": 3, "group_id": 4, "available": 1}):
        with pytest.raises(InvalidRule):
            GroupMembership.from_api(bad, id=1, now_iso="now")
