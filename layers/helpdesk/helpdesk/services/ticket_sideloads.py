"""Zendesk's side-loading on the ticket list and show: ``include=users,groups,organizations`` adds the records the
tickets name (requester, submitter, assignee and CCs; group; organization) beside them, each read once by key.
Other includes are left to the views that serve them (as Zendesk ignores side-loads an endpoint does not offer)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.errors import NotFound, UserNotFound

SIDELOADS = ("users", "groups", "organizations")
USER_KEYS = ("requester_id", "submitter_id", "assignee_id")


def wanted(raw: str | None) -> list[str]:
    names = {part.strip() for part in (raw or "").split(",")}
    return [name for name in SIDELOADS if name in names]


def _ids(tickets: Sequence[dict[str, Any]], keys: Sequence[str], lists: Sequence[str] = ()) -> list[int]:
    found: dict[int, None] = {}
    for ticket in tickets:
        for key in keys:
            if isinstance(ticket.get(key), int):
                found[ticket[key]] = None
        for key in lists:
            found.update((i, None) for i in ticket.get(key) or () if isinstance(i, int))
    return list(found)


def sideload(deps: Container, tickets: Sequence[dict[str, Any]], include: str | None) -> dict[str, Any]:
    loads: dict[str, Any] = {}
    names = wanted(include)
    if "users" in names:
        users = []
        for user_id in _ids(tickets, USER_KEYS, ("collaborator_ids",)):
            try:
                users.append(deps.users.get(user_id).to_api())
            except UserNotFound:
                continue
        loads["users"] = users
    if "groups" in names:
        ids = set(_ids(tickets, ("group_id",)))
        loads["groups"] = [g.to_api() for g in deps.groups.groups() if g.id in ids]
    if "organizations" in names:
        organizations = []
        for number in _ids(tickets, ("organization_id",)):
            try:
                organizations.append(deps.organizations.get(number).to_api())
            except NotFound:
                continue
        loads["organizations"] = organizations
    return loads
