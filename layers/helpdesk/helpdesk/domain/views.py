"""Views (Zendesk's Views API): a saved set of conditions that lists tickets, an agent's work queue (pure).

Conditions are the automations' (``helpdesk.domain.automations``): trigger conditions that are about the ticket as
it is (never about an update: no change operators, update type, comment or role of the updater) plus the time
conditions (``hours_since_update``, ``hours_since_solved``, ...; Zendesk's ``updated_at``, ``SOLVED`` accepted).
Conditions on the requester's or organization's records are refused: a view reads tickets only.

``read_plan`` chooses the index a view reads through, from the conditions in ``all`` (those in ``any`` only
filter):

1. ``assignee_id is <id>`` or ``is current_user``: the ``by_assignee`` index, one query per status the status
   conditions leave (its range key is the status);
2. ``hours_since_update less_than N`` (Zendesk's "updated in the last N hours"): the ``by_updated`` index from
   now - N hours to now;
3. status conditions that leave fewer than the six statuses (``status less_than solved``, ``status is
   pending``, ``hours_since_solved ...``): the ``by_status`` index, one partition per status left, bounded by
   ``hours_since_<status> less_than N`` on the time the status was set;
4. nothing narrows the read: ``by_updated``, most recently updated first, at most ``UNNARROWED_READ_LIMIT``
   tickets; the answer says it was cut short (``count.fresh`` false, ``pretty`` "~N").

Every read is capped at ``READ_LIMIT`` items: a view is a work queue, not an export.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from helpdesk.domain import automations, macros
from helpdesk.domain import rule_values as rv
from helpdesk.domain.errors import InvalidRule
from helpdesk.domain.rule_values import rule_header

READ_LIMIT = 5000
UNNARROWED_READ_LIMIT = 1000
NOT_IN_VIEWS = ("requester_role", "requester_locale", "requester.", "organization.", "within_business_hours")

# Zendesk's view columns (id -> title); custom ticket fields are columns by their numeric id
COLUMNS: dict[str, str] = {
    "status": "Status", "subject": "Subject", "description": "Description", "requester": "Requester",
    "requester_updated_at": "Requester updated", "assignee": "Assignee", "assignee_updated_at": "Assignee updated",
    "assigned": "Assigned", "group": "Group", "organization": "Organization", "brand": "Brand",
    "submitter": "Submitter", "created": "Requested", "updated": "Updated", "updated_by_type": "Latest update by",
    "solved": "Solved", "priority": "Priority", "type": "Type", "score": "Satisfaction", "nice_id": "ID",
    "due_date": "Due date", "sla_next_breach_at": "Next SLA breach", "satisfaction_score": "Satisfaction",
    "created_at": "Requested", "updated_at": "Updated", "id": "ID", "locale_id": "Requester language",
}
# sort_by accepted (Zendesk's column ids and the ticket field names) -> the ticket attribute sorted on
SORTS: dict[str, str] = {
    "created": "created_at", "created_at": "created_at", "updated": "updated_at", "updated_at": "updated_at",
    "priority": "priority", "status": "status", "id": "id", "nice_id": "id", "requester": "requester",
    "assignee": "assignee", "subject": "subject", "sla_next_breach_at": "sla_next_breach_at",
}
DEFAULT_COLUMNS = ("score", "subject", "requester", "created", "updated", "assignee")


@dataclass(frozen=True)
class Execution:
    """How a view lists its tickets: the columns shown, the grouping and the order."""

    columns: tuple[str | int, ...] = DEFAULT_COLUMNS
    group_by: str | None = None
    group_order: str = "asc"
    sort_by: str = "created"
    sort_order: str = "desc"

    def to_doc(self) -> dict[str, Any]:
        return {"columns": list(self.columns), "group_by": self.group_by, "group_order": self.group_order,
                "sort_by": self.sort_by, "sort_order": self.sort_order}

    def to_api(self) -> dict[str, Any]:
        def column(column_id: str | int) -> dict[str, Any]:
            if isinstance(column_id, int):
                return {"id": column_id, "title": f"Field {column_id}", "type": "custom", "url": None}
            return {"id": column_id, "title": COLUMNS[column_id]}

        group = ({"id": self.group_by, "title": COLUMNS[self.group_by], "order": self.group_order}
                 if self.group_by else None)
        return {
            "group_by": self.group_by, "group_order": self.group_order, "sort_by": self.sort_by,
            "sort_order": self.sort_order, "group": group,
            "sort": {"id": self.sort_by, "title": COLUMNS[self.sort_by], "order": self.sort_order},
            "columns": [column(c) for c in self.columns if not isinstance(c, int)],
            "fields": [column(c) for c in self.columns if not isinstance(c, int)],
            "custom_fields": [column(c) for c in self.columns if isinstance(c, int)],
        }


def order(value: Any, name: str) -> str:
    if value is None:
        return "desc" if name == "sort_order" else "asc"
    if not isinstance(value, str) or value.lower() not in ("asc", "desc"):
        raise InvalidRule(f"{name} must be asc or desc")
    return value.lower()


def sort_column(value: Any, name: str = "sort_by") -> str:
    if not isinstance(value, str) or value not in SORTS:
        raise InvalidRule(f"{name} {value!r} is not a column views sort on; use {', '.join(SORTS)}")
    return value


def _column(value: Any, where: str) -> str | int:
    if isinstance(value, Mapping):
        value = value.get("id")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit() and value.isascii():
        return int(value)
    if isinstance(value, str) and value in COLUMNS:
        return value
    raise InvalidRule(f"{where}: {value!r} is not a view column (a column id such as status, subject, requester, "
                      "or a custom field's id)")


def execution_from(data: Any, existing: Execution | None = None) -> Execution:
    """Zendesk's ``output`` (on create and update) or ``execution`` (as read back): columns, group_by,
    group_order, sort_by, sort_order."""
    base = existing or Execution()
    if data is None:
        return base
    if not isinstance(data, Mapping):
        raise InvalidRule("output must be an object with columns, group_by, group_order, sort_by, sort_order")
    columns = data.get("columns", list(base.columns))
    if not isinstance(columns, list) or not columns:
        raise InvalidRule("output.columns must be a non-empty list of column ids")
    parsed = tuple(_column(c, f"output.columns[{i}]") for i, c in enumerate(columns))
    sort_by = data.get("sort_by", base.sort_by)
    if isinstance(sort_by, Mapping):
        sort_by = sort_by.get("id")
    group_by = data.get("group_by", base.group_by)
    if group_by is not None:
        group_by = sort_column(group_by, "output.group_by")
    return Execution(columns=parsed, group_by=group_by,
                     group_order=order(data.get("group_order", base.group_order), "output.group_order"),
                     sort_by=sort_column(sort_by, "output.sort_by"),
                     sort_order=order(data.get("sort_order", base.sort_order), "output.sort_order"))


def validate_conditions(conditions: Any) -> dict[str, list[dict[str, Any]]]:
    """The automations' conditions (time and ticket conditions), less those about the requester's records; at
    least one condition in ``all`` or ``any`` (Zendesk refuses a view without one)."""
    normal = automations.validate_conditions(conditions)
    for group, items in normal.items():
        for index, condition in enumerate(items):
            if str(condition["field"]).startswith(NOT_IN_VIEWS):
                raise InvalidRule(f"conditions.{group}[{index}]: {condition['field']} is not available in views "
                                  "(a view reads tickets only)")
    if not normal["all"] and not normal["any"]:
        raise InvalidRule("a view needs at least one condition in all or any")
    return normal


def restriction(value: Any) -> dict[str, Any] | None:
    """None (everyone), ``{"type": "User", "id": agent}`` (a personal view) or ``{"type": "Group", "id" / "ids":
    groups}`` (the agents of those groups): the macros' restriction, a personal view belonging to one user."""
    found = macros.restriction(value)
    if found is not None and found["type"] == "User" and len(found["ids"]) != 1:
        raise InvalidRule("a personal view (restriction type User) belongs to one user")
    return found


