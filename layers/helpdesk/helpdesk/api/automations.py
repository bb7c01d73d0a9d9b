"""Automations, Zendesk's ``/api/v2/automations`` (admins write, agents read)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from helpdesk.api.errors import mapped
from helpdesk.api.rule_resources import body, caller, deps, listing, path_id, request_of

automations = Blueprint(__name__)


@automations.route("/api/v2/automations.json", methods=["GET", "POST"])
@automations.route("/api/v2/automations", methods=["GET", "POST"])
@mapped
def automation_list() -> Any:
    from helpdesk.services import automations as service

    user = caller(automations)
    if request_of(automations).method == "POST":
        created = service.create_automation(deps(), body(automations), user)
        return Response(body={"automation": created.to_api()}, status_code=201)
    return listing("automations", service.list_automations(deps()))


@automations.route("/api/v2/automations/{automation_id}", methods=["GET", "PUT", "DELETE"])
@mapped
def automation_item(automation_id: str) -> Any:
    from helpdesk.services import automations as service

    user = caller(automations)
    number = path_id(automation_id, "automation")
    method = request_of(automations).method
    if method == "PUT":
        return {"automation": service.update_automation(deps(), number, body(automations), user).to_api()}
    if method == "DELETE":
        service.delete_automation(deps(), number, user)
        return Response(body="", status_code=204)
    return {"automation": deps().automations.get(number).to_api()}
