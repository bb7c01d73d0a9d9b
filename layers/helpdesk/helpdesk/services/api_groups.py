"""The REST API's use cases for groups and group memberships (Zendesk's shapes plus assignment settings)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.clock import iso
from helpdesk.domain.errors import InvalidRule, UserNotFound
from helpdesk.domain.groups import Group, GroupMembership
from helpdesk.domain.users import User
from helpdesk.ports import GroupRepository
from helpdesk.services.auth import require_admin

AGENT_ROLES = ("agent", "admin")


def _repo(deps: Container) -> GroupRepository:
    groups: GroupRepository = deps.groups
    return groups


def _now(deps: Container) -> str:
    return iso(deps.clock.now()) or ""


def _require_agent(deps: Container, user_id: int, what: str) -> None:
    try:
        user = deps.users.get(user_id)
    except UserNotFound as exc:
        raise InvalidRule(f"{what}: user {user_id} does not exist") from exc
    if user.role not in AGENT_ROLES:
        raise InvalidRule(f"{what}: user {user_id} is not an agent")


def _checked(deps: Container, group: Group) -> Group:
    if any(other.name.lower() == group.name.lower() and other.id != group.id for other in _repo(deps).groups()):
        raise InvalidRule(f"name: a group named {group.name!r} already exists")
    if group.assignment.manager_id is not None:
        _require_agent(deps, group.assignment.manager_id, "assignment.manager_id")
    return group


def create_group(deps: Container, payload: Mapping[str, Any], caller: User) -> Group:
    require_admin(caller)
    repo = _repo(deps)
    group = _checked(deps, Group.from_api(payload, id=repo.allocate_id("group"), now_iso=_now(deps)))
    repo.put(group)
    return group


def update_group(deps: Container, group_id: int, payload: Mapping[str, Any], caller: User) -> Group:
    require_admin(caller)
    repo = _repo(deps)
    existing = repo.get(group_id)
    group = _checked(deps, Group.from_api(payload, id=group_id, now_iso=_now(deps), existing=existing))
    repo.put(group)
    return group


def delete_group(deps: Container, group_id: int, caller: User) -> None:
    require_admin(caller)
    repo = _repo(deps)
    repo.get(group_id)
    repo.delete(group_id)


def create_membership(deps: Container, payload: Mapping[str, Any], caller: User) -> GroupMembership:
    require_admin(caller)
    repo = _repo(deps)
    membership = GroupMembership.from_api(payload, id=0, now_iso=_now(deps))
    _require_agent(deps, membership.user_id, "user_id")
    repo.get(membership.group_id)
    if repo.memberships(group_id=membership.group_id, user_id=membership.user_id):
        raise InvalidRule(f"user {membership.user_id} is already a member of group {membership.group_id}")
    created = GroupMembership.from_api(payload, id=repo.allocate_id("group_membership"), now_iso=_now(deps))
    repo.put_membership(created)
    return created


def update_membership(deps: Container, membership_id: int, payload: Mapping[str, Any],
                      caller: User) -> GroupMembership:
    """Change capacity, skills, languages, availability or default; agents may change their own availability."""
    repo = _repo(deps)
    existing = repo.membership(membership_id)
    body = payload.get("group_membership") if isinstance(payload.get("group_membership"), Mapping) else payload
    if caller.role != "admin" and not (caller.id == existing.user_id and set(body or {}) <= {"available"}):
        require_admin(caller)
    updated = GroupMembership.from_api(payload, id=membership_id, now_iso=_now(deps), existing=existing)
    repo.put_membership(updated)
    return updated


def delete_membership(deps: Container, membership_id: int, caller: User) -> None:
    require_admin(caller)
    repo = _repo(deps)
    repo.membership(membership_id)
    repo.delete_membership(membership_id)
