"""SLA routes beyond the policies' CRUD (in app.py): Zendesk's ``PUT /api/v2/slas/policies/reorder`` and
``GET /api/v2/slas/policies/definitions`` (admins)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from helpdesk.api.errors import mapped
from helpdesk.api.requests import RequestContext, listing

sla_api = Blueprint(__name__)
_http = RequestContext(sla_api)


@sla_api.route("/api/v2/slas/policies/reorder.json", methods=["PUT"])
@sla_api.route("/api/v2/slas/policies/reorder", methods=["PUT"])
@mapped
def reorder_sla_policies() -> Any:
    from helpdesk.services.sla.policies import reorder_policies

    ordered = reorder_policies(_http.deps(), _http.json(), _http.caller())
    return listing("sla_policies", [p.to_api() for p in ordered])


@sla_api.route("/api/v2/slas/policies/definitions.json", methods=["GET"])
@sla_api.route("/api/v2/slas/policies/definitions", methods=["GET"])
@mapped
def sla_policy_definitions() -> Any:
    from helpdesk.services.sla.policies import definitions

    return definitions(_http.caller())
