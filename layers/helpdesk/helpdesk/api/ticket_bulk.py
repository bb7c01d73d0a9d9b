"""Bulk ticket calls and what hangs off a ticket besides comments: ``show_many``, ``create_many``,
``update_many`` (answered by the ``{ticket_id}`` view, so API Gateway and Chalice never choose between a literal
segment and the id variable), job statuses, and a ticket's tags."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from helpdesk.api.errors import mapped
from helpdesk.api.pagination import public_base
from helpdesk.api.requests import RequestContext, path_id

ticket_bulk = Blueprint(__name__)

_http = RequestContext(ticket_bulk)
BULK_NAMES = {"show_many", "create_many", "update_many", "destroy_many"}


def bulk(context: RequestContext, name: str) -> Any:
    """``/api/v2/tickets/{show_many|create_many|update_many}`` (called by the ticket view)."""
    from helpdesk.services import api_tickets
    from helpdesk.services import ticket_bulk as service

    caller, deps = context.caller(), context.deps()
    request = context.request()
    params = dict(request.query_params or {})
    if request.query_params is not None and "ids" in request.query_params:  # ids=1,2 or ids=1&ids=2 (zdesk)
        params["ids"] = ",".join(request.query_params.getlist("ids"))
    wanted = {"show_many": "GET", "create_many": "POST", "update_many": "PUT", "destroy_many": "DELETE"}[name]
    if request.method != wanted:
        return Response(body={"error": "MethodNotAllowed", "description": f"{name} takes {wanted}"},
                        status_code=405)
    if name == "show_many":
        found = service.show_many(deps, service.parse_ids(params.get("ids")))
        return context.listing("tickets", [api_tickets.ticket_to_api(t) for t in found],
                               "/api/v2/tickets/show_many.json")
    base = public_base(deps, request.headers)
    if name == "destroy_many":
        from helpdesk.services.ticket_deletion import destroy_many

        return {"job_status": destroy_many(deps, service.parse_ids(params.get("ids")), caller, base)}
    if name == "create_many":
        job = service.create_many(deps, context.json(), caller, base)
    else:
        job = service.update_many(deps, params.get("ids"), context.json(), caller, base)
    return {"job_status": job}


@ticket_bulk.route("/api/v2/job_statuses/{job_status_id}", methods=["GET"])
@mapped
def job_status(job_status_id: str) -> Any:
    from helpdesk.services import ticket_bulk as service

    _http.caller()
    deps = _http.deps()
    name = job_status_id.removesuffix(".json")
    if name == "show_many":
        params = dict(_http.request().query_params or {})
        return {"job_statuses": service.job_statuses(deps, params.get("ids"))}
    return {"job_status": service.job_status(deps, name)}


@ticket_bulk.route("/api/v2/tickets/{ticket_id}/tags.json", methods=["GET", "PUT", "POST", "DELETE"])
@ticket_bulk.route("/api/v2/tickets/{ticket_id}/tags", methods=["GET", "PUT", "POST", "DELETE"])
@mapped
def tags(ticket_id: str) -> Any:
    from helpdesk.services import ticket_tags

    caller, deps = _http.caller(), _http.deps()
    number = path_id(ticket_id, "ticket")
    request = _http.request()
    if request.method == "GET":
        return {"tags": ticket_tags.tags(deps, number)}
    params = dict(request.query_params or {})
    payload = _http.json() if request.raw_body else {}
    return {"tags": ticket_tags.edit_tags(deps, number, request.method, payload, params.get("tags"), caller)}


@ticket_bulk.route("/api/v2/tickets/{ticket_id}/merge.json", methods=["POST"])
@ticket_bulk.route("/api/v2/tickets/{ticket_id}/merge", methods=["POST"])
@mapped
def merge(ticket_id: str) -> Any:
    from helpdesk.services.ticket_merge import merge as merge_tickets

    caller, deps = _http.caller(), _http.deps()
    job = merge_tickets(deps, path_id(ticket_id, "ticket"), _http.json(), caller,
                        public_base(deps, _http.request().headers))
    return {"job_status": job}
