"""Trigger conditions: every field and operator, and the reasons invalid ones are refused."""

from __future__ import annotations

from typing import Any

import pytest

from helpdesk.domain.conditions import holds, matches, validate_conditions
from helpdesk.domain.errors import InvalidRule
from helpdesk.domain.triggers import UpdateContext

REQUESTER = {
    "id": 7,
    "email": "ana@example.com",
    "name": "Ana Ruiz",
    "role": "end-user",
    "locale": "es-419",
    "user_fields": {"customer_kind": "shopper", "vip": True},
}


def ticket(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 42,
        "subject": "Refund for order 1234",
        "description": "Please refund me",
        "status": "open",
        "priority": "normal",
        "type": "question",
        "tags": ["vip", "billing"],
        "group_id": 10,
        "assignee_id": 5,
        "requester_id": 7,
        "organization_id": 3,
        "brand_id": 1,
        "via": "email",
        "custom_fields": {"360": "gold", "361": True},
        "satisfaction_score": "unoffered",
        "created_at": "2024-05-01T10:00:00Z",
        "updated_at": "2024-05-01T10:00:00Z",
    }
    return base | fields


def context(**fields: Any) -> UpdateContext:
    base: dict[str, Any] = {
        "update_type": "Change",
        "via": "web",
        "actor_role": "agent",
        "actor_id": 5,
        "comment": {"body": "We have issued the Refund, thanks!", "public": True, "author_id": 5},
        "previous": ticket(status="new", priority="low", assignee_id=None),
        "requester": REQUESTER,
    }
    return UpdateContext(**(base | fields))


def check(field: str, operator: str, value: Any = None, t: dict[str, Any] | None = None, **ctx: Any) -> bool:
    return holds({"field": field, "operator": operator, "value": value}, t or ticket(), context(**ctx))


@pytest.mark.parametrize(
    ("field", "operator", "value", "expected"),
    [
        ("status", "is", "open", True),
        ("status", "is_not", "open", False),
        ("status", "less_than", "solved", True),
        ("status", "less_than", "open", False),
        ("status", "greater_than", "new", True),
        ("status", "greater_than", "pending", False),
        ("status", "changed", None, True),
        ("status", "not_changed", None, False),
        ("status", "value", "open", True),
        ("status", "value", "pending", False),
        ("status", "not_value", "open", False),
        ("status", "value_previous", "new", True),
        ("status", "value_previous", "open", False),
        ("status", "not_value_previous", "new", False),
        ("priority", "is", "normal", True),
        ("priority", "less_than", "high", True),
        ("priority", "less_than", "normal", False),
        ("priority", "greater_than", "low", True),
        ("priority", "greater_than", "urgent", False),
        ("priority", "value", "normal", True),
        ("priority", "value_previous", "low", True),
        ("priority", "is", "", False),
        ("type", "is", "question", True),
        ("type", "is_not", "incident", True),
        ("type", "not_changed", None, True),
        ("ticket_type_id", "is", 1, True),
        ("satisfaction_score", "is", "unoffered", True),
        ("satisfaction_score", "is_not", "good", True),
        ("group_id", "is", 10, True),
        ("group_id", "is", "10", True),
        ("group_id", "is_not", "", True),
        ("group_id", "not_changed", None, True),
        ("assignee_id", "is", "current_user", True),
        ("assignee_id", "is", "", False),
        ("assignee_id", "changed", None, True),
        ("assignee_id", "value_previous", "", True),
        ("assignee_id", "value", 5, True),
        ("requester_id", "is", 7, True),
        ("requester_id", "is_not", "current_user", True),
        ("requester_id", "is", "assignee_id", False),
        ("organization_id", "is", 3, True),
        ("brand_id", "is_not", 1, False),
        ("current_tags", "includes", "vip gold", True),
        ("current_tags", "includes", "gold silver", False),
        ("current_tags", "not_includes", "gold silver", True),
        ("current_tags", "not_includes", "gold BILLING", False),
        ("via_id", "is", 4, True),
        ("via_id", "is", "email", True),
        ("via_id", "is_not", 0, True),
        ("current_via_id", "is", 0, True),
        ("current_via_id", "is", "web_form", True),
        ("current_via_id", "is_not", "api", True),
        ("update_type", "is", "Change", True),
        ("update_type", "is", "create", False),
        ("update_type", "is_not", "Create", True),
        ("comment_includes_word", "includes", "refund invoice", True),
        ("comment_includes_word", "includes", "ref fund", False),
        ("comment_includes_word", "includes", '"issued the refund"', True),
        ("comment_includes_word", "not_includes", "invoice cancel", True),
        ("comment_includes_word", "not_includes", "thanks", False),
        ("comment_includes_word", "is", "the refund", True),
        ("comment_includes_word", "is_not", "the refund", False),
        ("subject_includes_word", "includes", "ORDER", True),
        ("subject_includes_word", "includes", "orders", False),
        ("subject_includes_word", "not_includes", "urgent", True),
        ("subject_includes_word", "is", "order 12", True),
        ("comment_is_public", "is", "true", True),
        ("comment_is_public", "is", True, True),
        ("comment_is_public", "is", "false", False),
        ("comment_is_public", "is", "not_relevant", True),
        ("comment_is_public", "is", "requester_can_see_comment", True),
        ("comment_is_public", "is_not", "requester_can_see_comment", False),
        ("role", "is", "agent", True),
        ("role", "is", "end_user", False),
        ("role", "is_not", "admin", True),
        ("requester_role", "is", "end_user", True),
        ("requester_role", "is", 0, True),
        ("requester_role", "is_not", "agent", True),
        ("requester_locale", "is", "es", True),
        ("requester_locale", "is", "es-419", True),
        ("requester_locale", "is", "en", False),
        ("requester_locale", "is_not", "pt-BR", True),
        ("custom_fields_360", "is", "gold", True),
        ("custom_fields_360", "is_not", "silver", True),
        ("custom_fields_361", "is", "true", True),
        ("custom_fields_360", "present", None, True),
        ("custom_fields_999", "not_present", None, True),
        ("custom_fields_999", "present", None, False),
        ("custom_fields_360", "not_changed", None, True),
        ("ticket_fields_360", "is", "gold", True),
        ("requester.custom_fields.customer_kind", "is", "shopper", True),
        ("requester_field_customer_kind", "is_not", "customer", True),
        ("requester.custom_fields.vip", "is", "true", True),
        ("requester.custom_fields.missing", "not_present", None, True),
    ],
)
def test_condition(field: str, operator: str, value: Any, expected: bool) -> None:
    assert check(field, operator, value) is expected


