"""What the trigger API's definitions endpoint lists: the condition fields, operators and actions the engine
supports, in Zendesk's shape (``{"actions": [...], "conditions_all": [...], "conditions_any": [...]}``, each
item with ``subject``, ``title``, ``type``, ``group``, ``nullable``, ``repeatable``, ``operators`` and
``values``). Built from the engine's own tables, so it cannot list what the engine does not do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from helpdesk.domain import rule_values as rv
from helpdesk.domain.conditions import VALUELESS, supported_fields

OPERATOR_TITLES = {
    "is": "Is", "is_not": "Is not", "less_than": "Less than", "greater_than": "Greater than",
    "changed": "Changed", "not_changed": "Not changed", "value": "Changed to", "not_value": "Not changed to",
    "value_previous": "Changed from", "not_value_previous": "Not changed from",
    "includes": "Contains at least one of the following", "not_includes": "Contains none of the following",
    "present": "Present", "not_present": "Not present",
}
TITLES = {
    "status": "Status", "priority": "Priority", "type": "Type", "satisfaction_score": "Satisfaction",
    "group_id": "Group", "organization_id": "Organization", "brand_id": "Brand", "assignee_id": "Assignee",
    "requester_id": "Requester", "current_tags": "Tags", "via_id": "Channel", "current_via_id": "Update via",
    "update_type": "Ticket is", "comment_includes_word": "Comment text", "subject_includes_word": "Subject text",
    "description_includes_word": "Description text", "recipient": "Received at",
    "comment_is_public": "Comment is", "role": "Current user", "requester_role": "Requester role",
    "requester_locale": "Requester language", "reopens": "Reopens", "replies": "Agent replies",
    "unanswered_requester_comments": "Requester comments without an answer",
    "within_business_hours": "Within business hours", "set_tags": "Set tags", "remove_tags": "Remove tags",
    "notification_user": "Email user", "notification_group": "Email group",
    "notification_webhook": "Notify active webhook", "cc": "Add CC",
}
GROUPS = {"requester_role": "requester", "requester_locale": "requester", "role": "user",
          "within_business_hours": "other", "notification_user": "notification",
          "notification_group": "notification", "notification_webhook": "notification"}
TEXT = ("current_tags", "comment_includes_word", "subject_includes_word", "description_includes_word", "recipient",
        "requester_locale", "set_tags",
        "remove_tags")
NUMBERS = ("reopens", "replies", "unanswered_requester_comments", "group_id", "organization_id", "brand_id",
           "assignee_id", "requester_id")
NULLABLE = ("priority", "type", "group_id", "organization_id", "brand_id", "assignee_id")


def _values(names: Iterable[Any]) -> list[dict[str, Any]]:
    return [{"value": name, "title": str(name).replace("_", " ").capitalize() if name else "-", "enabled": True}
            for name in names]


def _condition_values(field: str) -> list[dict[str, Any]]:
    lists: dict[str, Iterable[Any]] = {
        "status": rv.STATUSES, "priority": ("", *rv.PRIORITIES), "type": ("", *rv.TYPES),
        "satisfaction_score": rv.SATISFACTION_CONDITION_VALUES, "update_type": ("Create", "Change"),
        "comment_is_public": ("true", "false", "not_relevant", "requester_can_see_comment"),
        "role": ("end_user", "agent", "admin"), "requester_role": ("end_user", "agent", "admin"),
        "within_business_hours": ("true", "false"), "assignee_id": ("", "current_user"),
        "requester_id": ("current_user", "assignee_id"),
    }
    if field in ("via_id", "current_via_id"):
        seen: dict[int, str] = {}
        for name, number in rv.VIA_IDS.items():
            seen.setdefault(number, name)
        return [{"value": n, "title": t.replace("_", " ").capitalize(), "enabled": True} for n, t in seen.items()]
    return _values(lists.get(field, ()))


def _kind(field: str, values: Sequence[Any]) -> str:
    if field in TEXT:
        return "text"
    if field in NUMBERS and not values:
        return "integer" if field in ("reopens", "replies", "unanswered_requester_comments") else "autocomplete"
    return "list" if values else "text"


def conditions() -> list[dict[str, Any]]:
    found = []
    for field, operators in supported_fields().items():
        values = _condition_values(field)
        found.append({
            "subject": field, "title": TITLES.get(field, field), "type": _kind(field, values),
            "group": GROUPS.get(field, "ticket"), "nullable": field in NULLABLE, "repeatable": False,
            "operators": [{"value": op, "title": OPERATOR_TITLES[op], "terminal": op in VALUELESS}
                          for op in operators],
            "values": values,
        })
    return found


def actions(webhooks: Sequence[tuple[int, str]] = ()) -> list[dict[str, Any]]:
    """The actions; ``webhooks`` are the active webhooks (id, name) a trigger may call."""
    listed: dict[str, tuple[str, list[dict[str, Any]]]] = {
        "status": ("list", _values(s for s in rv.STATUSES if s not in ("new", "closed"))),
        "priority": ("list", _values(("", *rv.PRIORITIES))),
        "type": ("list", _values(("", *rv.TYPES))),
        "group_id": ("autocomplete", []),
        "brand_id": ("autocomplete", []),
        "assignee_id": ("autocomplete", _values(("", "current_user"))),
        "cc": ("autocomplete", _values(("current_user",))),
        "set_tags": ("text", []), "current_tags": ("text", []), "remove_tags": ("text", []),
        "satisfaction_score": ("list", [{"value": "offered_to_requester", "title": "Offered to requester",
                                         "enabled": True}]),
        "notification_user": ("list", _values(("requester_id", "assignee_id", "current_user",
                                                "requester_and_ccs"))),
        "notification_group": ("list", _values(("group_id",))),
        "notification_webhook": ("list", [{"value": str(i), "title": name, "enabled": True}
                                          for i, name in webhooks]),
    }
    return [{"subject": field, "title": TITLES.get(field, field.replace("_id", "").capitalize()), "type": kind,
             "group": GROUPS.get(field, "ticket"), "nullable": field in NULLABLE,
             "repeatable": field.startswith("notification_"), "values": values}
            for field, (kind, values) in listed.items()]


def definitions(webhooks: Sequence[tuple[int, str]] = ()) -> dict[str, Any]:
    found = conditions()
    return {"definitions": {"actions": actions(webhooks), "conditions_all": found,
                            "conditions_any": [dict(item) for item in found]}}
