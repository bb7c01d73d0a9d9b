"""Triggers: business rules run on every create and change of a ticket, the way Zendesk runs them.

Active triggers are taken in position order (then id). From the top, the first trigger that matches and has
not fired in this update fires: its actions change the ticket in memory and the check starts again from the
top. The cycle ends when a pass fires nothing, so each trigger fires at most once per update and two triggers
that undo each other stop after one firing each. Triggers never run on a ticket that is closed when the
update starts. The result is the final ticket, the ids that fired, the net change (computed once, against
the input) and the rendered notifications. Conditions: ``helpdesk.domain.conditions``; actions:
``helpdesk.domain.rule_actions``; placeholders: ``helpdesk.domain.placeholders``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from helpdesk.domain.conditions import matches, validate_conditions
from helpdesk.domain.errors import InvalidRule
from helpdesk.domain.rule_actions import (
    Notification,
    apply_action,
    notifications,
    placeholder_context,
    validate_actions,
)
from helpdesk.domain.rule_body import with_conditions
from helpdesk.domain.rule_context import UpdateContext
from helpdesk.domain.rule_values import rule_header

__all__ = ["Notification", "Trigger", "TriggerRun", "UpdateContext", "run_triggers"]


@dataclass(frozen=True)
class Trigger:
    id: int
    title: str
    conditions: dict[str, list[dict[str, Any]]]
    actions: list[dict[str, Any]]
    active: bool = True
    position: int = 0
    description: str = ""
    created_at: str = ""
    updated_at: str = ""

    @classmethod
    def from_api(cls, data: Mapping[str, Any], *, id: int, now_iso: str) -> Trigger:
        """A trigger from an API body (Zendesk's shape, with or without the ``trigger`` envelope).

        ``created_at`` is kept from ``data`` when given (an update), else ``now_iso``; ``updated_at`` is
        ``now_iso``. Raises InvalidRule with the reason.
        """
        if not isinstance(data, Mapping):
            raise InvalidRule("a trigger is an object")
        if isinstance(data.get("trigger"), Mapping):
            data = data["trigger"]
        data = with_conditions(data)
        header = rule_header(data)
        conditions = validate_conditions(data.get("conditions", {}))
        if not conditions["all"] and not conditions["any"]:
            raise InvalidRule("conditions: at least one condition is required")
        created_at = data.get("created_at")
        return cls(
            id=id,
            title=header.title,
            conditions=conditions,
            actions=validate_actions(data.get("actions")),
            active=header.active,
            position=header.position,
            description=header.description,
            created_at=created_at if isinstance(created_at, str) and created_at else now_iso,
            updated_at=now_iso,
        )

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "active": self.active,
            "position": self.position,
            "description": self.description,
            "conditions": copy.deepcopy(self.conditions),
            "actions": copy.deepcopy(self.actions),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True)
class TriggerRun:
    ticket: dict[str, Any]
    fired: list[int]
    changes: dict[str, tuple[Any, Any]]
    notifications: list[Notification]


def _net_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Field -> (old, new) for the fields that differ at the end; tags compare as a set."""
    old_tags, new_tags = before.get("tags") or [], after.get("tags") or []
    if "tags" in after and set(old_tags) == set(new_tags) and len(old_tags) == len(new_tags):
        after["tags"] = copy.deepcopy(before.get("tags"))
    keys = list(before) + [key for key in after if key not in before]
    return {key: (before.get(key), after.get(key)) for key in keys if before.get(key) != after.get(key)}


def run_triggers(
    ticket: Mapping[str, Any],
    triggers: Sequence[Trigger],
    ctx: UpdateContext,
    *,
    placeholders: Mapping[str, Any] | None = None,
) -> TriggerRun:
    """Run the trigger cycle over one update of ``ticket``; the input is never modified."""
    original = copy.deepcopy(dict(ticket))
    current = copy.deepcopy(original)
    if original.get("status") == "closed":
        return TriggerRun(current, [], {}, [])
    ordered = sorted((t for t in triggers if t.active), key=lambda t: (t.position, t.id))
    fired: list[int] = []
    sent: list[Notification] = []
    while True:
        pending = (t for t in ordered if t.id not in fired)
        trigger = next((t for t in pending if matches(t.conditions, current, ctx)), None)
        if trigger is None:
            break
        fired.append(trigger.id)
        for action in trigger.actions:
            apply_action(current, action, ctx)
        context = placeholder_context(current, ctx, placeholders)
        sent += notifications(trigger.id, trigger.actions, context)
    changes = _net_changes(original, current)
    return TriggerRun(current, fired, copy.deepcopy(changes), sent)
