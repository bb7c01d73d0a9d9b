"""Rule actions in Zendesk's shape: ``[{"field": ..., "value": ...}]``, checked once and applied in memory.

Actions:

- ``status``: open, pending, hold, solved (``closed`` only where ``allow_closed``, as for automations; never
  ``new``). ``priority``, ``type``: a value name or ``""`` to clear.
- ``group_id``, ``brand_id``: an id or ``""``; ``assignee_id``: an id, ``""`` (unassign) or ``current_user`` (the
  agent making the update; ignored when the update is not made by an agent or admin).
- ``cc`` (Zendesk's "Add CC"): a user id or ``current_user``, added to the ticket's CCs (``collaborator_ids``).
- ``set_tags`` (replace), ``current_tags`` (add), ``remove_tags``: space-separated tags or a list.
- ``custom_fields_<id>``: any string, number, boolean, list or null.
- ``satisfaction_score``: ``offered_to_requester`` (unoffered becomes offered; a rating is kept).
- ``notification_user``: ``[recipient, subject, body]``; recipient ``requester_id``, ``assignee_id``,
  ``current_user``, ``requester_and_ccs`` or a user id. ``notification_group``: ``[group id or "group_id"
  (the ticket's group), subject, body]``. ``notification_webhook``: ``[webhook id, body]``; placeholders in
  the body are JSON-escaped. Notifications are collected, not sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from helpdesk.domain import rule_values as rv
from helpdesk.domain.errors import InvalidRule
from helpdesk.domain.inputs import ascii_digits
from helpdesk.domain.placeholders import render
from helpdesk.domain.rule_context import UpdateContext

USER_RECIPIENTS = ("requester_id", "assignee_id", "current_user", "requester_and_ccs")


@dataclass(frozen=True)
class Notification:
    """A message a rule asks to send. Subject and body are already rendered.

    ``kind`` is ``user`` (recipient: a symbolic recipient or a user id), ``group`` (a group id or
    ``"group_id"``) or ``webhook`` (a webhook id; subject empty, body the request body).
    """

    trigger_id: int
    recipient: str | int
    subject: str
    body: str
    kind: str = "user"


def to_chat(ticket: Mapping[str, Any], notification: Notification) -> bool:
    """Whether a notification goes to the requester of a messaging ticket: it then leaves on the customer's
    channel, as an agent's reply would; every other notification (agents, groups, an email ticket) is mail."""
    recipient = notification.recipient
    return (notification.kind == "user" and bool(ticket.get("conversation"))
            and (recipient == "requester_id" or recipient == ticket.get("requester_id")))


def _message(recipient: Callable[[Any], str | int], size: int, value: Any) -> list[Any]:
    if not isinstance(value, list | tuple) or len(value) != size:
        parts = "recipient, subject, body" if size == 3 else "recipient, body"
        raise ValueError(f"the value is a list of {size}: {parts}")
    if not all(isinstance(text, str) for text in value[1:]):
        raise ValueError("subject and body must be text")
    return [recipient(value[0]), *value[1:]]


def _user(value: Any) -> str | int:
    return rv.entity_id(value, symbols=USER_RECIPIENTS) or _fail("a recipient is required")


def _group(value: Any) -> str | int:
    return rv.entity_id(value, symbols=("group_id",)) or _fail("a group is required")


def _webhook(value: Any) -> str | int:
    if isinstance(value, int | str) and not isinstance(value, bool) and str(value).strip():
        return value.strip() if isinstance(value, str) else value
    raise ValueError("a webhook id is required")


def _fail(reason: str) -> str:
    raise ValueError(reason)


def _custom_value(value: Any) -> Any:
    if isinstance(value, dict):
        raise ValueError("a custom field value must be a string, number, boolean, list or null")
    return value


def _canon(field: str, allow_closed: bool) -> Callable[[Any], Any]:
    statuses = [s for s in rv.STATUSES if s != "new" and (allow_closed or s != "closed")]
    canons: dict[str, Callable[[Any], Any]] = {
        "status": partial(rv.choice, allowed=statuses),
        "priority": partial(rv.choice, allowed=rv.PRIORITIES, blank=True),
        "type": partial(rv.choice, allowed=rv.TYPES, blank=True),
        "group_id": rv.entity_id,
        "brand_id": rv.entity_id,
        "assignee_id": partial(rv.entity_id, symbols=("current_user",)),
        "cc": lambda value: rv.entity_id(value, symbols=("current_user",)) or _fail("a user is required"),
        "set_tags": lambda value: " ".join(rv.tag_list(value)),
        "satisfaction_score": partial(rv.choice, allowed=("offered_to_requester",)),
        "notification_user": partial(_message, _user, 3),
        "notification_group": partial(_message, _group, 3),
        "notification_webhook": partial(_message, _webhook, 2),
    }
    canons["current_tags"] = canons["remove_tags"] = canons["set_tags"]
    if field in canons:
        return canons[field]
    if field.startswith("custom_fields_") and ascii_digits(field[len("custom_fields_") :]):
        return _custom_value
    raise InvalidRule(f"unknown action field {field!r}")


