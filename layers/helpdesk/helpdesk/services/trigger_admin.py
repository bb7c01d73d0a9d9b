"""The trigger API beyond create and list: show, update, delete, reorder, and the definitions (Zendesk's API)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain import rule_definitions
from helpdesk.domain.clock import iso
from helpdesk.domain.errors import InvalidInput, InvalidRule, NotFound
from helpdesk.domain.inputs import ascii_digits
from helpdesk.domain.rule_body import with_conditions
from helpdesk.domain.triggers import Trigger
from helpdesk.domain.users import User
from helpdesk.ports import TriggerStore, WebhookRepository
from helpdesk.services.auth import require_admin


def trigger_id(raw: str) -> int:
    """A trigger id from the path: ``12`` or ``12.json``."""
    text = raw[:-5] if raw.endswith(".json") else raw
    if not ascii_digits(text) or int(text) <= 0:
        raise InvalidInput(f"{raw!r} is not a trigger id")
    return int(text)


def show_trigger(deps: Container, raw_id: str) -> Trigger:
    wanted = trigger_id(raw_id)
    found = next((t for t in deps.rules.triggers() if t.id == wanted), None)
    if found is None:
        raise NotFound(f"trigger {wanted} does not exist")
    return found


def update_trigger(deps: Container, raw_id: str, payload: Mapping[str, Any], caller: User) -> Trigger:
    """Zendesk's update: the attributes given replace the stored ones. Conditions and actions go together: when
    either is given, both are replaced (a missing one is empty, and so refused)."""
    require_admin(caller)
    existing = show_trigger(deps, raw_id)
    data = payload.get("trigger")
    if not isinstance(data, Mapping):
        raise InvalidInput('the body must be {"trigger": {...}}')
    data = with_conditions(data)
    merged = {**existing.to_api(), **data}
    if "conditions" in data and "actions" not in data:
        merged["actions"] = []
    if "actions" in data and "conditions" not in data:
        merged["conditions"] = {"all": [], "any": []}
    updated = Trigger.from_api(merged, id=existing.id, now_iso=iso(deps.clock.now()) or "")
    deps.rules.put_trigger(updated)
    return updated


def delete_trigger(deps: Container, raw_id: str, caller: User) -> None:
    require_admin(caller)
    store: TriggerStore = deps.trigger_store
    store.delete_trigger(show_trigger(deps, raw_id).id)


def reorder_triggers(deps: Container, payload: Mapping[str, Any], caller: User) -> list[Trigger]:
    """The triggers named come first, in the order given (positions 1, 2, ...); the others follow in their
    present order. Every id must be a trigger's, once."""
    require_admin(caller)
    ids = payload.get("trigger_ids")
    if not isinstance(ids, list) or not ids:
        raise InvalidInput('the body must be {"trigger_ids": [id, ...]}')
    try:
        wanted = [int(i) for i in ids if not isinstance(i, bool)]
    except (TypeError, ValueError) as exc:
        raise InvalidRule("trigger_ids must be trigger ids") from exc
    if len(wanted) != len(ids) or len(set(wanted)) != len(wanted):
        raise InvalidRule("trigger_ids must be trigger ids, each once")
    current = deps.rules.triggers()
    known = {t.id: t for t in current}
    unknown = [i for i in wanted if i not in known]
    if unknown:
        raise InvalidRule(f"no trigger with id {', '.join(map(str, unknown))}")
    order = [*wanted, *(t.id for t in current if t.id not in set(wanted))]
    now = iso(deps.clock.now()) or ""
    moved = [replace(known[i], position=n, updated_at=now)
             for n, i in enumerate(order, start=1) if known[i].position != n]
    store: TriggerStore = deps.trigger_store
    store.put_triggers(moved)
    changed = {t.id: t for t in moved}
    return [changed.get(i, known[i]) for i in order]


def definitions(deps: Container) -> dict[str, Any]:
    repo: WebhookRepository = deps.webhooks
    active = [(w.id, w.name) for w in repo.webhooks() if w.active]
    return rule_definitions.definitions(active)
