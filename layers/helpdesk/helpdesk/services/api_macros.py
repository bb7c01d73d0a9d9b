"""The REST API's use cases for macros: CRUD, and apply, which returns the resulting changes and saves nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.clock import iso
from helpdesk.domain.errors import NotFound
from helpdesk.domain.macros import Macro, MacroResult, apply_macro
from helpdesk.domain.rule_context import UpdateContext
from helpdesk.domain.users import User
from helpdesk.ports import GroupRepository, MacroRepository
from helpdesk.services.api_tickets import ticket_to_api
from helpdesk.services.auth import require_admin

TICKET_FIELDS = ("status", "priority", "type", "group_id", "assignee_id", "tags")


def _repo(deps: Container) -> MacroRepository:
    macros: MacroRepository = deps.macros
    return macros


def _memberships(deps: Container, user: User) -> list[Any]:
    groups: GroupRepository = deps.groups
    return list(groups.memberships(user_id=user.id))


def visible_macros(deps: Container, caller: User, *, active: bool | None = None) -> list[Macro]:
    """The macros the caller may use (admins: all; agents: shared ones and those restricted to them)."""
    group_ids = {m.group_id for m in _memberships(deps, caller)}
    return [m for m in _repo(deps).macros()
            if m.available_to(caller.id, group_ids, admin=caller.role == "admin")
            and (active is None or m.active == active)]


def get_macro(deps: Container, macro_id: int, caller: User) -> Macro:
    macro = _repo(deps).get(macro_id)
    group_ids = {m.group_id for m in _memberships(deps, caller)}
    if not macro.available_to(caller.id, group_ids, admin=caller.role == "admin"):
        raise NotFound(f"macro {macro_id} does not exist")
    return macro


def create_macro(deps: Container, payload: Mapping[str, Any], caller: User) -> Macro:
    require_admin(caller)
    repo = _repo(deps)
    macro = Macro.from_api(payload, id=repo.allocate_id(), now_iso=iso(deps.clock.now()) or "")
    repo.put(macro)
    return macro


def update_macro(deps: Container, macro_id: int, payload: Mapping[str, Any], caller: User) -> Macro:
    require_admin(caller)
    repo = _repo(deps)
    macro = Macro.from_api(payload, id=macro_id, now_iso=iso(deps.clock.now()) or "", existing=repo.get(macro_id))
    repo.put(macro)
    return macro


def delete_macro(deps: Container, macro_id: int, caller: User) -> None:
    require_admin(caller)
    repo = _repo(deps)
    repo.get(macro_id)
    repo.delete(macro_id)


def _default_group(deps: Container, caller: User) -> int | None:
    memberships = _memberships(deps, caller)
    chosen = next((m for m in memberships if m.default), memberships[0] if memberships else None)
    return chosen.group_id if chosen is not None else None


def _context(caller: User, requester: Mapping[str, Any]) -> UpdateContext:
    return UpdateContext(update_type="Change", via="api", actor_role=caller.role, actor_id=caller.id,
                         requester=requester)


def _api_fields(result: MacroResult) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for name in result.fields:
        value = result.ticket.get(name)
        if name == "custom_fields":
            shown["custom_fields"] = [{"id": k, "value": v} for k, v in (value or {}).items()]
        elif name == "satisfaction_score":
            shown["satisfaction_rating"] = {"score": value}
        else:
            shown[name] = value
    return shown


def _result(result: MacroResult, ticket: dict[str, Any]) -> dict[str, Any]:
    if result.comment is not None:
        ticket["comment"] = dict(result.comment)
    return {"result": {"ticket": ticket, "comment": result.comment}}


def apply_to_nothing(deps: Container, macro_id: int, caller: User) -> dict[str, Any]:
    """Zendesk's "show changes to ticket": the fields and comment the macro sets (placeholders unrendered)."""
    macro = get_macro(deps, macro_id, caller)
    result = apply_macro(macro, None, _context(caller, {}), agent_group=_default_group(deps, caller))
    return _result(result, _api_fields(result))


def apply_to_ticket(deps: Container, ticket_id: int, macro_id: int, caller: User) -> dict[str, Any]:
    """Zendesk's "show ticket after changes": the whole ticket as the macro would leave it, and its comment
    rendered for this ticket. Nothing is saved, sent or published."""
    macro = get_macro(deps, macro_id, caller)
    ticket = deps.tickets.get(ticket_id)
    requester = deps.users.get(ticket.requester_id).view()
    base = (deps.settings.public_api_url or "").rstrip("/")
    placeholders = {"ticket": {"url": f"{base}/api/v2/tickets/{ticket.id}.json", "requester": requester},
                    "current_user": {**caller.view(), "first_name": (caller.name.split() or [""])[0]}}
    result = apply_macro(macro, ticket.snapshot(), _context(caller, requester),
                         agent_group=_default_group(deps, caller), placeholders=placeholders)
    after = result.ticket
    fields: dict[str, Any] = {name: after.get(name) for name in TICKET_FIELDS}
    changed = replace(ticket, **fields, custom_fields=dict(after.get("custom_fields") or {}),
                      satisfaction=replace(ticket.satisfaction,
                                           score=str(after.get("satisfaction_score") or ticket.satisfaction.score)))
    return _result(result, ticket_to_api(changed))
