"""Trigger conditions in Zendesk's shape: ``{"all": [...], "any": [...]}`` of ``{field, operator, value}``.

A rule matches when every ``all`` condition holds and, if ``any`` is not empty, one ``any`` condition.

Fields and operators (``CHANGE`` = changed, not_changed, value (changed to), not_value, value_previous
(changed from), not_value_previous; change operators compare the ticket in memory with
``UpdateContext.previous``, which is None on Create, so on Create every non-empty field has changed):

- ``status`` (new < open < pending < hold < solved < closed), ``priority`` (unset < low < normal < high <
  urgent): is, is_not, less_than, greater_than, CHANGE. ``""`` means unset.
- ``type`` (question, incident, problem, task; Zendesk's ``ticket_type_id`` 0-4 is read as ``type``),
  ``satisfaction_score`` (unoffered, offered, good, bad, and Zendesk's goodwithcomment / badwithcomment, which
  need a rating comment; ``bad`` matches every bad rating): is, is_not, CHANGE.
- ``group_id``, ``organization_id``, ``brand_id``, ``assignee_id`` (also ``current_user``), ``requester_id``
  (also ``current_user`` and ``assignee_id``): is, is_not, CHANGE; ``""`` means none.
- ``current_tags``: includes (any of the space-separated tags), not_includes (none of them).
- ``via_id`` (the ticket's channel), ``current_via_id`` (the channel of this update): is, is_not; Zendesk's
  numeric ids (web form 0, email 4, API 5, rule 8, chat 29, ...) or channel names.
- ``update_type``: is, is_not ``Create`` | ``Change``.
- ``recipient`` (Zendesk's "Received at": the support address the ticket came in to): is, is_not an address.
- ``comment_includes_word`` (this update's comment), ``subject_includes_word``, ``description_includes_word``
  (the ticket's first comment): includes (any of the words,
  whole words, case-insensitive; ``"quoted phrases"`` allowed), not_includes (none), is (contains the
  string, case-insensitive), is_not.
- ``comment_is_public``: is, is_not ``true`` | ``false`` | ``not_relevant`` (a comment is present) |
  ``requester_can_see_comment``.
- ``role`` (of whoever makes the update), ``requester_role``: is, is_not ``end_user`` | ``agent`` | ``admin``
  (Zendesk's 0, 4, 2 accepted); admins count as agents.
- ``requester_locale``: is, is_not a locale; ``es`` also matches ``es-419``.
- ``custom_fields_<id>`` (ticket field; ``ticket_fields_<id>`` accepted): is, is_not, present, not_present,
  CHANGE. ``requester.custom_fields.<key>`` (user field; ``requester_field_<key>`` accepted) and
  ``organization.custom_fields.<key>`` (field of the requester's organization, ``UpdateContext.organization``;
  ``organization_field_<key>`` accepted): is, is_not, present, not_present. Custom values compare loosely:
  ``True`` equals ``"true"``, ``3`` equals ``"3"``.
- ``reopens`` (times the ticket went from solved back to open), ``replies`` (public agent comments),
  ``unanswered_requester_comments`` (public requester comments since the last public agent comment;
  ``requester_unanswered_comments`` accepted): is, is_not, less_than, greater_than a count.
- ``within_business_hours``: is ``true`` | ``false``; false either way when it is not known
  (``UpdateContext.in_business_hours`` is None).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from helpdesk.domain import rule_checks as checks
from helpdesk.domain import rule_values as rv
from helpdesk.domain.errors import InvalidRule
from helpdesk.domain.inputs import ascii_digits
from helpdesk.domain.rule_context import UpdateContext

Reader = Callable[[Mapping[str, Any], UpdateContext], Any]
Check = Callable[[str, Any, Mapping[str, Any], UpdateContext], bool]

CHANGE = ("changed", "not_changed", "value", "not_value", "value_previous", "not_value_previous")
VALUELESS = frozenset({"changed", "not_changed", "present", "not_present"})
IS = ("is", "is_not")
_TICKET_TYPES = {0: "", 1: "question", 2: "incident", 3: "problem", 4: "task"}


@dataclass(frozen=True)
class _Spec:
    operators: tuple[str, ...]
    canon: Callable[[Any], Any]
    read: Reader | None = None  # generic evaluation from a value read off the ticket ...
    check: Check | None = None  # ... or a check of its own
    key: Callable[[Any], Any] = lambda value: None if value == "" else value
    rank: Mapping[Any, int] | None = None
    people: bool = False  # values may be "current_user" / "assignee_id"


def _field(name: str) -> Reader:
    return lambda ticket, ctx: ticket.get(name)


def _custom(field_id: str) -> Reader:
    return lambda ticket, ctx: (ticket.get("custom_fields") or {}).get(field_id)


def _user_field(key: str) -> Reader:
    return lambda ticket, ctx: (ctx.requester.get("user_fields") or {}).get(key)


def _organization_field(key: str) -> Reader:
    def read(ticket: Mapping[str, Any], ctx: UpdateContext) -> Any:
        organization = ctx.organization or {}
        fields = organization.get("organization_fields") or organization.get("custom_fields") or {}
        return fields.get(key) if isinstance(fields, Mapping) else None

    return read


def _scalar(value: Any) -> Any:
    if isinstance(value, dict):
        raise ValueError("a value must be a string, number, boolean or list")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a non-empty text is required")
    return value.strip()


def _ticket_type(value: Any) -> str:
    number = value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(value, str) and ascii_digits(value.strip()):
        number = int(value)
    if number in _TICKET_TYPES:
        return _TICKET_TYPES[number]
    return rv.choice(value, rv.TYPES, blank=True)


def _ids(name: str, *symbols: str) -> _Spec:
    return _Spec((*IS, *CHANGE), partial(rv.entity_id, symbols=symbols), read=_field(name), people=True)


def _count(name: str) -> _Spec:
    return _Spec((*IS, "less_than", "greater_than"), rv.count, read=lambda ticket, ctx: ticket.get(name) or 0)


def _ordered(name: str, options: tuple[str, ...], rank: Mapping[Any, int], *, blank: bool) -> _Spec:
    operators = (*IS, "less_than", "greater_than", *CHANGE)
    return _Spec(operators, partial(rv.choice, allowed=options, blank=blank), read=_field(name), rank=rank)


_SPECS: dict[str, _Spec] = {
    "status": _ordered("status", rv.STATUSES, rv.STATUS_RANK, blank=False),
    "priority": _ordered("priority", rv.PRIORITIES, rv.PRIORITY_RANK, blank=True),
    "type": _Spec((*IS, *CHANGE), _ticket_type, read=_field("type")),
    "satisfaction_score": _Spec(
        (*IS, *CHANGE), partial(rv.choice, allowed=rv.SATISFACTION_CONDITION_VALUES), check=checks.satisfaction_check,
    ),
    "group_id": _ids("group_id"),
    "organization_id": _ids("organization_id"),
    "brand_id": _ids("brand_id"),
    "assignee_id": _ids("assignee_id", "current_user"),
    "requester_id": _ids("requester_id", "current_user", "assignee_id"),
    "current_tags": _Spec(
        ("includes", "not_includes"), lambda v: " ".join(rv.tag_list(v)), check=checks.tags_check
    ),
    "via_id": _Spec(IS, rv.via_id, check=partial(checks.via_check, False)),
    "current_via_id": _Spec(IS, rv.via_id, check=partial(checks.via_check, True)),
    "update_type": _Spec(IS, checks.update_type_value, check=checks.update_type),
    "comment_includes_word": _Spec(("includes", "not_includes", *IS), _text, check=checks.comment_text),
    "subject_includes_word": _Spec(("includes", "not_includes", *IS), _text, check=checks.subject_text),
    "description_includes_word": _Spec(("includes", "not_includes", *IS), _text, check=checks.description_text),
    "recipient": _Spec(IS, lambda v: _text(v).lower(),
                       read=lambda ticket, ctx: (ticket.get("recipient") or "").lower()),
    "comment_is_public": _Spec(IS, checks.comment_visibility, check=checks.comment_public),
    "role": _Spec(IS, rv.role, check=partial(checks.role_check, False)),
    "requester_role": _Spec(IS, rv.role, check=partial(checks.role_check, True)),
    "requester_locale": _Spec(IS, _text, check=checks.locale_check),
    "reopens": _count("reopens"),
    "replies": _count("replies"),
    "unanswered_requester_comments": _count("unanswered_requester_comments"),
    "within_business_hours": _Spec(("is",), rv.boolean, check=checks.business_hours_check),
}
_ALIASES = {"ticket_type_id": "type", "requester_unanswered_comments": "unanswered_requester_comments"}
_FIELD_FAMILIES: tuple[tuple[tuple[str, ...], str, Callable[[str], Reader]], ...] = (
    (("requester.custom_fields.", "requester_field_"), "requester.custom_fields.", _user_field),
    (("organization.custom_fields.", "organization_field_"), "organization.custom_fields.", _organization_field),
)


def _spec_for(field: str) -> tuple[str, _Spec]:
    """The canonical name of a condition field and how to evaluate it."""
    field = _ALIASES.get(field, field)
    if field in _SPECS:
        return field, _SPECS[field]
    for prefix in ("custom_fields_", "ticket_fields_"):
        if field.startswith(prefix) and ascii_digits(field[len(prefix) :]):
            field_id = field[len(prefix) :]
            operators = ("present", "not_present", *IS, *CHANGE)
            spec = _Spec(operators, _scalar, read=_custom(field_id), key=rv.loose)
            return f"custom_fields_{field_id}", spec
    for prefixes, canonical, reader in _FIELD_FAMILIES:
        for prefix in prefixes:
            if field.startswith(prefix) and field[len(prefix) :]:
                key = field[len(prefix) :]
                spec = _Spec(("present", "not_present", *IS), _scalar, read=reader(key), key=rv.loose)
                return f"{canonical}{key}", spec
    raise InvalidRule(f"unknown condition field {field!r}")


def _normalise(condition: Any, where: str) -> dict[str, Any]:
    if not isinstance(condition, Mapping) or not isinstance(condition.get("field"), str):
        raise InvalidRule(f"{where}: a condition is an object with a 'field', an 'operator' and a 'value'")
    try:
        field, spec = _spec_for(condition["field"])
    except InvalidRule as error:
        raise InvalidRule(f"{where}: {error}") from error
    operator = condition.get("operator")
    if operator not in spec.operators:
        allowed = ", ".join(spec.operators)
        raise InvalidRule(f"{where}: operator {operator!r} is not valid for {field}; use {allowed}")
    try:
        value = None if operator in VALUELESS else spec.canon(condition.get("value"))
    except ValueError as error:
        raise InvalidRule(f"{where}: {field} {operator}: {error}") from error
    return {"field": field, "operator": operator, "value": value}


def validate_conditions(conditions: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Check and normalise conditions; raises InvalidRule naming the faulty condition and why."""
    if not isinstance(conditions, Mapping):
        raise InvalidRule("conditions must be an object with 'all' and 'any' lists")
    unknown = sorted(set(conditions) - {"all", "any"})
    if unknown:
        raise InvalidRule(f"conditions: unknown key(s) {', '.join(map(repr, unknown))}; use 'all' and 'any'")
    normalised: dict[str, list[dict[str, Any]]] = {}
    for group in ("all", "any"):
        items = conditions.get(group)
        items = [] if items is None else items
        if not isinstance(items, list):
            raise InvalidRule(f"conditions.{group} must be a list")
        normalised[group] = [_normalise(item, f"conditions.{group}[{i}]") for i, item in enumerate(items)]
    return normalised


