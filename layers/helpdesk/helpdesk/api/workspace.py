"""The agents' workspace API (Zendesk-compatible): groups, group memberships, macros and applying a macro.

API Gateway path parameters are whole segments, so ``/api/v2/macros/{macro_id}`` also serves ``12.json``.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from helpdesk.api.errors import mapped
from helpdesk.api.requests import RequestContext, path_id

workspace = Blueprint(__name__)

_http = RequestContext(workspace)
_request, _deps, _caller, _json = _http.request, _http.deps, _http.caller, _http.json


def _no_content() -> Response:
    return Response(body="", status_code=204)


@workspace.route("/api/v2/groups.json", methods=["GET", "POST"])
@workspace.route("/api/v2/groups", methods=["GET", "POST"])
@mapped
def groups() -> Any:
    from helpdesk.services import api_groups

    caller = _caller()
    if _request().method == "POST":
        created = api_groups.create_group(_deps(), _json(), caller)
        return Response(body={"group": created.to_api()}, status_code=201)
    return _http.listing("groups", [g.to_api() for g in _deps().groups.groups()])


@workspace.route("/api/v2/groups/{group_id}", methods=["GET", "PUT", "DELETE"])
@mapped
def group(group_id: str) -> Any:
    from helpdesk.services import api_groups

    caller = _caller()
    number, method = path_id(group_id, "group"), _request().method
    if method == "PUT":
        return {"group": api_groups.update_group(_deps(), number, _json(), caller).to_api()}
    if method == "DELETE":
        api_groups.delete_group(_deps(), number, caller)
        return _no_content()
    return {"group": _deps().groups.get(number).to_api()}


@workspace.route("/api/v2/groups/{group_id}/memberships.json", methods=["GET"])
@workspace.route("/api/v2/groups/{group_id}/memberships", methods=["GET"])
@mapped
def group_memberships_of(group_id: str) -> Any:
    _caller()
    number = path_id(group_id, "group")
    _deps().groups.get(number)
    return _http.listing("group_memberships", [m.to_api() for m in _deps().groups.memberships(group_id=number)])


@workspace.route("/api/v2/group_memberships.json", methods=["GET", "POST"])
@workspace.route("/api/v2/group_memberships", methods=["GET", "POST"])
@mapped
def group_memberships() -> Any:
    from helpdesk.services import api_groups

    caller = _caller()
    if _request().method == "POST":
        created = api_groups.create_membership(_deps(), _json(), caller)
        return Response(body={"group_membership": created.to_api()}, status_code=201)
    return _http.listing("group_memberships", [m.to_api() for m in _deps().groups.memberships()])


@workspace.route("/api/v2/group_memberships/{membership_id}", methods=["GET", "PUT", "DELETE"])
@mapped
def group_membership(membership_id: str) -> Any:
    from helpdesk.services import api_groups

    caller = _caller()
    number, method = path_id(membership_id, "group membership"), _request().method
    if method == "PUT":
        return {"group_membership": api_groups.update_membership(_deps(), number, _json(), caller).to_api()}
    if method == "DELETE":
        api_groups.delete_membership(_deps(), number, caller)
        return _no_content()
    return {"group_membership": _deps().groups.membership(number).to_api()}


@workspace.route("/api/v2/macros.json", methods=["GET", "POST"])
@workspace.route("/api/v2/macros", methods=["GET", "POST"])
@mapped
def macros() -> Any:
    from helpdesk.services import api_macros

    caller = _caller()
    if _request().method == "POST":
        created = api_macros.create_macro(_deps(), _json(), caller)
        return Response(body={"macro": created.to_api()}, status_code=201)
    params: dict[str, str] = dict(_request().query_params or {})
    active = params.get("active")
    wanted = None if active is None else active.lower() == "true"
    return _http.listing("macros", [m.to_api() for m in api_macros.visible_macros(_deps(), caller, active=wanted)])


@workspace.route("/api/v2/macros/{macro_id}", methods=["GET", "PUT", "DELETE"])
@mapped
def macro(macro_id: str) -> Any:
    from helpdesk.services import api_macros

    caller = _caller()
    method = _request().method
    if method == "GET" and macro_id in ("active", "active.json"):  # Zendesk's GET /api/v2/macros/active
        found = api_macros.visible_macros(_deps(), caller, active=True)
        return _http.listing("macros", [m.to_api() for m in found])
    number = path_id(macro_id, "macro")
    if method == "PUT":
        return {"macro": api_macros.update_macro(_deps(), number, _json(), caller).to_api()}
    if method == "DELETE":
        api_macros.delete_macro(_deps(), number, caller)
        return _no_content()
    return {"macro": api_macros.get_macro(_deps(), number, caller).to_api()}


@workspace.route("/api/v2/macros/{macro_id}/apply.json", methods=["GET"])
@workspace.route("/api/v2/macros/{macro_id}/apply", methods=["GET"])
@mapped
def macro_changes(macro_id: str) -> Any:
    from helpdesk.services import api_macros

    caller = _caller()
    return api_macros.apply_to_nothing(_deps(), path_id(macro_id, "macro"), caller)


@workspace.route("/api/v2/tickets/{ticket_id}/macros/{macro_id}/apply.json", methods=["GET"])
@workspace.route("/api/v2/tickets/{ticket_id}/macros/{macro_id}/apply", methods=["GET"])
@mapped
def ticket_after_macro(ticket_id: str, macro_id: str) -> Any:
    from helpdesk.services import api_macros

    caller = _caller()
    return api_macros.apply_to_ticket(_deps(), path_id(ticket_id, "ticket"), path_id(macro_id, "macro"), caller)