def validate_actions(actions: Any, *, allow_closed: bool = False,
                     extra: Mapping[str, Callable[[Any], Any]] | None = None) -> list[dict[str, Any]]:
    """Check and normalise a list of actions; raises InvalidRule naming the faulty action and why. ``extra``
    adds or overrides fields (a macro's comment actions), each a function that normalises the value or raises
    ValueError."""
    if not isinstance(actions, list) or not actions:
        raise InvalidRule("actions must be a non-empty list")
    normalised = []
    for index, action in enumerate(actions):
        where = f"actions[{index}]"
        if not isinstance(action, Mapping) or not isinstance(action.get("field"), str):
            raise InvalidRule(f"{where}: an action is an object with a 'field' and a 'value'")
        try:
            canon = (extra or {}).get(action["field"]) or _canon(action["field"], allow_closed)
            normalised.append({"field": action["field"], "value": canon(action.get("value"))})
        except (InvalidRule, ValueError) as error:
            raise InvalidRule(f"{where}: {action['field']}: {error}") from error
    return normalised


def _set_tags(ticket: dict[str, Any], field: str, value: Any) -> None:
    tags = list(ticket.get("tags") or [])
    given = rv.tag_list(value)
    if field == "set_tags":
        tags = given
    elif field == "current_tags":
        tags += [tag for tag in given if tag not in tags]
    else:
        gone = {tag.lower() for tag in given}
        tags = [tag for tag in tags if tag.lower() not in gone]
    ticket["tags"] = tags


def _add_cc(ticket: dict[str, Any], user_id: Any) -> None:
    ccs = list(ticket.get("collaborator_ids") or [])
    if isinstance(user_id, int) and user_id not in ccs and user_id != ticket.get("requester_id"):
        ticket["collaborator_ids"] = [*ccs, user_id]


def apply_action(ticket: dict[str, Any], action: Mapping[str, Any], ctx: UpdateContext) -> None:
    """Change the in-memory ticket as one (normalised) action says; notifications are not handled here."""
    field, value = action["field"], action.get("value")
    if field == "status":
        if value != "new" or ticket.get("status") == "new":
            ticket["status"] = value
    elif field in ("priority", "type", "group_id", "brand_id"):
        ticket[field] = None if value == "" else value
    elif field == "cc":
        _add_cc(ticket, ctx.actor_id if value == "current_user" else value)
    elif field == "assignee_id":
        if value != "current_user":
            ticket["assignee_id"] = None if value == "" else value
        elif ctx.actor_role in ("agent", "admin") and ctx.actor_id is not None:
            ticket["assignee_id"] = ctx.actor_id
    elif field in ("set_tags", "current_tags", "remove_tags"):
        _set_tags(ticket, field, value)
    elif field == "satisfaction_score":
        if ticket.get("satisfaction_score") in (None, "", "unoffered"):
            ticket["satisfaction_score"] = "offered"
    elif field.startswith("custom_fields_"):
        field_id = field[len("custom_fields_") :]
        ticket["custom_fields"] = {**(ticket.get("custom_fields") or {}), field_id: value}


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        old = merged.get(key)
        both = isinstance(old, Mapping) and isinstance(value, Mapping)
        merged[key] = _merge(old, value) if both else value  # type: ignore[arg-type]
    return merged


def placeholder_context(
    ticket: Mapping[str, Any], ctx: UpdateContext, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """What notifications render with: defaults from the update, then ``extra``, then the live ticket."""
    comment = ctx.comment or {}
    words = str(ctx.requester.get("name") or "").split()
    body = comment.get("body")
    defaults = {
        "requester": {**ctx.requester, "first_name": words[0] if words else ""},
        "latest_comment": body,
        "latest_public_comment": body if comment.get("public", True) is True else None,
    }
    context = _merge({"ticket": defaults}, extra or {})
    fields = {f"ticket_field_{key}": value for key, value in (ticket.get("custom_fields") or {}).items()}
    live = {**ticket, "title": ticket.get("subject"), **fields}
    previous = context.get("ticket")
    context["ticket"] = {**(previous if isinstance(previous, Mapping) else {}), **live}
    return context


def mentions_rating(action_lists: Iterable[Sequence[Mapping[str, Any]]]) -> bool:
    """Whether a notification among these actions uses ``{{satisfaction.rating_url}}`` or ``rating_section``."""
    return any("satisfaction.rating_" in part for actions in action_lists for action in actions
               if action["field"].startswith("notification_")
               for part in action.get("value") or () if isinstance(part, str))


def notifications(
    trigger_id: int, actions: Sequence[Mapping[str, Any]], context: Mapping[str, Any]
) -> list[Notification]:
    """The rendered notifications among ``actions``, in order."""
    found = []
    for action in actions:
        field, value = action["field"], action.get("value") or []
        if field in ("notification_user", "notification_group"):
            kind = "user" if field == "notification_user" else "group"
            subject, body = render(value[1], context), render(value[2], context)
            found.append(Notification(trigger_id, value[0], subject, body, kind))
        elif field == "notification_webhook":
            body = render(value[1], context, escape=lambda text: json.dumps(text)[1:-1])
            found.append(Notification(trigger_id, value[0], "", body, "webhook"))
    return found
