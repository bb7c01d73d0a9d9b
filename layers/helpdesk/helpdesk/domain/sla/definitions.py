"""What ``GET /api/v2/slas/policies/definitions`` lists: the fields an SLA policy filter can use, in Zendesk's shape
(``{"definitions": {"all": [...], "any": [...]}}``, each item with ``subject``, ``title``, ``type``, ``group``,
``nullable``, ``repeatable``, ``operators`` and ``values``). Built from the condition engine's own table, less
what only describes an update (a policy filter sees the ticket as it is, not the change that was made), plus the
requester's and organization's custom field families."""

from __future__ import annotations

from typing import Any

from helpdesk.domain import rule_definitions

UPDATE_ONLY = frozenset({"current_via_id", "update_type", "comment_includes_word", "comment_is_public", "role"})
FIELD_FAMILIES = (
    {"subject": "requester.custom_fields.<key>", "title": "Requester: a user field", "type": "text",
     "group": "requester", "nullable": True, "repeatable": True, "values": [],
     "operators": [{"value": op, "title": rule_definitions.OPERATOR_TITLES[op], "terminal": op.endswith("present")}
                   for op in ("is", "is_not", "present", "not_present")]},
    {"subject": "organization.custom_fields.<key>", "title": "Organization: an organization field", "type": "text",
     "group": "organization", "nullable": True, "repeatable": True, "values": [],
     "operators": [{"value": op, "title": rule_definitions.OPERATOR_TITLES[op], "terminal": op.endswith("present")}
                   for op in ("is", "is_not", "present", "not_present")]},
)


def definitions() -> dict[str, Any]:
    conditions = rule_definitions.definitions([])["definitions"]
    return {"definitions": {
        part: [c for c in conditions[f"conditions_{part}"] if c["subject"] not in UPDATE_ONLY] + list(FIELD_FAMILIES)
        for part in ("all", "any")
    }}