@dataclass(frozen=True)
class View:
    id: int
    title: str
    conditions: dict[str, list[dict[str, Any]]]
    execution: Execution = field(default_factory=Execution)
    active: bool = True
    position: int = 0
    description: str = ""
    restriction: dict[str, Any] | None = None
    default: bool = False
    created_at: str = ""
    updated_at: str = ""

    @classmethod
    def from_api(cls, data: Any, *, id: int, now_iso: str, existing: View | None = None) -> View:
        """A view from Zendesk's create or update body (``{"view": {...}}``): ``all``/``any`` at the top or in
        ``conditions``, ``output`` (or ``execution``); on update, absent attributes keep their value."""
        if not isinstance(data, Mapping) or not isinstance(data.get("view"), Mapping):
            raise InvalidRule('the body must be {"view": {...}}')
        body = dict(data["view"])
        base = existing.to_doc() if existing else {"active": True, "position": 0, "description": "",
                                                   "restriction": None, "created_at": now_iso}
        merged = {**base, **body}
        conditions: Any = body.get("conditions")
        if "all" in body or "any" in body:
            if conditions is not None:
                raise InvalidRule("give the conditions either as all/any or as conditions, not both")
            conditions = {"all": body.get("all"), "any": body.get("any")}
        if conditions is None:
            conditions = existing.conditions if existing else None
        if conditions is None:
            raise InvalidRule("a view needs conditions (all and/or any)")
        header = rule_header(merged)
        output = body.get("output", body.get("execution"))
        return cls(id=id, title=header.title, conditions=validate_conditions(conditions),
                   execution=execution_from(output, existing.execution if existing else None),
                   active=header.active, position=header.position, description=header.description,
                   restriction=restriction(merged.get("restriction")),
                   default=bool(existing.default) if existing else False,
                   created_at=str(base.get("created_at") or now_iso), updated_at=now_iso)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> View:
        execution = doc.get("execution") or {}
        return cls(id=int(doc["id"]), title=str(doc["title"]), conditions=copy.deepcopy(doc["conditions"]),
                   execution=Execution(columns=tuple(execution.get("columns") or DEFAULT_COLUMNS),
                                       group_by=execution.get("group_by"),
                                       group_order=execution.get("group_order") or "asc",
                                       sort_by=execution.get("sort_by") or "created",
                                       sort_order=execution.get("sort_order") or "desc"),
                   active=bool(doc.get("active", True)), position=int(doc.get("position") or 0),
                   description=str(doc.get("description") or ""), restriction=doc.get("restriction"),
                   default=bool(doc.get("default")), created_at=str(doc.get("created_at") or ""),
                   updated_at=str(doc.get("updated_at") or ""))

    def to_doc(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "conditions": copy.deepcopy(self.conditions),
                "execution": self.execution.to_doc(), "active": self.active, "position": self.position,
                "description": self.description, "restriction": copy.deepcopy(self.restriction),
                "default": self.default, "created_at": self.created_at, "updated_at": self.updated_at}

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "url": f"/api/v2/views/{self.id}.json", "title": self.title, "raw_title": self.title,
                "active": self.active, "position": self.position, "description": self.description,
                "restriction": copy.deepcopy(self.restriction), "default": self.default,
                "conditions": copy.deepcopy(self.conditions), "execution": self.execution.to_api(),
                "created_at": self.created_at, "updated_at": self.updated_at}

    def visible_to(self, user_id: int, group_ids: set[int], *, admin: bool) -> bool:
        """Personal views: their owner only (admins included, as in Zendesk); group views: the groups' agents and
        the admins; shared views: everyone."""
        if self.restriction is None:
            return True
        ids = set(self.restriction.get("ids") or [self.restriction.get("id")])
        if self.restriction["type"] == "User":
            return user_id in ids
        return admin or bool(ids & group_ids)


