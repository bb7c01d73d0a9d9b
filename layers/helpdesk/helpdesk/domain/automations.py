"""Automations: time rules run every hour over tickets that are not closed, the way Zendesk runs them.

Conditions are trigger conditions (``helpdesk.domain.conditions``; not those about the update itself: change
operators, update type, comment, channel of the update, role of the updater) plus time conditions:

- ``hours_since_created``, ``hours_since_open``, ``hours_since_pending``, ``hours_since_hold``,
  ``hours_since_solved`` (hours since the ticket got its current status, which must be that status),
  ``hours_since_assigned``, ``hours_since_update``, ``hours_since_requester_update``,
  ``hours_since_agent_update``, ``hours_until_next_sla_breach`` (the earliest running SLA target not yet
  breached), ``hours_since_last_sla_breach`` (the latest breach recorded on the ticket).
  Zendesk's API names are accepted too: NEW, OPEN, PENDING, HOLD, SOLVED, assigned_at, updated_at,
  requester_updated_at, assignee_updated_at, until_sla_next_breach_at.
- operators ``is`` (whole hours: ``is 24`` holds from 24 h to just under 25 h), ``less_than``, ``greater_than``
  (on the exact elapsed time), and ``is_business_hours``, ``less_than_business_hours``,
  ``greater_than_business_hours`` counting the default schedule's business hours. The value is a whole number
  of hours. A time that is unknown (never assigned, another status, no running SLA target) never holds.

Validation follows Zendesk's: at least one time condition; at least one condition on status, type, group,
assignee or requester; and the automation is true only once (an ``is`` time condition in ``all``) or one of
its actions nullifies one of its conditions (a status condition and a status action that leaves it, a
``current_tags not_includes X`` condition and an action adding X, ...). Actions are trigger actions, and may
close tickets.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from helpdesk.domain import conditions as trigger_conditions
from helpdesk.domain.business_hours import Schedule, business_time_between
from helpdesk.domain.clock import parse_iso
from helpdesk.domain.errors import InvalidRule
from helpdesk.domain.inputs import whole_number
from helpdesk.domain.rule_actions import apply_action, validate_actions
from helpdesk.domain.rule_body import with_conditions
from helpdesk.domain.rule_context import UpdateContext
from helpdesk.domain.rule_values import STATUS_RANK, rule_header

TIME_FIELDS = (
    "hours_since_created", "hours_since_open", "hours_since_pending", "hours_since_hold", "hours_since_solved",
    "hours_since_assigned", "hours_since_update", "hours_since_requester_update", "hours_since_agent_update",
    "hours_until_next_sla_breach", "hours_since_last_sla_breach",
)
TIME_ALIASES = {
    "NEW": "hours_since_created", "OPEN": "hours_since_open", "PENDING": "hours_since_pending",
    "HOLD": "hours_since_hold", "SOLVED": "hours_since_solved", "assigned_at": "hours_since_assigned",
    "updated_at": "hours_since_update", "requester_updated_at": "hours_since_requester_update",
    "assignee_updated_at": "hours_since_agent_update", "until_sla_next_breach_at": "hours_until_next_sla_breach",
    "since_sla_last_breach_at": "hours_since_last_sla_breach",
}
STATUS_CLOCKS = {"hours_since_open": "open", "hours_since_pending": "pending", "hours_since_hold": "hold",
                 "hours_since_solved": "solved"}
_SINCE = {"hours_since_created": "created_at", "hours_since_assigned": "assigned_at",
          "hours_since_update": "updated_at", "hours_since_requester_update": "requester_updated_at",
          "hours_since_agent_update": "agent_updated_at", **{k: "status_updated_at" for k in STATUS_CLOCKS}}
TIME_OPERATORS = ("is", "less_than", "greater_than", "is_business_hours", "less_than_business_hours",
                  "greater_than_business_hours")
SCOPE_FIELDS = frozenset({"status", "type", "group_id", "assignee_id", "requester_id"})
NOT_IN_AUTOMATIONS = frozenset({"update_type", "comment_includes_word", "comment_is_public", "current_via_id",
                                "role"})
OPEN_STATUSES = ("new", "open", "pending", "hold", "solved")
# which ticket key an action changes, for the "nullifies a condition" check
_CONDITION_KEYS = {"current_tags": "tags", "status": "status", "priority": "priority", "type": "type",
                   "group_id": "group_id", "assignee_id": "assignee_id", "satisfaction_score": "satisfaction_score"}


def is_time_condition(condition: Mapping[str, Any]) -> bool:
    return condition.get("field") in TIME_FIELDS


def _time_condition(condition: Mapping[str, Any], where: str) -> dict[str, Any]:
    field = TIME_ALIASES.get(condition["field"], condition["field"])
    operator = condition.get("operator")
    if operator not in TIME_OPERATORS:
        raise InvalidRule(f"{where}: operator {operator!r} is not valid for {field}; use {', '.join(TIME_OPERATORS)}")
    value = condition.get("value")
    value = whole_number(value)
    if value is None:
        raise InvalidRule(f"{where}: {field} {operator}: the value must be a whole number of hours")
    return {"field": field, "operator": operator, "value": value}


def _normalise(group: str, items: Any) -> list[dict[str, Any]]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise InvalidRule(f"conditions.{group} must be a list")
    found = []
    for index, item in enumerate(items):
        where = f"conditions.{group}[{index}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("field"), str):
            raise InvalidRule(f"{where}: a condition is an object with a 'field', an 'operator' and a 'value'")
        if item["field"] in TIME_FIELDS or item["field"] in TIME_ALIASES:
            found.append(_time_condition(item, where))
            continue
        try:
            normal = trigger_conditions.validate_conditions({"all": [item]})["all"][0]
        except InvalidRule as error:
            raise InvalidRule(str(error).replace("conditions.all[0]", where, 1)) from error
        if normal["field"] in NOT_IN_AUTOMATIONS or normal["operator"] in trigger_conditions.CHANGE:
            raise InvalidRule(f"{where}: {normal['field']} {normal['operator']} is about an update and is not "
                              "available in automations")
        found.append(normal)
    return found


def validate_conditions(conditions: Any) -> dict[str, list[dict[str, Any]]]:
    """Check and normalise an automation's conditions (time and trigger conditions); raises InvalidRule."""
    if not isinstance(conditions, Mapping):
        raise InvalidRule("conditions must be an object with 'all' and 'any' lists")
    unknown = sorted(set(conditions) - {"all", "any"})
    if unknown:
        raise InvalidRule(f"conditions: unknown key(s) {', '.join(map(repr, unknown))}; use 'all' and 'any'")
    try:
        return {group: _normalise(group, conditions.get(group)) for group in ("all", "any")}
    except InvalidRule as error:
        message = str(error)
        if not message.startswith("conditions"):
            message = f"conditions: {message}"
        raise InvalidRule(message) from error


