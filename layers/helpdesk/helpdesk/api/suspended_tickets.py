"""Suspended tickets (Zendesk's /api/v2/suspended_tickets): mail held back, listed, recovered or deleted."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from helpdesk.api.errors import mapped
from helpdesk.api.requests import RequestContext, path_id

suspended_tickets_api = Blueprint(__name__)
_http = RequestContext(suspended_tickets_api)
PATH = "/api/v2/suspended_tickets.json"


@suspended_tickets_api.route("/api/v2/suspended_tickets.json", methods=["GET"])
@suspended_tickets_api.route("/api/v2/suspended_tickets", methods=["GET"])
@mapped
def collection() -> Any:
    from helpdesk.services import suspended_tickets as service

    _http.caller()
    params = dict(_http.request().query_params or {})
    items, after = service.list_suspended(_http.deps(), params, _http.page_size())
    return _http.cursor_page("suspended_tickets", items, after)


@suspended_tickets_api.route("/api/v2/suspended_tickets/{suspended_id}", methods=["GET", "DELETE"])
@mapped
def item(suspended_id: str) -> Any:
    from helpdesk.services import suspended_tickets as service

    _http.caller()
    number = path_id(suspended_id, "suspended ticket")
    if _http.request().method == "DELETE":
        service.delete(_http.deps(), number)
        return Response(body="", status_code=204)
    return {"suspended_ticket": service.suspended(_http.deps(), number).to_api()}


@suspended_tickets_api.route("/api/v2/suspended_tickets/{suspended_id}/recover.json", methods=["PUT"])
@suspended_tickets_api.route("/api/v2/suspended_tickets/{suspended_id}/recover", methods=["PUT"])
@mapped
def recover(suspended_id: str) -> Any:
    from helpdesk.services import api_tickets
    from helpdesk.services import suspended_tickets as service

    _http.caller()
    ticket = service.recover(_http.deps(), path_id(suspended_id, "suspended ticket"))
    return {"ticket": api_tickets.ticket_to_api(ticket)}