UNSOLVED = {"field": "status", "operator": "less_than", "value": "solved"}
# Zendesk's shipped views, created for an account that has none
DEFAULT_VIEWS: tuple[dict[str, Any], ...] = (
    {"title": "Your unsolved tickets",
     "all": [UNSOLVED, {"field": "assignee_id", "operator": "is", "value": "current_user"}],
     "output": {"columns": ["score", "subject", "requester", "updated", "group"], "sort_by": "updated",
                "sort_order": "desc"}},
    {"title": "Unassigned tickets", "all": [UNSOLVED, {"field": "assignee_id", "operator": "is", "value": ""}],
     "output": {"columns": ["score", "subject", "requester", "created", "group"], "sort_by": "created",
                "sort_order": "asc"}},
    {"title": "All unsolved tickets", "all": [UNSOLVED],
     "output": {"columns": ["score", "subject", "requester", "updated", "assignee", "group"],
                "sort_by": "updated", "sort_order": "desc"}},
    {"title": "Recently updated tickets", "all": [{"field": "hours_since_update", "operator": "less_than",
                                                   "value": 24}],
     "output": {"columns": ["score", "subject", "requester", "updated", "assignee"], "sort_by": "updated",
                "sort_order": "desc"}},
    {"title": "Pending tickets", "all": [{"field": "status", "operator": "is", "value": "pending"}],
     "output": {"columns": ["score", "subject", "requester", "updated", "assignee"], "sort_by": "updated",
                "sort_order": "desc"}},
    {"title": "Recently solved tickets", "all": [{"field": "status", "operator": "is", "value": "solved"},
                                                 {"field": "hours_since_solved", "operator": "less_than",
                                                  "value": 168}],
     "output": {"columns": ["score", "subject", "requester", "solved", "assignee"], "sort_by": "updated",
                "sort_order": "desc"}},
)


