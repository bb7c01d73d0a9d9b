"""Conditions on counts (reopens, replies, unanswered requester comments), organization fields and business hours."""

from __future__ import annotations

from typing import Any

import pytest

from helpdesk.domain.conditions import holds, validate_conditions
from helpdesk.domain.errors import InvalidRule
from helpdesk.domain.triggers import UpdateContext

TICKET = {"id": 1, "status": "open", "reopens": 2, "replies": 0, "unanswered_requester_comments": 3}


def _ctx(**extra: Any) -> UpdateContext:
    return UpdateContext(update_type="Change", via="email", actor_role="end-user", actor_id=7, **extra)


@pytest.mark.parametrize(("field", "operator", "value", "expected"), [
    ("reopens", "is", 2, True),
    ("reopens", "is", "2", True),
    ("reopens", "is_not", 2, False),
    ("reopens", "greater_than", 1, True),
    ("reopens", "greater_than", 2, False),
    ("reopens", "less_than", 3, True),
    ("replies", "is", 0, True),
    ("replies", "less_than", 1, True),
    ("replies", "greater_than", 0, False),
    ("unanswered_requester_comments", "greater_than", 1, True),
    ("requester_unanswered_comments", "is", 3, True),
    ("unanswered_requester_comments", "less_than", 3, False),
])
def test_counts(field: str, operator: str, value: Any, expected: bool) -> None:
    assert holds({"field": field, "operator": operator, "value": value}, TICKET, _ctx()) is expected


def test_missing_counts_are_zero() -> None:
    assert holds({"field": "reopens", "operator": "is", "value": 0}, {"id": 1}, _ctx())


@pytest.mark.parametrize("value", [-1, "two", 1.5, True, None, ""])
def test_counts_must_be_whole_numbers(value: Any) -> None:
    with pytest.raises(InvalidRule, match="reopens"):
        validate_conditions({"all": [{"field": "reopens", "operator": "is", "value": value}]})


def test_counts_have_no_change_operators() -> None:
    with pytest.raises(InvalidRule, match="operator 'changed'"):
        validate_conditions({"all": [{"field": "replies", "operator": "changed"}]})


ORG = {"id": 5, "name": "Acme", "organization_fields": {"tier": "Gold", "seats": 40, "partner": True}}


@pytest.mark.parametrize(("field", "operator", "value", "expected"), [
    ("organization.custom_fields.tier", "is", "gold", True),
    ("organization_field_tier", "is_not", "silver", True),
    ("organization.custom_fields.seats", "is", "40", True),
    ("organization.custom_fields.partner", "is", "true", True),
    ("organization.custom_fields.region", "not_present", None, True),
    ("organization.custom_fields.tier", "present", None, True),
])
def test_organization_fields(field: str, operator: str, value: Any, expected: bool) -> None:
    condition = {"field": field, "operator": operator, "value": value}
    assert holds(condition, TICKET, _ctx(organization=ORG)) is expected


def test_organization_fields_without_an_organization_are_absent() -> None:
    assert not holds({"field": "organization_field_tier", "operator": "is", "value": "gold"}, TICKET, _ctx())
    assert holds({"field": "organization_field_tier", "operator": "not_present"}, TICKET, _ctx())
    normalised = validate_conditions({"all": [{"field": "organization_field_tier", "operator": "is", "value": "x"}]})
    assert normalised["all"][0]["field"] == "organization.custom_fields.tier"


@pytest.mark.parametrize(("known", "value", "expected"), [
    (True, True, True), (True, "false", False), (False, "false", True), (False, True, False),
    (None, True, False), (None, False, False),  # unknown is never a match
])
def test_within_business_hours(known: bool | None, value: Any, expected: bool) -> None:
    condition = {"field": "within_business_hours", "operator": "is", "value": value}
    assert holds(condition, TICKET, _ctx(in_business_hours=known)) is expected


def test_within_business_hours_takes_only_true_or_false() -> None:
    with pytest.raises(InvalidRule):
        validate_conditions({"all": [{"field": "within_business_hours", "operator": "is", "value": "maybe"}]})
    with pytest.raises(InvalidRule):
        validate_conditions({"all": [{"field": "within_business_hours", "operator": "is_not", "value": True}]})
