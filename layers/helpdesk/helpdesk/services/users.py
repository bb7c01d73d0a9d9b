"""Users through the API (Zendesk's /api/v2/users) and the account's API tokens.

Who may do what, as in Zendesk: every agent reads users and creates or edits end users; only admins create or
edit agents and admins, change roles, deactivate users and manage API tokens. Nobody changes their own role or
deactivates themselves, so an account cannot lock its last admin out by accident.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.api_tokens import ApiToken
from helpdesk.domain.clock import iso
from helpdesk.domain.errors import EmailTaken, Forbidden, InvalidInput, InvalidRecord, NotFound
from helpdesk.domain.inputs import ascii_digits
from helpdesk.domain.users import ROLES, User, new_user, role_name, valid_email
from helpdesk.ports import GroupRepository, RuleStore, UserPage
from helpdesk.services.auth import require_admin
from helpdesk.services.common import with_retries


def _now(deps: Container) -> str:
    return str(iso(deps.clock.now()))


def _inner(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    inner = payload.get("user")
    if not isinstance(inner, Mapping):
        raise InvalidInput('the body must be {"user": {...}}')
    return inner


def _check_organization(deps: Container, user: User) -> None:
    if user.organization_id is None:
        return
    try:
        deps.organizations.get(user.organization_id)
    except NotFound as exc:
        raise InvalidRecord(f"organization_id: organization {user.organization_id} does not exist") from exc


def _may_write(caller: User, before: User | None, after: User) -> None:
    own = before is not None and before.id == caller.id
    if own and before is not None and before.role != after.role:
        raise Forbidden("you cannot change your own role")
    touches_staff = after.is_agent or (before is not None and before.is_agent)
    if touches_staff and caller.role != "admin" and not own:  # agents keep their own profile up to date
        raise Forbidden("only admins may create or change agents and admins")


def create_user(deps: Container, payload: Mapping[str, Any], caller: User) -> User:
    user = new_user(_inner(payload), id=0, now_iso=_now(deps))
    _may_write(caller, None, user)
    if deps.users.find_by_email(user.email) is not None:
        raise EmailTaken(f"Email: {user.email} is already being used by another user")
    _check_organization(deps, user)
    return deps.users.put(replace(user, id=deps.users.allocate_id()))


def update_user(deps: Container, user_id: int, payload: Mapping[str, Any], caller: User) -> User:
    """Applied to the user as last saved: when another request saved the user in between, it is reloaded and the
    change applied again, so concurrent changes (``user_fields`` keys above all) never overwrite each other."""
    data = _inner(payload)

    def attempt() -> User:
        before = deps.users.get(user_id)
        after = before.changed_by(data, _now(deps))
        _may_write(caller, before, after)
        if after.organization_id != before.organization_id:
            _check_organization(deps, after)
        return deps.users.put(after)

    return with_retries(attempt, what="user")


def create_or_update_user(deps: Container, payload: Mapping[str, Any], caller: User) -> tuple[User, bool]:
    """Zendesk's create_or_update: the user with this email is updated, or created (the bool says created). When
    another request creates the same address first, this one updates the user it created."""
    data = _inner(payload)
    email = valid_email(data["email"]) if data.get("email") else None
    existing = deps.users.find_by_email(email) if email else None
    if existing is None:
        try:
            return create_user(deps, payload, caller), True
        except EmailTaken:
            existing = deps.users.find_by_email(email) if email else None
            if existing is None:
                raise
    return update_user(deps, existing.id, payload, caller), False


def deactivate_user(deps: Container, user_id: int, caller: User) -> User:
    """DELETE in Zendesk's API soft-deletes: the user stays on their tickets but cannot sign in."""
    require_admin(caller)
    if user_id == caller.id:
        raise Forbidden("you cannot delete yourself")
    user = with_retries(lambda: deps.users.put(replace(deps.users.get(user_id), active=False,
                                                       updated_at=_now(deps))), what="user")
    if user.is_agent:  # a deactivated agent leaves their groups, so assignment never picks them again
        groups: GroupRepository = deps.groups
        for membership in groups.memberships(user_id=user.id):
            groups.delete_membership(membership.id)
    return user


def roles_from(values: Sequence[str]) -> list[str]:
    """The ``role`` / ``role[]`` filter of a listing; every role when none is given."""
    if not values:
        return list(ROLES)
    try:
        return sorted({role_name(value) for value in values}, key=ROLES.index)
    except InvalidRecord as exc:
        raise InvalidInput(str(exc)) from exc


def list_users(deps: Container, roles: Sequence[str], per_page: int, after: str | None) -> UserPage:
    if after is not None and not ascii_digits(after):
        raise InvalidInput("page[after] must be the after_cursor of a previous page")
    page: UserPage = deps.users.list_users(roles_from(roles), per_page, int(after) if after else None)
    return page


def search(deps: Container, query: str) -> list[User]:
    """Users whose email is the query (``email:`` prefix allowed); the search index a name search would need is
    not built, so any other query is refused rather than answered wrongly."""
    text = query.strip().removeprefix("email:").strip()
    if "@" not in text:
        raise InvalidInput("search users by email address: query=someone@example.com")
    found = deps.users.find_by_email(text.lower())
    return [found] if found is not None else []


# ---- API tokens ----

def _tokens(deps: Container) -> RuleStore[ApiToken]:
    store: RuleStore[ApiToken] = deps.api_tokens
    return store


def create_api_token(deps: Container, payload: Mapping[str, Any], caller: User) -> tuple[ApiToken, str]:
    require_admin(caller)
    inner = payload.get("token", payload.get("api_token", {}))
    if not isinstance(inner, Mapping):
        raise InvalidInput('the body must be {"token": {"description": "..."}}')
    token, secret = ApiToken.issue(inner, id=deps.rules.allocate_id("api_token"), now_iso=_now(deps), by=caller.id)
    _tokens(deps).put(token)
    return token, secret


def api_tokens(deps: Container, caller: User) -> list[ApiToken]:
    require_admin(caller)
    return _tokens(deps).all()


def api_token(deps: Container, token_id: int, caller: User) -> ApiToken:
    require_admin(caller)
    return _tokens(deps).get(token_id)


def revoke_api_token(deps: Container, token_id: int, caller: User) -> None:
    require_admin(caller)
    _tokens(deps).delete(token_id)