def default_views(first_id: int, now_iso: str) -> list[View]:
    views = []
    for index, body in enumerate(DEFAULT_VIEWS):
        view = View.from_api({"view": {**body, "position": index + 1}}, id=first_id + index, now_iso=now_iso)
        views.append(View(**{**view.__dict__, "default": True}))
    return views


@dataclass(frozen=True)
class ReadPlan:
    """The one index read that finds every ticket a view can list (a superset; the conditions then filter)."""

    index: str  # by_assignee | by_updated | by_status
    statuses: tuple[str, ...] = ()
    assignee_id: int | None = None
    since: datetime | None = None  # by_updated: updated after; by_status: status set after
    limit: int = READ_LIMIT
    narrowed_by: tuple[str, ...] = ()

    @property
    def bounded(self) -> bool:
        """True when the read is cut at its limit rather than by the conditions (nothing narrowed it)."""
        return not self.narrowed_by


def _statuses(every: Sequence[Mapping[str, Any]]) -> list[str]:
    allowed = list(rv.STATUSES)
    for condition in every:
        name, operator, value = condition["field"], condition["operator"], condition.get("value")
        if name in automations.STATUS_CLOCKS:
            allowed = [s for s in allowed if s == automations.STATUS_CLOCKS[name]]
        elif name == "status" and operator in ("is", "is_not", "less_than", "greater_than"):
            wanted = rv.STATUS_RANK[str(value)]
            allowed = [s for s in allowed if _keeps(operator, rv.STATUS_RANK[s], wanted)]
    return allowed


def _keeps(operator: str, rank: int, wanted: int) -> bool:
    if operator in ("is", "is_not"):
        return (rank == wanted) == (operator == "is")
    return rank < wanted if operator == "less_than" else rank > wanted


def _recent(every: Sequence[Mapping[str, Any]], fields: Sequence[str], now: datetime) -> datetime | None:
    """The earliest time allowed by ``<field> less_than N`` hours (calendar hours) among ``fields``."""
    since = None
    for condition in every:
        if condition["field"] in fields and condition["operator"] == "less_than":
            bound = now - timedelta(hours=int(condition["value"]))
            since = bound if since is None else max(since, bound)
    return since


def read_plan(conditions: Mapping[str, Sequence[Mapping[str, Any]]], actor_id: int | None,
              now: datetime) -> ReadPlan:
    every = conditions.get("all") or []
    statuses = _statuses(every)
    status_fields = tuple(sorted({c["field"] for c in every
                                  if c["field"] == "status" or c["field"] in automations.STATUS_CLOCKS}))
    for condition in every:
        if condition["field"] == "assignee_id" and condition["operator"] == "is":
            value = actor_id if condition["value"] == "current_user" else condition["value"]
            if isinstance(value, int):
                narrowed = ("assignee_id", *status_fields) if len(statuses) < len(rv.STATUSES) else ("assignee_id",)
                return ReadPlan("by_assignee", tuple(statuses), assignee_id=value, narrowed_by=narrowed)
    updated_since = _recent(every, ("hours_since_update",), now)
    if updated_since is not None:
        return ReadPlan("by_updated", tuple(statuses), since=updated_since, narrowed_by=("hours_since_update",))
    if len(statuses) < len(rv.STATUSES):
        since = (_recent(every, [f for f, s in automations.STATUS_CLOCKS.items() if s == statuses[0]], now)
                 if len(statuses) == 1 else None)
        return ReadPlan("by_status", tuple(statuses), since=since, narrowed_by=status_fields)
    return ReadPlan("by_updated", tuple(statuses), limit=UNNARROWED_READ_LIMIT)