def test_unset_priority_ranks_below_low() -> None:
    assert check("priority", "less_than", "low", ticket(priority=None))
    assert check("priority", "is", "", ticket(priority=None))


def test_on_create_every_non_empty_field_has_changed_from_nothing() -> None:
    t = ticket(priority=None)
    assert check("status", "changed", None, t, update_type="Create", previous=None)
    assert check("type", "value_previous", "", t, update_type="Create", previous=None)
    assert not check("priority", "changed", None, t, update_type="Create", previous=None)
    assert check("custom_fields_360", "value", "gold", t, update_type="Create", previous=None)


def test_comment_conditions_without_a_comment() -> None:
    assert not check("comment_is_public", "is", "not_relevant", comment=None)
    assert not check("comment_is_public", "is", "false", comment=None)
    assert not check("comment_includes_word", "includes", "refund", comment=None)
    assert check("comment_includes_word", "not_includes", "refund", comment=None)


def test_private_comment_is_not_seen_by_the_requester() -> None:
    private = {"body": "internal", "public": False, "author_id": 5}
    assert check("comment_is_public", "is", "false", comment=private)
    assert not check("comment_is_public", "is", "requester_can_see_comment", comment=private)
    assert check("comment_is_public", "is", "not_relevant", comment=private)


def test_admins_count_as_agents_but_not_the_reverse() -> None:
    assert check("role", "is", "agent", actor_role="admin")
    assert not check("role", "is", "admin", actor_role="agent")
    assert check("role", "is", "end_user", actor_role="end-user")


def test_via_accepts_zendesk_via_objects() -> None:
    assert check("via_id", "is", 5, ticket(via={"channel": "api", "source": {}}))


def test_matches_needs_all_and_one_of_any() -> None:
    t, ctx = ticket(), context()
    yes = {"field": "status", "operator": "is", "value": "open"}
    no = {"field": "status", "operator": "is", "value": "solved"}
    assert matches({"all": [yes], "any": []}, t, ctx)
    assert matches({"all": [yes], "any": [no, yes]}, t, ctx)
    assert not matches({"all": [yes], "any": [no]}, t, ctx)
    assert not matches({"all": [yes, no], "any": []}, t, ctx)
    assert matches({"all": [], "any": []}, t, ctx)


def test_validate_normalises() -> None:
    result = validate_conditions(
        {
            "all": [
                {"field": "via_id", "operator": "is", "value": "email"},
                {"field": "group_id", "operator": "is", "value": "10"},
                {"field": "update_type", "operator": "is", "value": "change"},
                {"field": "status", "operator": "changed", "value": "ignored"},
                {"field": "ticket_type_id", "operator": "is", "value": "2"},
                {"field": "requester_field_kind", "operator": "is", "value": "shopper"},
                {"field": "current_tags", "operator": "includes", "value": ["a", "b c"]},
            ]
        }
    )
    assert result == {
        "all": [
            {"field": "via_id", "operator": "is", "value": 4},
            {"field": "group_id", "operator": "is", "value": 10},
            {"field": "update_type", "operator": "is", "value": "Change"},
            {"field": "status", "operator": "changed", "value": None},
            {"field": "type", "operator": "is", "value": "incident"},
            {"field": "requester.custom_fields.kind", "operator": "is", "value": "shopper"},
            {"field": "current_tags", "operator": "includes", "value": "a b c"},
        ],
        "any": [],
    }