def _nullified(condition: Mapping[str, Any], actions: Sequence[Mapping[str, Any]]) -> bool:
    """Whether applying ``actions`` leaves ``condition`` false whatever the ticket was."""
    field = condition["field"]
    key = _CONDITION_KEYS.get(field, "custom_fields" if field.startswith("custom_fields_") else None)
    touched = {"tags" if a["field"] in ("set_tags", "current_tags", "remove_tags") else
               "custom_fields" if a["field"].startswith("custom_fields_") else a["field"] for a in actions}
    if key is None or key not in touched:
        return False
    if key == "custom_fields" and not any(a["field"] == field for a in actions):
        return False
    after: dict[str, Any] = {"tags": [], "custom_fields": {}, "status": "open"}
    ctx = UpdateContext(update_type="Change", via="automation", actor_role="system", actor_id=None)
    for action in actions:
        apply_action(after, action, ctx)
    return not trigger_conditions.holds(condition, after, ctx)


def check_fires_once(conditions: Mapping[str, Sequence[Mapping[str, Any]]],
                     actions: Sequence[Mapping[str, Any]]) -> None:
    """Zendesk's three rules for automations (see the module docstring); raises InvalidRule naming the one broken."""
    every, some = list(conditions.get("all") or []), list(conditions.get("any") or [])
    if not any(is_time_condition(c) for c in every + some):
        raise InvalidRule("an automation needs at least one time condition (hours since created, open, pending, "
                          "on hold, solved, assigned, update, requester update, agent update; hours until the "
                          "next SLA breach)")
    if not any(c["field"] in SCOPE_FIELDS for c in every + some):
        raise InvalidRule("an automation needs at least one condition on status, type, group, assignee or "
                          "requester")
    once = any(is_time_condition(c) and c["operator"] in ("is", "is_business_hours") for c in every)
    nullifies = any(_nullified(c, actions) for c in every if not is_time_condition(c))
    trigger_only = [c for c in some if not is_time_condition(c)]
    nullifies = nullifies or (bool(some) and len(trigger_only) == len(some)
                              and all(_nullified(c, actions) for c in trigger_only))
    if not (once or nullifies):
        raise InvalidRule("an automation must be true only once or nullify one of its conditions: use an 'is' "
                          "time condition, or an action that makes a condition false (a status change that "
                          "leaves its status condition, adding the tag a 'not_includes' condition checks, ...)")


