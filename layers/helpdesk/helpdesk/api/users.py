"""Users and API tokens (Zendesk's /api/v2/users and /api/v2/api_tokens).

``/users/me``, ``/users/search`` and ``/users/create_or_update`` are answered by the ``{user_id}`` view rather
than routes of their own, so API Gateway and the Chalice router never have to choose between a literal segment
and the id variable.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from helpdesk.api.errors import mapped
from helpdesk.api.pagination import lister
from helpdesk.api.requests import RequestContext, path_id

users = Blueprint(__name__)

_http = RequestContext(users)


def _params() -> tuple[dict[str, str], list[str]]:
    """Single-valued query parameters, and every value of ``role`` / ``role[]``."""
    raw = _http.request().query_params
    if raw is None:
        return {}, []
    roles = [value for key in ("role", "role[]") if key in raw for value in raw.getlist(key)]
    return dict(raw), roles


@users.route("/api/v2/users.json", methods=["GET", "POST"])
@users.route("/api/v2/users", methods=["GET", "POST"])
@mapped
def collection() -> Any:
    from helpdesk.services import users as service

    deps, caller = _http.deps(), _http.caller()
    if _http.request().method == "POST":
        created = service.create_user(deps, _http.json(), caller)
        return Response(body={"user": created.to_api()}, status_code=201,
                        headers={"Location": f"/api/v2/users/{created.id}.json"})
    _, roles = _params()

    def read(limit: int, position: dict[str, Any] | None) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        after = None if position is None else str(position.get("id"))
        return [(user.to_api(), {"id": user.id}) for user in service.list_users(deps, roles, limit, after).users]

    return lister(_http, "users", "/api/v2/users.json").from_source(read)


@users.route("/api/v2/users/{user_id}", methods=["GET", "POST", "PUT", "DELETE"])
@mapped
def item(user_id: str) -> Any:
    from helpdesk.services import users as service

    deps, caller = _http.deps(), _http.caller()
    method = _http.request().method
    name = user_id.removesuffix(".json")
    if name == "create_or_update" and method == "POST":
        user, created = service.create_or_update_user(deps, _http.json(), caller)
        return Response(body={"user": user.to_api()}, status_code=201 if created else 200)
    if method == "POST":
        return Response(body={"error": "MethodNotAllowed", "description": "POST /api/v2/users to create a user"},
                        status_code=405)
    if name == "me" and method == "GET":
        return {"user": caller.to_api()}
    if name == "search" and method == "GET":
        params, _ = _params()
        found = service.search(deps, params.get("query") or params.get("email") or "")
        return _http.listing("users", [user.to_api() for user in found])
    number = path_id(user_id, "user")
    if method == "PUT":
        return {"user": service.update_user(deps, number, _http.json(), caller).to_api()}
    if method == "DELETE":
        return {"user": service.deactivate_user(deps, number, caller).to_api()}
    return {"user": deps.users.get(number).to_api()}


@users.route("/api/v2/api_tokens.json", methods=["GET", "POST"])
@users.route("/api/v2/api_tokens", methods=["GET", "POST"])
@mapped
def tokens() -> Any:
    from helpdesk.services import users as service

    deps, caller = _http.deps(), _http.caller()
    if _http.request().method == "POST":
        token, secret = service.create_api_token(deps, _http.json(), caller)
        return Response(body={"api_token": token.to_api(secret)}, status_code=201)
    return _http.listing("api_tokens", [token.to_api() for token in service.api_tokens(deps, caller)])


@users.route("/api/v2/api_tokens/{token_id}", methods=["GET", "DELETE"])
@mapped
def token(token_id: str) -> Any:
    from helpdesk.services import users as service

    deps, caller = _http.deps(), _http.caller()
    number = path_id(token_id, "API token")
    if _http.request().method == "DELETE":
        service.revoke_api_token(deps, number, caller)
        return Response(body="", status_code=204)
    return {"api_token": service.api_token(deps, number, caller).to_api()}


@users.route("/api/v2/users/{user_id}/identities.json", methods=["GET", "POST"])
@users.route("/api/v2/users/{user_id}/identities", methods=["GET", "POST"])
@mapped
def user_identities(user_id: str) -> Any:
    from helpdesk.services import user_identities as service

    deps, caller = _http.deps(), _http.caller()
    number = path_id(user_id, "user")
    if _http.request().method == "POST":
        added = service.add_identity(deps, number, _http.json(), caller)
        return Response(body={"identity": added.to_api(number)}, status_code=201)
    return _http.listing("identities", [i.to_api(number) for i in service.identities(deps, number)])


@users.route("/api/v2/users/{user_id}/identities/{identity_id}", methods=["GET", "DELETE"])
@mapped
def user_identity(user_id: str, identity_id: str) -> Any:
    from helpdesk.services import user_identities as service

    deps, caller = _http.deps(), _http.caller()
    number, identity = path_id(user_id, "user"), path_id(identity_id, "identity")
    if _http.request().method == "DELETE":
        service.remove_identity(deps, number, identity, caller)
        return Response(body="", status_code=204)
    return {"identity": service.identity(deps, number, identity).to_api(number)}
