"""Organizations (Zendesk's /api/v2/organizations): requesters' companies, whose fields rules can read."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from helpdesk.api.errors import mapped
from helpdesk.domain.errors import InvalidInput

organizations = Blueprint(__name__)


def _request() -> Any:
    request = organizations.current_request
    if request is None:  # pragma: no cover - Chalice sets it before calling a view
        raise RuntimeError("no current request")
    return request


def _context() -> tuple[Any, Any]:
    from helpdesk.bootstrap import container
    from helpdesk.services.auth import authenticate

    deps = container()
    return deps, authenticate(deps, _request().headers.get("authorization"))


def _body() -> dict[str, Any]:
    body = _request().json_body
    if not isinstance(body, dict):
        raise InvalidInput('the body must be {"organization": {...}}')
    return body


def _id(raw: str) -> int:
    value = raw.removesuffix(".json")
    if not value.isdigit():
        raise InvalidInput(f"{raw!r} is not an organization id")
    return int(value)


@organizations.route("/api/v2/organizations.json", methods=["GET", "POST"])
@organizations.route("/api/v2/organizations", methods=["GET", "POST"])
@mapped
def collection() -> Any:
    from helpdesk.services import organizations as service

    deps, caller = _context()
    if _request().method == "POST":
        created = service.create_organization(deps, _body(), caller)
        return Response(body={"organization": created.to_api()}, status_code=201)
    found = [o.to_api() for o in service.list_organizations(deps)]
    return {"organizations": found, "next_page": None, "previous_page": None, "count": len(found)}


@organizations.route("/api/v2/organizations/{organization_id}", methods=["GET", "PUT", "DELETE"])
@mapped
def item(organization_id: str) -> Any:
    from helpdesk.services import organizations as service

    deps, caller = _context()
    number = _id(organization_id)
    method = _request().method
    if method == "PUT":
        return {"organization": service.update_organization(deps, number, _body(), caller).to_api()}
    if method == "DELETE":
        service.delete_organization(deps, number, caller)
        return Response(body="", status_code=204)
    return {"organization": deps.organizations.get(number).to_api()}