@dataclass(frozen=True)
class Automation:
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
    def from_api(cls, data: Mapping[str, Any], *, id: int, now_iso: str) -> Automation:
        """An automation from an API body (Zendesk's shape, with or without the ``automation`` envelope)."""
        if not isinstance(data, Mapping):
            raise InvalidRule("an automation is an object")
        if isinstance(data.get("automation"), Mapping):
            data = data["automation"]
        data = with_conditions(data)
        header = rule_header(data)
        conditions = validate_conditions(data.get("conditions", {}))
        actions = validate_actions(data.get("actions"), allow_closed=True)
        check_fires_once(conditions, actions)
        created = data.get("created_at")
        return cls(id=id, title=header.title, conditions=conditions, actions=actions, active=header.active,
                   position=header.position, description=header.description,
                   created_at=created if isinstance(created, str) and created else now_iso, updated_at=now_iso)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Automation:
        return cls.from_api(doc, id=int(doc["id"]), now_iso=str(doc.get("updated_at") or ""))

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "raw_title": self.title, "active": self.active,
                "position": self.position, "description": self.description,
                "conditions": copy.deepcopy(self.conditions), "actions": copy.deepcopy(self.actions),
                "created_at": self.created_at, "updated_at": self.updated_at}


@dataclass(frozen=True)
class Clocks:
    """What time conditions are measured against: now, the next SLA due time, the default schedule."""

    now: datetime
    next_breach_at: datetime | None = None
    schedule: Schedule | None = None
    last_breach_at: datetime | None = None


def hours(condition: Mapping[str, Any], ticket: Mapping[str, Any], clocks: Clocks) -> float | None:
    """The hours a time condition measures on this ticket, or None when the time is unknown."""
    field = condition["field"]
    start: datetime | None
    end: datetime | None
    if field == "hours_until_next_sla_breach":
        start, end = clocks.now, clocks.next_breach_at
    elif field == "hours_since_last_sla_breach":
        start, end = clocks.last_breach_at, clocks.now
    else:
        if field in STATUS_CLOCKS and ticket.get("status") != STATUS_CLOCKS[field]:
            return None
        start, end = parse_iso(ticket.get(_SINCE[field])), clocks.now
    if start is None or end is None:
        return None
    if condition["operator"].endswith("_business_hours") and clocks.schedule is not None:
        return business_time_between(clocks.schedule, start, end) / timedelta(hours=1)
    return (end - start) / timedelta(hours=1)


