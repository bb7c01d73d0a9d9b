"""A user's identities through Zendesk's API (/api/v2/users/{id}/identities): list, show, add, remove. The primary
email address is identity number 0 and is changed through the user itself; who may change a user's identities is
who may change the user (agents for end users and themselves, admins for everyone)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.clock import iso
from helpdesk.domain.errors import Forbidden, InvalidInput, InvalidRecord, NotFound
from helpdesk.domain.identities import UserIdentity, from_api, next_identity_id
from helpdesk.domain.users import User
from helpdesk.services.common import with_retries


def _may_change(caller: User, user: User) -> None:
    if user.is_agent and caller.role != "admin" and caller.id != user.id:
        raise Forbidden("only admins may change the identities of agents and admins")


def identities(deps: Container, user_id: int) -> tuple[UserIdentity, ...]:
    return deps.users.get(user_id).all_identities()


def identity(deps: Container, user_id: int, identity_id: int) -> UserIdentity:
    found = next((i for i in identities(deps, user_id) if i.id == identity_id), None)
    if found is None:
        raise NotFound(f"user {user_id} has no identity {identity_id}")
    return found


def add_identity(deps: Container, user_id: int, payload: Mapping[str, Any], caller: User) -> UserIdentity:
    data = payload.get("identity")
    if not isinstance(data, Mapping):
        raise InvalidInput('the body must be {"identity": {"type": ..., "value": ...}}')
    kind, value = from_api(data)
    now = iso(deps.clock.now())

    def attempt() -> UserIdentity:
        user = deps.users.get(user_id)
        _may_change(caller, user)
        if (kind, value) in user.identity_keys():
            raise InvalidRecord(f"Value: {value} is already an identity of this user")
        added = UserIdentity(next_identity_id(user.id, user.all_identities()), kind, value,
                             verified=bool(data.get("verified", False)), created_at=now)
        email = user.email or (value if kind == "email" else "")  # a first address becomes the primary one
        if email != user.email:
            saved = deps.users.put(replace(user, email=email, updated_at=now))
            return saved.all_identities()[0]
        deps.users.put(replace(user, identities=(*user.identities, added), updated_at=now))
        return added

    return with_retries(attempt, what="user")


def remove_identity(deps: Container, user_id: int, identity_id: int, caller: User) -> None:
    def attempt() -> None:
        user = deps.users.get(user_id)
        _may_change(caller, user)
        if user.email and identity_id == user.id * 100:
            raise InvalidRecord("the primary email address is changed through the user, not removed")
        kept = tuple(i for i in user.identities if i.id != identity_id)
        if len(kept) == len(user.identities):
            raise NotFound(f"user {user_id} has no identity {identity_id}")
        deps.users.put(replace(user, identities=kept, updated_at=iso(deps.clock.now())))

    with_retries(attempt, what="user")
