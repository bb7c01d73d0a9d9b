"""Macros: named sets of actions plus a comment that an agent applies to a ticket (Zendesk's data model).

Actions are the trigger actions (``helpdesk.domain.rule_actions``) plus ``comment_value`` (text, or Zendesk's
``["channel:all", text]``), ``comment_value_html`` and ``comment_mode_is_public``; ``group_id`` also takes
``current_groups`` (the applying agent's default group). Notification actions are accepted and never run
on apply: applying a macro only computes the resulting changes, it saves and sends nothing. Placeholders in
the comment are rendered against the ticket when there is one (``{{ticket.id}}``, ``{{current_user.name}}``).
"""

from __future__ import annotations

import copy
import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from helpdesk.channels.email.html_text import html_to_text
from helpdesk.domain import rule_values as rv
from helpdesk.domain.errors import InvalidRule
from helpdesk.domain.placeholders import render
from helpdesk.domain.rule_actions import apply_action, placeholder_context, validate_actions
from helpdesk.domain.rule_context import UpdateContext
from helpdesk.domain.rule_values import rule_header

COMMENT_FIELDS = ("comment_value", "comment_value_html", "comment_mode_is_public")
RESTRICTION_TYPES = ("Group", "User")


def _comment_action(name: str, value: Any) -> Any:
    if name == "comment_mode_is_public":
        return rv.boolean(value)
    if name == "comment_value" and isinstance(value, list | tuple) and len(value) == 2 and all(
            isinstance(part, str) for part in value):
        value = value[1]  # Zendesk's scoped form: ["channel:all", text]
    if not isinstance(value, str) or not value.strip():
        raise ValueError("the comment must be non-empty text")
    return value


def _macro_group(value: Any) -> Any:
    return value if value == "current_groups" else rv.entity_id(value)


_MACRO_CANONS: dict[str, Callable[[Any], Any]] = {
    **{name: partial(_comment_action, name) for name in COMMENT_FIELDS}, "group_id": _macro_group,
}


def validate_macro_actions(actions: Any) -> list[dict[str, Any]]:
    """Check and normalise macro actions (the trigger actions plus the comment and ``current_groups``); raises
    InvalidRule naming the faulty action and why."""
    return validate_actions(actions, extra=_MACRO_CANONS)


def restriction(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or value.get("type") not in RESTRICTION_TYPES:
        raise InvalidRule(f"restriction must be null or {{type: {' or '.join(RESTRICTION_TYPES)}, ids: [...]}}")
    ids = value.get("ids") if value.get("ids") is not None else [value.get("id")]
    try:
        found = [rv.entity_id(item) for item in ids] if isinstance(ids, list) else []
    except ValueError as error:
        raise InvalidRule(f"restriction.ids: {error}") from error
    if not found or any(not isinstance(item, int) for item in found):
        raise InvalidRule("restriction needs the ids of the groups or users it is for")
    return {"type": value["type"], "id": found[0], "ids": found}


@dataclass(frozen=True)
class Macro:
    id: int
    title: str
    actions: list[dict[str, Any]]
    active: bool = True
    position: int = 0
    description: str = ""
    restriction: dict[str, Any] | None = None
    created_at: str = ""
    updated_at: str = ""

    @classmethod
    def from_api(cls, data: Any, *, id: int, now_iso: str, existing: Macro | None = None) -> Macro:
        """A macro from an API body (with or without the ``macro`` envelope); on update absent fields keep
        their value. Raises InvalidRule with the reason."""
        if not isinstance(data, Mapping):
            raise InvalidRule("a macro is an object")
        body = data["macro"] if isinstance(data.get("macro"), Mapping) else data
        base = existing.to_doc() if existing else {"active": True, "position": 0, "description": "",
                                                   "restriction": None, "created_at": now_iso}
        merged = {**base, **body}
        header = rule_header(merged)
        return cls(id=id, title=header.title, actions=validate_macro_actions(merged.get("actions")),
                   active=header.active, position=header.position, description=header.description,
                   restriction=restriction(merged.get("restriction")),
                   created_at=str(base.get("created_at") or now_iso), updated_at=now_iso)

    def to_doc(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "actions": copy.deepcopy(self.actions), "active": self.active,
                "position": self.position, "description": self.description,
                "restriction": copy.deepcopy(self.restriction), "created_at": self.created_at,
                "updated_at": self.updated_at}

    def to_api(self) -> dict[str, Any]:
        return {**self.to_doc(), "url": f"/api/v2/macros/{self.id}.json", "raw_title": self.title,
                "default": False}

    def available_to(self, user_id: int, group_ids: set[int], *, admin: bool) -> bool:
        if admin or self.restriction is None:
            return True
        ids = set(self.restriction.get("ids") or [])
        return user_id in ids if self.restriction["type"] == "User" else bool(ids & group_ids)


@dataclass(frozen=True)
class MacroResult:
    """What applying a macro would do: the ticket after it, the ticket fields it sets, and its comment."""

    ticket: dict[str, Any]
    fields: list[str]
    comment: dict[str, Any] | None = None
    notifications_skipped: int = 0


def _field_of(action_field: str) -> str:
    if action_field in ("set_tags", "current_tags", "remove_tags"):
        return "tags"
    return "custom_fields" if action_field.startswith("custom_fields_") else action_field


def _comment(parts: Mapping[str, Any], context: Mapping[str, Any] | None) -> dict[str, Any] | None:
    text, markup = parts.get("comment_value"), parts.get("comment_value_html")
    if text is None and markup is None:
        return None
    if context is not None:
        text = render(text, context) if text is not None else None
        markup = render(markup, context, escape=html.escape) if markup is not None else None
    body = text if text is not None else html_to_text(str(markup))
    html_body = markup if markup is not None else "".join(
        f"<p>{html.escape(line)}</p>" for line in str(body).split("\n\n"))
    return {"body": body, "html_body": html_body, "scoped_body": [["channel:all", body]],
            "public": parts.get("comment_mode_is_public", True)}


def apply_macro(macro: Macro, ticket: Mapping[str, Any] | None, ctx: UpdateContext, *,
                agent_group: int | None = None, placeholders: Mapping[str, Any] | None = None) -> MacroResult:
    """The changes ``macro`` makes to ``ticket`` (a snapshot; None: to no ticket in particular), in memory."""
    current = copy.deepcopy(dict(ticket)) if ticket is not None else {"tags": [], "custom_fields": {}}
    touched: list[str] = []
    parts: dict[str, Any] = {}
    skipped = 0
    for action in macro.actions:
        name, value = action["field"], action.get("value")
        if name in COMMENT_FIELDS:
            parts[name] = value
            continue
        if name.startswith("notification_"):
            skipped += 1
            continue
        if name == "group_id" and value == "current_groups":
            if agent_group is None:
                continue
            action = {"field": name, "value": agent_group}
        apply_action(current, action, ctx)
        if _field_of(name) not in touched:
            touched.append(_field_of(name))
    context = None
    if ticket is not None:
        context = {**placeholder_context(current, ctx, placeholders)}
        context.setdefault("current_user", (placeholders or {}).get("current_user") or {})
    return MacroResult(current, touched, _comment(parts, context), skipped)
