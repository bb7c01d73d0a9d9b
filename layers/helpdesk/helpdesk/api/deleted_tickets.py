"""Deleted tickets (Zendesk's ``/api/v2/deleted_tickets``): listed most recently deleted first in both pagination
styles, restored one by one or many at once, deleted for good. ``restore_many`` and ``destroy_many`` are answered
by the ``{deleted_ticket_id}`` view, so API Gateway and Chalice never choose between a literal segment and the id
variable."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from helpdesk.api.errors import mapped
from helpdesk.api.pagination import Position, lister, public_base
from helpdesk.api.requests import RequestContext, path_id
from helpdesk.domain.errors import InvalidInput

deleted_tickets = Blueprint(__name__)

_http = RequestContext(deleted_tickets)


def ids_param(context: RequestContext) -> str:
    """``ids`` as Zendesk takes it (``ids=1,2``), also when a client repeats it (``ids=1&ids=2``)."""
    raw = context.request().query_params
    return ",".join(raw.getlist("ids")) if raw is not None and "ids" in raw else ""


@deleted_tickets.route("/api/v2/deleted_tickets.json", methods=["GET"])
@deleted_tickets.route("/api/v2/deleted_tickets", methods=["GET"])
@mapped
def listing() -> Any:
    from helpdesk.services.ticket_deletion import deleted_to_api

    _http.caller()
    deps = _http.deps()

    def read(limit: int, position: Position | None) -> list[tuple[dict[str, Any], Position]]:
        after = None
        if position is not None:
            if not isinstance(position.get("u"), int) or not isinstance(position.get("id"), int):
                raise InvalidInput("page[after] must be a cursor this listing gave")
            after = (position["u"], position["id"])
        return [(deleted_to_api(deps, ticket, deleted), {"u": deleted["position"][0], "id": deleted["position"][1]})
                for ticket, deleted in deps.deleted_tickets.listing(limit, after)]

    return lister(_http, "deleted_tickets", "/api/v2/deleted_tickets.json").from_source(read)


@deleted_tickets.route("/api/v2/deleted_tickets/{deleted_ticket_id}", methods=["PUT", "DELETE"])
@mapped
def item(deleted_ticket_id: str) -> Any:
    from helpdesk.services import ticket_deletion
    from helpdesk.services.ticket_bulk import parse_ids

    _http.caller()
    deps = _http.deps()
    request = _http.request()
    base = public_base(deps, request.headers)
    name = deleted_ticket_id.removesuffix(".json")
    if name == "restore_many" and request.method == "PUT":
        return {"job_status": ticket_deletion.restore_many(deps, parse_ids(ids_param(_http)), base)}
    if name == "destroy_many" and request.method == "DELETE":
        return {"job_status": ticket_deletion.purge_many(deps, parse_ids(ids_param(_http)), base)}
    if request.method == "PUT":
        return Response(body={"error": "MethodNotAllowed", "description": "restore a deleted ticket with PUT "
                              "/api/v2/deleted_tickets/{id}/restore, or many with restore_many?ids="},
                        status_code=405)
    number = path_id(deleted_ticket_id, "ticket")
    return {"job_status": ticket_deletion.purge_many(deps, [number], base)}


@deleted_tickets.route("/api/v2/deleted_tickets/{deleted_ticket_id}/restore.json", methods=["PUT"])
@deleted_tickets.route("/api/v2/deleted_tickets/{deleted_ticket_id}/restore", methods=["PUT"])
@mapped
def restore(deleted_ticket_id: str) -> Any:
    from helpdesk.services import ticket_deletion

    _http.caller()
    ticket_deletion.restore(_http.deps(), path_id(deleted_ticket_id, "ticket"))
    return Response(body="", status_code=200)