def _resolve(value: Any, ticket: Mapping[str, Any], ctx: UpdateContext) -> Any:
    if value == "current_user":
        return ctx.actor_id
    if value == "assignee_id":
        return ticket.get("assignee_id")
    return value


def _compare(op: str, now: Any, target: Any, rank: Mapping[Any, int] | None) -> bool:
    """less_than / greater_than: by rank for ordered values (status, priority), else as numbers."""
    if rank is not None:
        if now not in rank or target not in rank:
            return False
        now, target = rank[now], rank[target]
    elif not isinstance(now, int) or not isinstance(target, int):
        return False
    return bool(now < target) if op == "less_than" else bool(now > target)


def _evaluate(spec: _Spec, op: str, value: Any, ticket: Mapping[str, Any], ctx: UpdateContext) -> bool:
    if spec.check is not None:
        return spec.check(op, value, ticket, ctx)
    assert spec.read is not None
    now = spec.key(spec.read(ticket, ctx))
    if op in ("present", "not_present"):
        return (now is not None) == (op == "present")
    target = spec.key(_resolve(value, ticket, ctx) if spec.people else value)
    if op in IS:
        same: bool = now == target
        return same if op == "is" else not same
    if op in ("less_than", "greater_than"):
        return _compare(op, now, target, spec.rank)
    before = spec.key(spec.read(ctx.previous, ctx)) if ctx.previous is not None else None
    changed: bool = before != now
    if op in ("changed", "not_changed"):
        return changed == (op == "changed")
    hit: bool = changed and (now if op in ("value", "not_value") else before) == target
    return hit if op in ("value", "value_previous") else not hit


