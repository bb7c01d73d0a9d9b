"""Freshdesk-style rule sets: first-match and all-match on create, events and performers on update."""

from __future__ import annotations

from typing import Any

import pytest

from helpdesk.domain.errors import InvalidRule
from helpdesk.domain.rule_context import UpdateContext
from helpdesk.domain.rule_sets import RuleSet, evaluate_rule_sets

CREATE = UpdateContext(update_type="Create", via="email", actor_role="end-user", actor_id=5)
TICKET = {"id": 1, "status": "new", "priority": None, "tags": [], "requester_id": 5, "subject": "Refund please",
          "group_id": None, "assignee_id": None, "custom_fields": {}}


def rule(title: str, conditions: list[dict[str, Any]], actions: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"title": title, "conditions": {"all": conditions, "any": []}, "actions": actions, **extra}


def rule_set(id: int, kind: str, rules: list[dict[str, Any]], **extra: Any) -> RuleSet:
    return RuleSet.from_api({"title": f"set {id}", "type": kind, "rules": rules, **extra}, id=id, now_iso="")


REFUND = {"field": "subject_includes_word", "operator": "includes", "value": "refund"}
ROUTING = [rule("refunds", [REFUND], [{"field": "group_id", "value": 10}, {"field": "current_tags", "value": "r"}]),
           rule("everything", [], [{"field": "group_id", "value": 20}, {"field": "current_tags", "value": "e"}])]


def test_first_match_runs_only_the_first_matching_rule() -> None:
    run = evaluate_rule_sets([rule_set(1, "on_create", ROUTING, match="first")], TICKET, CREATE)
    assert run.fired == [(1, 0)] and run.ticket["group_id"] == 10 and run.ticket["tags"] == ["r"]
    assert run.changes["group_id"] == (None, 10)


def test_all_match_runs_every_matching_rule_in_order() -> None:
    run = evaluate_rule_sets([rule_set(1, "on_create", ROUTING, match="all")], TICKET, CREATE)
    assert run.fired == [(1, 0), (1, 1)] and run.ticket["group_id"] == 20 and run.ticket["tags"] == ["r", "e"]


def test_sets_of_the_other_kind_and_closed_tickets_are_left_alone() -> None:
    update = UpdateContext(update_type="Change", via="web", actor_role="agent", actor_id=9, previous=TICKET)
    assert evaluate_rule_sets([rule_set(1, "on_create", ROUTING)], TICKET, update).fired == []
    assert evaluate_rule_sets([rule_set(1, "on_create", ROUTING)], {**TICKET, "status": "closed"}, CREATE).fired == []


ESCALATE = rule("escalate", [], [{"field": "priority", "value": "high"}], performer="requester",
                events=[{"name": "requester_replied"}])
PENDING = rule("waiting", [], [{"field": "current_tags", "value": "waiting"}], performer="agent",
               events=[{"name": "status_changed", "from": "open", "to": "pending"}])
NOTE = rule("note", [], [{"field": "current_tags", "value": "noted"}], events=["note_added"])
RATING = rule("bad", [], [{"field": "status", "value": "open"}], performer="any",
              events=[{"name": "rating_received", "to": "bad"}])


def change(actor_role: str, actor_id: int, comment: dict[str, Any] | None = None,
           **before: Any) -> tuple[UpdateContext, dict[str, Any]]:
    previous = {**TICKET, "status": "open", **before}
    return UpdateContext(update_type="Change", via="web", actor_role=actor_role, actor_id=actor_id,
                         comment=comment, previous=previous), previous


@pytest.mark.parametrize(("ctx_ticket", "detail", "fired"), [
    (change("end-user", 5, {"body": "hello?", "public": True}), {}, [(2, 0)]),
    (change("agent", 9, {"body": "on it", "public": True}), {}, []),
    (change("agent", 9, {"body": "internal", "public": False}), {}, [(2, 2)]),
    (change("agent", 9), {"changes": {"status": {"from": "open", "to": "pending"}}}, [(2, 1)]),
    (change("end-user", 5), {"changes": {"status": {"from": "open", "to": "pending"}}}, []),
    (change("agent", 9), {"changes": {"status": {"from": "new", "to": "pending"}}}, []),
    (change("end-user", 5), {"changes": {"satisfaction_score": {"from": "offered", "to": "bad"}}}, [(2, 3)]),
    (change("end-user", 5), {"changes": {"satisfaction_score": {"from": "offered", "to": "good"}}}, []),
])
def test_update_rules_need_their_event_and_performer(ctx_ticket: tuple[UpdateContext, dict[str, Any]],
                                                     detail: dict[str, Any], fired: list[tuple[int, int]]) -> None:
    ctx, ticket = ctx_ticket
    sets = [rule_set(2, "on_update", [ESCALATE, PENDING, NOTE, RATING])]
    assert evaluate_rule_sets(sets, ticket, ctx, detail).fired == fired


def test_events_fall_back_to_the_previous_snapshot() -> None:
    ctx, before = change("agent", 9)
    after = {**before, "status": "pending"}
    assert evaluate_rule_sets([rule_set(2, "on_update", [PENDING])], after, ctx).fired == [(2, 0)]


@pytest.mark.parametrize(("body", "reason"), [
    ({"type": "sometimes", "rules": ROUTING}, "type"),
    ({"type": "on_create", "match": "most", "rules": ROUTING}, "match"),
    ({"type": "on_create", "rules": []}, "rules"),
    ({"type": "on_update", "rules": [rule("x", [], [{"field": "priority", "value": "high"}])]}, "events"),
    ({"type": "on_update", "rules": [{**ESCALATE, "performer": "robot"}]}, "performer"),
    ({"type": "on_update", "rules": [{**ESCALATE, "events": [{"name": "moon_phase"}]}]}, "event"),
    ({"type": "on_create", "rules": [ESCALATE]}, "on_update"),
    ({"type": "on_create", "rules": [rule("x", [{"field": "nope", "operator": "is", "value": 1}],
                                          [{"field": "priority", "value": "high"}])]}, "unknown condition"),
])
def test_invalid_rule_sets_are_refused(body: dict[str, Any], reason: str) -> None:
    with pytest.raises(InvalidRule, match=reason):
        RuleSet.from_api({"title": "set", **body}, id=1, now_iso="")


def test_rule_sets_round_trip() -> None:
    stored = rule_set(3, "on_update", [ESCALATE, PENDING], position=4)
    assert RuleSet.from_doc(stored.to_api()) == stored
