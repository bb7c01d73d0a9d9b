"""SLA routes beyond the policies' CRUD (in app.py): Zendesk's ``PUT /api/v2/slas/policies/reorder`` and
``GET /api/v2/slas/policies/definitions`` (admins); a ticket's metric events and their incremental export
(agents)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from helpdesk.api.errors import mapped
from helpdesk.api.requests import RequestContext, path_id

sla_api = Blueprint(__name__)
_http = RequestContext(sla_api)


@sla_api.route("/api/v2/slas/policies/reorder.json", methods=["PUT"])
@sla_api.route("/api/v2/slas/policies/reorder", methods=["PUT"])
@mapped
def reorder_sla_policies() -> Any:
    from helpdesk.services.sla.policies import reorder_policies

    ordered = reorder_policies(_http.deps(), _http.json(), _http.caller())
    return _http.listing("sla_policies", [p.to_api() for p in ordered])


@sla_api.route("/api/v2/slas/policies/definitions.json", methods=["GET"])
@sla_api.route("/api/v2/slas/policies/definitions", methods=["GET"])
@mapped
def sla_policy_definitions() -> Any:
    from helpdesk.services.sla.policies import definitions

    return definitions(_http.caller())


@sla_api.route("/api/v2/tickets/{ticket_id}/metric_events.json", methods=["GET"])
@sla_api.route("/api/v2/tickets/{ticket_id}/metric_events", methods=["GET"])
@mapped
def ticket_metric_events(ticket_id: str) -> Any:
    from helpdesk.services.sla.show import ticket_metric_events as events

    _http.caller()  # agents and admins only
    found = events(_http.deps(), path_id(ticket_id, "ticket"))
    return {"ticket_metric_events": found, "next_page": None, "previous_page": None, "count": len(found)}


@sla_api.route("/api/v2/incremental/ticket_metric_events.json", methods=["GET"])
@sla_api.route("/api/v2/incremental/ticket_metric_events", methods=["GET"])
@mapped
def incremental_ticket_metric_events() -> Any:
    from helpdesk.services.sla.show import incremental_metric_events

    _http.caller()  # agents and admins only
    params = dict(_http.request().query_params or {})
    return incremental_metric_events(_http.deps(), params.get("start_time"),
                                     "/api/v2/incremental/ticket_metric_events.json")
