"""Condition checks that are not a plain comparison of one ticket value: tags, channels, text, roles, locale,
business hours.

Each check takes ``(operator, canonical value, ticket, context)``; see ``helpdesk.domain.conditions``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from helpdesk.domain import rule_values as rv
from helpdesk.domain.rule_context import UpdateContext

COMMENT_VISIBILITY = ("true", "false", "not_relevant", "requester_can_see_comment")


@functools.lru_cache(maxsize=4096)
def _wanted_tags(value: str) -> tuple[str, ...]:
    return tuple(tag.lower() for tag in rv.tag_list(value))


def tags_check(op: str, value: Any, ticket: Mapping[str, Any], ctx: UpdateContext) -> bool:
    present = {tag.lower() for tag in ticket.get("tags") or []}
    wanted = _wanted_tags(value) if isinstance(value, str) else tuple(t.lower() for t in rv.tag_list(value))
    hit = any(tag in present for tag in wanted)
    return hit if op == "includes" else not hit


def via_check(current: bool, op: str, value: Any, ticket: Mapping[str, Any], ctx: UpdateContext) -> bool:
    hit = rv.channel_id(ctx.via if current else ticket.get("via")) == value
    return hit if op == "is" else not hit


WORDS = re.compile(r'"([^"]+)"|(\S+)')


def contains(op: str, value: str, text: str) -> bool:
    if op in ("includes", "not_includes"):
        words = [quoted or bare for quoted, bare in WORDS.findall(value)]
        hit = any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE) for word in words)
        return hit if op == "includes" else not hit
    hit = value.casefold() in text.casefold()
    return hit if op == "is" else not hit


def comment_text(op: str, value: Any, ticket: Mapping[str, Any], ctx: UpdateContext) -> bool:
    return contains(op, value, str((ctx.comment or {}).get("body") or ""))


def subject_text(op: str, value: Any, ticket: Mapping[str, Any], ctx: UpdateContext) -> bool:
    return contains(op, value, str(ticket.get("subject") or ""))


def description_text(op: str, value: Any, ticket: Mapping[str, Any], ctx: UpdateContext) -> bool:
    return contains(op, value, str(ticket.get("description") or ""))


def comment_visibility(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return rv.choice(value, COMMENT_VISIBILITY)


def comment_public(op: str, value: Any, ticket: Mapping[str, Any], ctx: UpdateContext) -> bool:
    present = ctx.comment is not None
    public = present and (ctx.comment or {}).get("public", True) is True
    hit = {
        "true": public,
        "false": present and not public,
        "not_relevant": present,
        "requester_can_see_comment": public,
    }[value]
    return hit if op == "is" else not hit


def role_check(
    of_requester: bool, op: str, value: Any, ticket: Mapping[str, Any], ctx: UpdateContext
) -> bool:
    hit = rv.role_matches(value, ctx.requester.get("role") if of_requester else ctx.actor_role)
    return hit if op == "is" else not hit


def update_type_value(value: Any) -> str:
    return rv.choice(value, ("create", "change")).capitalize()


def update_type(op: str, value: Any, ticket: Mapping[str, Any], ctx: UpdateContext) -> bool:
    hit: bool = ctx.update_type == value
    return hit if op == "is" else not hit


def locale_check(op: str, value: Any, ticket: Mapping[str, Any], ctx: UpdateContext) -> bool:
    locale = str(ctx.requester.get("locale") or "").lower().replace("_", "-")
    wanted = value.lower().replace("_", "-")
    hit = locale == wanted or locale.startswith(wanted + "-")
    return hit if op == "is" else not hit


def business_hours_check(op: str, value: Any, ticket: Mapping[str, Any], ctx: UpdateContext) -> bool:
    """Whether the update is (value True) or is not (False) within business hours; unknown is never a match."""
    if ctx.in_business_hours is None:
        return False
    return bool(ctx.in_business_hours) == bool(value)


def _satisfaction(snapshot: Mapping[str, Any] | None) -> tuple[str, bool] | None:
    if snapshot is None:
        return None
    return str(snapshot.get("satisfaction_score") or "unoffered"), bool(snapshot.get("satisfaction_comment"))


def _rated_as(state: tuple[str, bool] | None, wanted: str) -> bool:
    if state is None:
        return False
    score, commented = state
    if wanted.endswith("withcomment"):
        return score == wanted.removesuffix("withcomment") and commented
    return score == wanted


def satisfaction_check(op: str, value: Any, ticket: Mapping[str, Any], ctx: UpdateContext) -> bool:
    """Zendesk's Satisfaction condition: ``bad`` matches every bad rating, ``badwithcomment`` only one with a
    comment (likewise ``good``); the change operators compare with the ticket before this update."""
    now, before = _satisfaction(ticket), _satisfaction(ctx.previous)
    if op in ("is", "is_not"):
        return _rated_as(now, value) == (op == "is")
    changed = before != now
    if op in ("changed", "not_changed"):
        return changed == (op == "changed")
    hit = changed and _rated_as(now if op in ("value", "not_value") else before, value)
    return hit if op in ("value", "value_previous") else not hit
