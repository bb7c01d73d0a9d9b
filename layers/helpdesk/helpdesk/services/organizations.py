"""Organizations: managed by admins; a requester belongs to one by id or, as in Zendesk, by email domain."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.errors import NotFound
from helpdesk.domain.organizations import Organization, organization_for_email
from helpdesk.domain.users import User
from helpdesk.ports import RuleStore
from helpdesk.services.auth import require_admin


def _store(deps: Container) -> RuleStore[Organization]:
    store: RuleStore[Organization] = deps.organizations
    return store


def list_organizations(deps: Container) -> list[Organization]:
    return sorted(_store(deps).all(), key=lambda o: o.id)


def organization_of(deps: Container, user: User) -> Organization | None:
    if user.organization_id is not None:
        try:
            return _store(deps).get(user.organization_id)
        except NotFound:
            return None
    return organization_for_email(list_organizations(deps), user.email)


def _inner(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    inner = payload.get("organization")
    return inner if isinstance(inner, Mapping) else payload


def create_organization(deps: Container, payload: Mapping[str, Any], caller: User) -> Organization:
    require_admin(caller)
    organization = Organization.from_api(_inner(payload), id=deps.rules.allocate_id("organization"))
    _store(deps).put(organization)
    return organization


def update_organization(deps: Container, organization_id: int, payload: Mapping[str, Any],
                        caller: User) -> Organization:
    require_admin(caller)
    current = _store(deps).get(organization_id)
    organization = Organization.from_api({**current.to_api(), **_inner(payload)}, id=organization_id)
    _store(deps).put(organization)
    return organization


def delete_organization(deps: Container, organization_id: int, caller: User) -> None:
    require_admin(caller)
    _store(deps).delete(organization_id)