def one(field: str, operator: str, value: Any) -> dict[str, Any]:
    return {"all": [{"field": field, "operator": operator, "value": value}]}


@pytest.mark.parametrize(
    ("conditions", "reason"),
    [
        ([], "must be an object"),
        ({"all": [], "none": []}, "unknown key(s) 'none'"),
        ({"all": {}}, "conditions.all must be a list"),
        ({"all": ["status"]}, "conditions.all[0]: a condition is an object"),
        (
            {"any": [{"field": "colour", "operator": "is", "value": "red"}]},
            "unknown condition field 'colour'",
        ),
        (
            {"all": [{"field": "status", "operator": "includes", "value": "open"}]},
            "operator 'includes' is not valid",
        ),
        (one("status", "is", "done"), "'done' is not one of new"),
        (one("status", "is", ""), "a value is required"),
        (one("priority", "is", "critical"), "priority is"),
        (one("group_id", "is", "support"), "'support' is not an id"),
        (one("group_id", "is", True), "is not an id"),
        (one("via_id", "is", "pigeon"), "not a channel"),
        (one("update_type", "is", "Delete"), "create, change"),
        (one("current_tags", "includes", "  "), "at least one tag"),
        (
            {"all": [{"field": "comment_includes_word", "operator": "includes", "value": ""}]},
            "non-empty text",
        ),
        (
            {"all": [{"field": "comment_is_public", "operator": "is", "value": "maybe"}]},
            "'maybe' is not one of",
        ),
        (one("role", "is", "owner"), "end_user, agent, admin"),
        (one("custom_fields_1", "is", {"a": 1}), "must be a string"),
        (one("custom_fields_x", "is", "a"), "unknown condition field"),
        (one("current_tags", "changed", None), "use includes, not_includes"),
    ],
)
def test_validate_refuses_with_a_reason(conditions: Any, reason: str) -> None:
    with pytest.raises(InvalidRule) as error:
        validate_conditions(conditions)
    assert reason in str(error.value)


def test_matches_refuses_unknown_fields_too() -> None:
    with pytest.raises(InvalidRule, match="unknown condition field"):
        matches(one("nope", "is", 1), ticket(), context())


@pytest.mark.parametrize(("condition", "expected"), [
    ({"field": "recipient", "operator": "is", "value": "Sellers@Shop.example"}, True),
    ({"field": "recipient", "operator": "is_not", "value": "sellers@shop.example"}, False),
    ({"field": "recipient", "operator": "is", "value": "support@shop.example"}, False),
    ({"field": "description_includes_word", "operator": "includes", "value": "refund money"}, True),
    ({"field": "description_includes_word", "operator": "not_includes", "value": "refund"}, False),
    ({"field": "description_includes_word", "operator": "is", "value": "please refund"}, True),
    ({"field": "description_includes_word", "operator": "is_not", "value": "cancel"}, True),
])
def test_received_at_and_description_text(condition: dict[str, Any], expected: bool) -> None:
    """Zendesk's "Ticket: Received at" (``recipient``) and "Ticket: Description" conditions."""
    snapshot = ticket(recipient="sellers@shop.example")
    assert matches({"all": [condition], "any": []}, snapshot, context()) is expected


def test_received_at_is_false_for_a_ticket_that_came_in_through_the_api() -> None:
    condition = {"field": "recipient", "operator": "is", "value": "sellers@shop.example"}
    assert matches({"all": [condition], "any": []}, ticket(recipient=None), context()) is False


@pytest.mark.parametrize(("value", "comment", "operator", "expected"), [
    ("bad", "", "is", True), ("bad", "Too slow", "is", True),  # "bad" is every bad rating
    ("badwithcomment", "Too slow", "is", True), ("badwithcomment", "", "is", False),
    ("badwithcomment", "", "is_not", True), ("goodwithcomment", "Too slow", "is", False),
    ("badwithcomment", "Too slow", "value", True),  # changed to a bad rating with a comment in this update
    ("offered", "Too slow", "value_previous", True), ("bad", "", "not_value", False),
])
def test_satisfaction_with_and_without_comment(value: str, comment: str, operator: str, expected: bool) -> None:
    rated = ticket(satisfaction_score="bad", satisfaction_comment=comment)
    before = ticket(satisfaction_score="offered", satisfaction_comment="")
    condition = {"field": "satisfaction_score", "operator": operator, "value": value}
    assert matches({"all": [condition], "any": []}, rated, context(previous=before)) is expected


def test_satisfaction_values_are_checked() -> None:
    with pytest.raises(InvalidRule, match="satisfaction_score"):
        validate_conditions({"all": [{"field": "satisfaction_score", "operator": "is", "value": "meh"}], "any": []})