@functools.lru_cache(maxsize=8192)
def _prepared(field: Any, operator: Any, value: Any) -> tuple[_Spec, str, Any]:
    normalised = _normalise({"field": field, "operator": operator, "value": value}, "condition")
    return _spec_for(normalised["field"])[1], normalised["operator"], normalised["value"]


def holds(condition: Mapping[str, Any], ticket: Mapping[str, Any], ctx: UpdateContext) -> bool:
    """Whether one condition holds; the condition is normalised on the way (once per distinct condition, then
    remembered), so raw input is fine too."""
    field, operator, value = condition.get("field"), condition.get("operator"), condition.get("value")
    if isinstance(value, str | int | float | bool | None) and isinstance(field, str) and isinstance(operator, str):
        spec, operator, value = _prepared(field, operator, value)
    else:
        normalised = _normalise(condition, "condition")
        spec, operator, value = _spec_for(normalised["field"])[1], normalised["operator"], normalised["value"]
    return _evaluate(spec, operator, value, ticket, ctx)


def matches(
    conditions: Mapping[str, Sequence[Mapping[str, Any]]], ticket: Mapping[str, Any], ctx: UpdateContext
) -> bool:
    """All of ``all`` and, when ``any`` is not empty, at least one of ``any``."""
    every = conditions.get("all") or []
    some = conditions.get("any") or []
    if not all(holds(condition, ticket, ctx) for condition in every):
        return False
    return not some or any(holds(condition, ticket, ctx) for condition in some)


def supported_fields() -> dict[str, tuple[str, ...]]:
    """Each condition field the engine evaluates (fixed names only, not the custom field families) and its
    operators, in order."""
    return {name: spec.operators for name, spec in _SPECS.items()}
