"""Automations, Zendesk's ``/api/v2/automations`` (admins write, agents read)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from helpdesk.api.errors import mapped
from helpdesk.api.requests import RequestContext, path_id

automations = Blueprint(__name__)
_http = RequestContext(automations)


@automations.route("/api/v2/automations.json", methods=["GET", "POST"])
@automations.route("/api/v2/automations", methods=["GET", "POST"])
@mapped
def automation_list() -> Any:
    from helpdesk.services import automations as service

    user = _http.caller()
    if _http.request().method == "POST":
        created = service.create_automation(_http.deps(), _http.json(), user)
        return Response(body={"automation": created.to_api()}, status_code=201)
    return _http.listing("automations", [item.to_api() for item in service.list_automations(_http.deps())])


@automations.route("/api/v2/automations/{automation_id}", methods=["GET", "PUT", "DELETE"])
@mapped
def automation_item(automation_id: str) -> Any:
    from helpdesk.services import automations as service

    user = _http.caller()
    number = path_id(automation_id, "automation")
    method = _http.request().method
    if method == "PUT":
        return {"automation": service.update_automation(_http.deps(), number, _http.json(), user).to_api()}
    if method == "DELETE":
        service.delete_automation(_http.deps(), number, user)
        return Response(body="", status_code=204)
    return {"automation": _http.deps().automations.get(number).to_api()}