def time_holds(condition: Mapping[str, Any], ticket: Mapping[str, Any], clocks: Clocks) -> bool:
    value = hours(condition, ticket, clocks)
    if value is None:
        return False
    operator, wanted = str(condition["operator"]).removesuffix("_business_hours"), int(condition["value"])
    if operator == "is":
        return math.floor(value) == wanted
    return value < wanted if operator == "less_than" else value > wanted


def holds(condition: Mapping[str, Any], ticket: Mapping[str, Any], ctx: UpdateContext, clocks: Clocks) -> bool:
    if is_time_condition(condition):
        return time_holds(condition, ticket, clocks)
    return trigger_conditions.holds(condition, ticket, ctx)


def matches(automation: Automation, ticket: Mapping[str, Any], ctx: UpdateContext, clocks: Clocks) -> bool:
    """Whether the automation's conditions hold for the ticket now (never for a closed ticket)."""
    if ticket.get("status") == "closed":
        return False
    every, some = automation.conditions.get("all") or [], automation.conditions.get("any") or []
    if not all(holds(c, ticket, ctx, clocks) for c in every):
        return False
    return not some or any(holds(c, ticket, ctx, clocks) for c in some)


def needs_requester(automations: Sequence[Automation]) -> bool:
    """Whether any condition reads the requester's user record (role, locale, user fields)."""
    fields = {c["field"] for a in automations for group in a.conditions.values() for c in group}
    return any(f in ("requester_role", "requester_locale") or f.startswith("requester.") for f in fields)


@dataclass(frozen=True)
class CandidateRead:
    """One read of the ``by_status`` index: tickets with ``status`` whose status was set in
    (``set_after``, ``set_before``] (None: unbounded)."""

    status: str
    set_before: datetime | None = None
    set_after: datetime | None = None


def _statuses(every: Sequence[Mapping[str, Any]]) -> list[str]:
    allowed = list(OPEN_STATUSES)
    for condition in every:
        field, operator, value = condition["field"], condition["operator"], condition.get("value")
        if field in STATUS_CLOCKS:
            allowed = [s for s in allowed if s == STATUS_CLOCKS[field]]
        elif field == "status" and operator in ("is", "is_not", "less_than", "greater_than"):
            allowed = [s for s in allowed if _status_keeps(operator, STATUS_RANK[s], STATUS_RANK[str(value)])]
    return allowed


def _status_keeps(operator: str, rank: int, wanted: int) -> bool:
    if operator in ("is", "is_not"):
        return (rank == wanted) == (operator == "is")
    return rank < wanted if operator == "less_than" else rank > wanted


def candidate_reads(automation: Automation, now: datetime) -> list[CandidateRead]:
    """The index reads that find every ticket the automation could match now (a superset, never fewer).

    Status conditions in ``all`` (and ``hours since <status>``) choose the status partitions. The time the
    status was set is bounded by ``hours since <status>`` and by ``hours since update`` (``is``/``greater_than``:
    a ticket updated at most at t had its status set at most at t); ``hours since <status> is N`` bounds it on
    both sides. Conditions in ``any``, and other time conditions, do not narrow the read.
    """
    every = automation.conditions.get("all") or []
    reads = []
    for status in _statuses(every):
        before: datetime | None = None
        after: datetime | None = None
        for condition in every:
            field, operator = condition["field"], condition["operator"].removesuffix("_business_hours")
            own_clock = STATUS_CLOCKS.get(field) == status
            if operator not in ("is", "greater_than") or not (own_clock or field == "hours_since_update"):
                continue
            bound = now - timedelta(hours=condition["value"])
            before = bound if before is None else min(before, bound)
            if own_clock and operator == "is" and not condition["operator"].endswith("_business_hours"):
                floor = now - timedelta(hours=condition["value"] + 1)
                after = floor if after is None else max(after, floor)
        reads.append(CandidateRead(status, before, after))
    return reads
