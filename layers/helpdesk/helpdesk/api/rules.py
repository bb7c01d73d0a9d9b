"""Trigger administration beyond create/list, and webhooks: Zendesk-compatible routes (a Chalice Blueprint).

Triggers: show, update, delete (``/api/v2/triggers/{id}``, id also as ``12.json``), reorder and definitions.
Webhooks: list, create, show, update (PUT replaces, PATCH merges), delete, the signing secret (GET shows, POST
makes a new one) and the recent invocations. Writes, and everything about webhooks, are for admins.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from helpdesk.api.errors import mapped
from helpdesk.api.requests import RequestContext

rules = Blueprint(__name__)

_http = RequestContext(rules)
_request, _deps, _caller, _json = _http.request, _http.deps, _http.caller, _http.json


@rules.route("/api/v2/triggers/definitions.json", methods=["GET"])
@rules.route("/api/v2/triggers/definitions", methods=["GET"])
@mapped
def trigger_definitions() -> Any:
    from helpdesk.services.trigger_admin import definitions

    _caller()
    return definitions(_deps())


@rules.route("/api/v2/triggers/reorder.json", methods=["PUT"])
@rules.route("/api/v2/triggers/reorder", methods=["PUT"])
@mapped
def reorder_triggers() -> Any:
    from helpdesk.services.trigger_admin import reorder_triggers as reorder

    ordered = reorder(_deps(), _json(), _caller())
    return _http.listing("triggers", [t.to_api() for t in ordered])


@rules.route("/api/v2/triggers/{trigger_id}", methods=["GET", "PUT", "DELETE"])
@mapped
def trigger(trigger_id: str) -> Any:
    from helpdesk.services import trigger_admin

    caller = _caller()
    method = _request().method
    if trigger_id.removesuffix(".json") == "active" and method == "GET":  # Zendesk's GET /triggers/active
        from helpdesk.services.api_tickets import list_triggers

        return _http.listing("triggers", [t.to_api() for t in list_triggers(_deps(), "true")])
    if method == "PUT":
        return {"trigger": trigger_admin.update_trigger(_deps(), trigger_id, _json(), caller).to_api()}
    if method == "DELETE":
        trigger_admin.delete_trigger(_deps(), trigger_id, caller)
        return Response(body="", status_code=204)
    return {"trigger": trigger_admin.show_trigger(_deps(), trigger_id).to_api()}


@rules.route("/api/v2/webhooks.json", methods=["GET", "POST"])
@rules.route("/api/v2/webhooks", methods=["GET", "POST"])
@mapped
def webhooks() -> Any:
    from helpdesk.services import webhooks as service

    caller = _caller()
    if _request().method == "POST":
        created = service.create_webhook(_deps(), _json(), caller)
        return Response(body={"webhook": created.to_api()}, status_code=201,
                        headers={"Location": f"/api/v2/webhooks/{created.id}"})
    found = [w.to_api() for w in service.list_webhooks(_deps(), caller)]
    return {"webhooks": found, "meta": {"has_more": False, "after_cursor": None, "before_cursor": None},
            "links": {"next": None, "prev": None}}


@rules.route("/api/v2/webhooks/{webhook_id}", methods=["GET", "PUT", "PATCH", "DELETE"])
@mapped
def webhook(webhook_id: str) -> Any:
    from helpdesk.services import webhooks as service

    caller = _caller()
    method = _request().method
    if method in ("PUT", "PATCH"):
        service.update_webhook(_deps(), webhook_id, _json(), caller, patch=method == "PATCH")
        return Response(body="", status_code=204)
    if method == "DELETE":
        service.delete_webhook(_deps(), webhook_id, caller)
        return Response(body="", status_code=204)
    return {"webhook": service.show_webhook(_deps(), webhook_id, caller).to_api()}


@rules.route("/api/v2/webhooks/{webhook_id}/signing_secret", methods=["GET", "POST"])
@mapped
def webhook_signing_secret(webhook_id: str) -> Any:
    from helpdesk.services import webhooks as service

    caller = _caller()
    reset = _request().method == "POST"
    found = service.signing_secret(_deps(), webhook_id, caller, reset=reset)
    return Response(body=found.secret_to_api(), status_code=201 if reset else 200)


@rules.route("/api/v2/webhooks/{webhook_id}/invocations", methods=["GET"])
@mapped
def webhook_invocations(webhook_id: str) -> Any:
    from helpdesk.services import webhooks as service

    found = service.invocations(_deps(), webhook_id, _caller())
    return {"invocations": found, "meta": {"has_more": False}, "links": {"next": None, "prev": None}}
