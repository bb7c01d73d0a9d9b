"""Freshdesk-style rule sets: "on create" sets that run the first matching rule or all of them, and "on update"
rules that react to events of an update made by a kind of performer.

A rule set is ``{title, type: on_create | on_update, match: first | all, rules: [...]}``; a rule is ``{title,
conditions, actions}`` in the trigger format (``helpdesk.domain.conditions`` / ``rule_actions``), and on update
also ``performer`` (agent, requester, agent_or_requester, system, any) and ``events`` (any of them):
``{"name": "status_changed", "from": "open", "to": "pending"}`` (``from``/``to`` optional), priority_changed,
assignee_changed, group_changed, rating_received (``to``: good | bad), requester_replied, agent_replied,
note_added. ``match`` defaults to ``first`` on create and ``all`` on update. With ``first`` the first rule of
the set whose conditions hold runs and the set stops; with ``all`` every rule runs in order, each seeing the
changes of those before it. Sets run in position order; never on a closed ticket.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from helpdesk.domain import rule_values as rv
from helpdesk.domain.conditions import matches, validate_conditions
from helpdesk.domain.errors import InvalidRule
from helpdesk.domain.inputs import MAX_WHOLE_NUMBER, whole_number
from helpdesk.domain.rule_actions import (
    Notification,
    apply_action,
    notifications,
    placeholder_context,
    validate_actions,
)
from helpdesk.domain.rule_context import UpdateContext

TYPES = ("on_create", "on_update")
MATCHES = ("first", "all")
PERFORMERS = ("agent", "requester", "agent_or_requester", "system", "any")
FIELD_EVENTS = {"status_changed": "status", "priority_changed": "priority", "assignee_changed": "assignee_id",
                "group_changed": "group_id", "rating_received": "satisfaction_score"}
COMMENT_EVENTS = ("requester_replied", "agent_replied", "note_added")
EVENTS = (*FIELD_EVENTS, *COMMENT_EVENTS)


def _event_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "status_changed":
        return rv.choice(value, rv.STATUSES)
    if name == "priority_changed":
        return rv.choice(value, rv.PRIORITIES, blank=True) or None
    if name == "rating_received":
        return rv.choice(value, ("good", "bad"))
    return rv.entity_id(value) or None


def _event(raw: Any, where: str) -> dict[str, Any]:
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, Mapping) or raw.get("name") not in EVENTS:
        raise InvalidRule(f"{where}: an event is one of {', '.join(EVENTS)} (with optional from / to)")
    name = raw["name"]
    if name in COMMENT_EVENTS:
        return {"name": name}
    try:
        return {"name": name, "from": _event_value(name, raw.get("from")), "to": _event_value(name, raw.get("to"))}
    except ValueError as error:
        raise InvalidRule(f"{where}: {name}: {error}") from error


@dataclass(frozen=True)
class Rule:
    title: str
    conditions: dict[str, list[dict[str, Any]]]
    actions: list[dict[str, Any]]
    performer: str = "any"
    events: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_api(cls, data: Any, where: str, kind: str) -> Rule:
        if not isinstance(data, Mapping):
            raise InvalidRule(f"{where}: a rule is an object with conditions and actions")
        try:
            conditions = validate_conditions(data.get("conditions") or {"all": [], "any": []})
            actions = validate_actions(data.get("actions"))
        except InvalidRule as error:
            raise InvalidRule(f"{where}: {error}") from error
        performer, events = data.get("performer", "any"), data.get("events") or []
        if kind == "on_create" and (events or performer != "any"):
            raise InvalidRule(f"{where}: events and performer belong to on_update rules")
        if performer not in PERFORMERS:
            raise InvalidRule(f"{where}: performer must be one of {', '.join(PERFORMERS)}")
        if not isinstance(events, list) or (kind == "on_update" and not events):
            raise InvalidRule(f"{where}: an on_update rule needs a list of events")
        title = data.get("title")
        return cls(title=title.strip() if isinstance(title, str) else "", conditions=conditions, actions=actions,
                   performer=performer,
                   events=tuple(_event(e, f"{where}.events[{i}]") for i, e in enumerate(events)))

    def to_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {"title": self.title, "conditions": copy.deepcopy(self.conditions),
                                "actions": copy.deepcopy(self.actions)}
        if self.events:
            body.update(performer=self.performer, events=[dict(e) for e in self.events])
        return body


@dataclass(frozen=True)
class RuleSet:
    id: int
    title: str
    type: str
    match: str
    rules: tuple[Rule, ...]
    active: bool = True
    position: int = 0
    created_at: str = ""
    updated_at: str = ""

    @classmethod
    def from_api(cls, data: Mapping[str, Any], *, id: int, now_iso: str) -> RuleSet:
        if not isinstance(data, Mapping):
            raise InvalidRule("a rule set is an object")
        if isinstance(data.get("rule_set"), Mapping):
            data = data["rule_set"]
        title, kind = data.get("title"), data.get("type")
        if not isinstance(title, str) or not title.strip():
            raise InvalidRule("title is required")
        if kind not in TYPES:
            raise InvalidRule(f"type must be one of {', '.join(TYPES)}")
        match = data.get("match", "first" if kind == "on_create" else "all")
        if match not in MATCHES:
            raise InvalidRule(f"match must be one of {', '.join(MATCHES)}")
        active, position = data.get("active", True), data.get("position", 0)
        if not isinstance(active, bool) or not isinstance(position, int) or whole_number(position) is None:
            raise InvalidRule(f"active must be true or false and position an integer from 0 to {MAX_WHOLE_NUMBER}")
        raw_rules = data.get("rules")
        if not isinstance(raw_rules, list) or not raw_rules:
            raise InvalidRule("rules must be a non-empty list")
        rules = tuple(Rule.from_api(r, f"rules[{i}]", kind) for i, r in enumerate(raw_rules))
        created = data.get("created_at")
        return cls(id=id, title=title.strip(), type=kind, match=match, rules=rules, active=active,
                   position=position, created_at=created if isinstance(created, str) and created else now_iso,
                   updated_at=now_iso)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> RuleSet:
        return cls.from_api(doc, id=int(doc["id"]), now_iso=str(doc.get("updated_at") or ""))

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "type": self.type, "match": self.match,
                "active": self.active, "position": self.position, "rules": [r.to_api() for r in self.rules],
                "created_at": self.created_at, "updated_at": self.updated_at}


@dataclass(frozen=True)
class RuleSetRun:
    """Like ``TriggerRun``: the final ticket, what fired as (rule set id, rule index), the net change, and the
    rendered notifications (``trigger_id`` is the rule set's id)."""

    ticket: dict[str, Any]
    fired: list[tuple[int, int]]
    changes: dict[str, tuple[Any, Any]]
    notifications: list[Notification]


def _changes(ticket: Mapping[str, Any], ctx: UpdateContext, detail: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    given = detail.get("changes")
    if isinstance(given, Mapping):
        return {k: (v.get("from"), v.get("to")) for k, v in given.items() if isinstance(v, Mapping)}
    before = ctx.previous or {}
    return {k: (before.get(k), ticket.get(k)) for k in FIELD_EVENTS.values() if before.get(k) != ticket.get(k)}


def _is_requester(ticket: Mapping[str, Any], ctx: UpdateContext) -> bool:
    return (ctx.actor_id is not None and ctx.actor_id == ticket.get("requester_id")) or ctx.actor_role in (
        "end-user", "end_user")


def performed_by(performer: str, ticket: Mapping[str, Any], ctx: UpdateContext) -> bool:
    agent, requester = ctx.actor_role in ("agent", "admin"), _is_requester(ticket, ctx)
    return {"agent": agent, "requester": requester and not agent, "agent_or_requester": agent or requester,
            "system": ctx.actor_role in ("system", "rule"), "any": True}[performer]


def happened(event: Mapping[str, Any], ticket: Mapping[str, Any], ctx: UpdateContext,
             changes: Mapping[str, tuple[Any, Any]]) -> bool:
    """Whether this update contains the event."""
    name, comment = event["name"], ctx.comment
    if name in COMMENT_EVENTS:
        if comment is None:
            return False
        public = comment.get("public", True) is True
        if name == "note_added":
            return not public
        by_agent = ctx.actor_role in ("agent", "admin")
        return public and (by_agent if name == "agent_replied" else _is_requester(ticket, ctx) and not by_agent)
    change = changes.get(FIELD_EVENTS[name])
    if change is None:
        return False
    old, new = change
    if name == "rating_received" and new not in ("good", "bad"):
        return False
    return (event.get("from") is None or event["from"] == old) and (event.get("to") is None or event["to"] == new)


def _applies(rule: Rule, kind: str, ticket: Mapping[str, Any], ctx: UpdateContext,
             changes: Mapping[str, tuple[Any, Any]]) -> bool:
    if kind == "on_update" and not (performed_by(rule.performer, ticket, ctx)
                                    and any(happened(e, ticket, ctx, changes) for e in rule.events)):
        return False
    return matches(rule.conditions, ticket, ctx)


def evaluate_rule_sets(
    rule_sets: Sequence[RuleSet], ticket: Mapping[str, Any], ctx: UpdateContext,
    event_detail: Mapping[str, Any] | None = None, *, placeholders: Mapping[str, Any] | None = None,
) -> RuleSetRun:
    """Run the sets of this update's kind (on_create for a Create, on_update for a Change) over the ticket.

    Events are read from ``event_detail["changes"]`` (the TicketUpdated shape ``{field: {from, to}}``) when
    given, else from ``ctx.previous``; the comment and the performer from ``ctx``. The input is never modified.
    """
    original = copy.deepcopy(dict(ticket))
    current = copy.deepcopy(original)
    if original.get("status") == "closed":
        return RuleSetRun(current, [], {}, [])
    kind = "on_create" if ctx.update_type == "Create" else "on_update"
    changes = _changes(original, ctx, event_detail or {})
    fired: list[tuple[int, int]] = []
    sent: list[Notification] = []
    for rule_set in sorted((s for s in rule_sets if s.active and s.type == kind), key=lambda s: (s.position, s.id)):
        for index, rule in enumerate(rule_set.rules):
            if not _applies(rule, kind, current, ctx, changes):
                continue
            fired.append((rule_set.id, index))
            for action in rule.actions:
                apply_action(current, action, ctx)
            sent += notifications(rule_set.id, rule.actions, placeholder_context(current, ctx, placeholders))
            if rule_set.match == "first":
                break
    net = {k: (original.get(k), current.get(k)) for k in {*original, *current} if original.get(k) != current.get(k)}
    return RuleSetRun(current, fired, net, sent)
