"""Ticket metrics (Zendesk's /api/v2/ticket_metrics and /api/v2/tickets/{id}/metrics), read-only."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from helpdesk.api.errors import mapped
from helpdesk.api.requests import RequestContext, path_id

ticket_metrics_api = Blueprint(__name__)
_http = RequestContext(ticket_metrics_api)


@ticket_metrics_api.route("/api/v2/ticket_metrics.json", methods=["GET"])
@ticket_metrics_api.route("/api/v2/ticket_metrics", methods=["GET"])
@mapped
def collection() -> Any:
    from helpdesk.api.pagination import Position, lister
    from helpdesk.api.ticket_lists import after_position
    from helpdesk.services import ticket_metrics as service

    _http.caller()
    deps = _http.deps()

    def read(limit: int, position: Position | None) -> list[tuple[dict[str, Any], Position]]:
        return [(service.metrics_of(ticket).to_api(), {"u": updated, "id": number})
                for ticket, (updated, number) in deps.tickets.list_updated(limit, after_position(position))]

    return lister(_http, "ticket_metrics", service.PATH).from_source(read, deps.tickets.stored_count)


@ticket_metrics_api.route("/api/v2/ticket_metrics/{ticket_metric_id}", methods=["GET"])
@mapped
def item(ticket_metric_id: str) -> Any:
    from helpdesk.services import ticket_metrics as service

    _http.caller()
    number = path_id(ticket_metric_id, "ticket metric")
    return {"ticket_metric": service.ticket_metric(_http.deps(), number)}


@ticket_metrics_api.route("/api/v2/tickets/{ticket_id}/metrics.json", methods=["GET"])
@ticket_metrics_api.route("/api/v2/tickets/{ticket_id}/metrics", methods=["GET"])
@mapped
def of_ticket(ticket_id: str) -> Any:
    from helpdesk.services import ticket_metrics as service

    _http.caller()
    return {"ticket_metric": service.ticket_metrics(_http.deps(), path_id(ticket_id, "ticket"))}
