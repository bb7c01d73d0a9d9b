"""Freshdesk-style rule sets (on create: first or all matching rules; on update: events and performer)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from helpdesk.api.errors import mapped
from helpdesk.api.requests import RequestContext, path_id

rule_sets = Blueprint(__name__)
_http = RequestContext(rule_sets)


@rule_sets.route("/api/v2/rule_sets.json", methods=["GET", "POST"])
@rule_sets.route("/api/v2/rule_sets", methods=["GET", "POST"])
@mapped
def rule_set_list() -> Any:
    from helpdesk.services import rule_sets as service

    user = _http.caller()
    if _http.request().method == "POST":
        created = service.create_rule_set(_http.deps(), _http.json(), user)
        return Response(body={"rule_set": created.to_api()}, status_code=201)
    return _http.listing("rule_sets", [item.to_api() for item in service.list_rule_sets(_http.deps())])


@rule_sets.route("/api/v2/rule_sets/{rule_set_id}", methods=["GET", "PUT", "DELETE"])
@mapped
def rule_set_item(rule_set_id: str) -> Any:
    from helpdesk.services import rule_sets as service

    user = _http.caller()
    number = path_id(rule_set_id, "rule set")
    method = _http.request().method
    if method == "PUT":
        return {"rule_set": service.update_rule_set(_http.deps(), number, _http.json(), user).to_api()}
    if method == "DELETE":
        service.delete_rule_set(_http.deps(), number, user)
        return Response(body="", status_code=204)
    return {"rule_set": _http.deps().rule_sets.get(number).to_api()}
