"""API authentication in Zendesk's form: HTTP Basic with ``email/token:TOKEN``."""

from __future__ import annotations

import base64

from helpdesk.bootstrap import Container
from helpdesk.domain.errors import Forbidden, NotAuthenticated
from helpdesk.domain.users import User, hash_token


def authenticate(deps: Container, authorization: str | None) -> User:
    if not authorization or not authorization.lower().startswith("basic "):
        raise NotAuthenticated("send HTTP Basic credentials as email/token:API_TOKEN")
    try:
        decoded = base64.b64decode(authorization.split(" ", 1)[1].strip(), validate=True).decode("utf-8")
    except ValueError as exc:  # binascii.Error, UnicodeDecodeError, and non-ASCII text that is no base64 at all
        raise NotAuthenticated("the Authorization header is not valid Basic credentials") from exc
    login, _, token = decoded.partition(":")
    if not login.endswith("/token") or not token:
        raise NotAuthenticated("only API token authentication is accepted: email/token:API_TOKEN")
    user = deps.users.find_by_email(login[: -len("/token")])
    if user is None or not user.active or not (user.token_matches(token) or _account_token(deps, token)):
        raise NotAuthenticated("the email or API token is wrong")
    if not user.is_agent:
        raise Forbidden("only agents and admins may use the API")
    return user


def _account_token(deps: Container, token: str) -> bool:
    """Whether the token is one of the account's active API tokens (read only when the user's own token, the
    admin's bootstrap token, did not match)."""
    from helpdesk.domain.api_tokens import ApiToken
    from helpdesk.ports import RuleStore

    store: RuleStore[ApiToken] = deps.api_tokens
    return any(stored.matches(token) for stored in store.all())


def require_admin(user: User) -> None:
    if user.role != "admin":
        raise Forbidden("only admins may manage business rules")


def create_admin(deps: Container, email: str, name: str, token: str) -> User:
    """Create (or re-key) an admin with this API token; the token is stored only as a hash."""
    from dataclasses import replace

    from helpdesk.services.common import with_retries

    return with_retries(lambda: deps.users.put(replace(
        deps.users.ensure(email, name, role="admin"), role="admin", api_token_sha256=hash_token(token))),
        what="user")
