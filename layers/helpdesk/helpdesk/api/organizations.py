"""Organizations (Zendesk's /api/v2/organizations): requesters' companies, whose fields rules can read."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from helpdesk.api.errors import mapped
from helpdesk.api.requests import RequestContext, path_id

organizations = Blueprint(__name__)


_http = RequestContext(organizations)


def _context() -> tuple[Any, Any]:
    return _http.deps(), _http.caller()


@organizations.route("/api/v2/organizations.json", methods=["GET", "POST"])
@organizations.route("/api/v2/organizations", methods=["GET", "POST"])
@mapped
def collection() -> Any:
    from helpdesk.services import organizations as service

    deps, caller = _context()
    if _http.request().method == "POST":
        created = service.create_organization(deps, _http.json(), caller)
        return Response(body={"organization": created.to_api()}, status_code=201)
    found = [o.to_api() for o in service.list_organizations(deps)]
    return _http.listing("organizations", found)


@organizations.route("/api/v2/organizations/{organization_id}", methods=["GET", "PUT", "DELETE"])
@mapped
def item(organization_id: str) -> Any:
    from helpdesk.services import organizations as service

    deps, caller = _context()
    number = path_id(organization_id, "organization")
    method = _http.request().method
    if method == "PUT":
        return {"organization": service.update_organization(deps, number, _http.json(), caller).to_api()}
    if method == "DELETE":
        service.delete_organization(deps, number, caller)
        return Response(body="", status_code=204)
    return {"organization": deps.organizations.get(number).to_api()}
