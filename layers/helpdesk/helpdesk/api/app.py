"""The HTTP API (Chalice): Zendesk-compatible tickets, comments, triggers and SLA policies; raw inbound mail;
the satisfaction survey page; the web chat widget. Each route is declared as an API event of ApiFunction in
template.yaml."""

from __future__ import annotations

from typing import Any

from chalice.app import Chalice, Response

from helpdesk.api.account_settings import account
from helpdesk.api.attachments import attachments
from helpdesk.api.automations import automations
from helpdesk.api.channel_accounts import channel_accounts_api
from helpdesk.api.deleted_tickets import deleted_tickets
from helpdesk.api.errors import mapped
from helpdesk.api.inbound import inbound
from helpdesk.api.messaging import messaging
from helpdesk.api.organizations import organizations
from helpdesk.api.party_tickets import party_tickets
from helpdesk.api.requests import RequestContext, path_id
from helpdesk.api.rule_insights import insights
from helpdesk.api.rule_sets import rule_sets
from helpdesk.api.rules import rules
from helpdesk.api.satisfaction_ratings import satisfaction_ratings_api
from helpdesk.api.schedules import schedules
from helpdesk.api.sla import sla_api
from helpdesk.api.survey_page import rated_page, rating_form, survey_page
from helpdesk.api.suspended_tickets import suspended_tickets_api
from helpdesk.api.ticket_bulk import ticket_bulk
from helpdesk.api.ticket_metrics import ticket_metrics_api
from helpdesk.api.users import users
from helpdesk.api.views import views_api
from helpdesk.api.web_widget import widget
from helpdesk.api.workspace import workspace

app = Chalice(app_name="helpdesk", configure_logs=False)  # logging is Powertools' (JSON), not a second handler
app.api.binary_types.extend(["message/rfc822", "multipart/form-data"])
app.register_blueprint(inbound)
app.register_blueprint(messaging)
app.register_blueprint(channel_accounts_api)
app.register_blueprint(insights)
app.register_blueprint(rules)
app.register_blueprint(workspace)
app.register_blueprint(automations)
app.register_blueprint(rule_sets)
app.register_blueprint(schedules)
app.register_blueprint(sla_api)
app.register_blueprint(organizations)
app.register_blueprint(users)
app.register_blueprint(widget)
app.register_blueprint(ticket_metrics_api)
app.register_blueprint(ticket_bulk)
app.register_blueprint(deleted_tickets)
app.register_blueprint(attachments)
app.register_blueprint(account)
app.register_blueprint(party_tickets)
app.register_blueprint(views_api)
app.register_blueprint(satisfaction_ratings_api)
app.register_blueprint(suspended_tickets_api)
RAW_MAIL = ["message/rfc822", "application/octet-stream", "text/plain"]
FORM = ["application/x-www-form-urlencoded", "application/json"]

_http = RequestContext(app)
_request, _deps, _caller, _json = _http.request, _http.deps, _http.caller, _http.json


def _id(raw: str) -> int:
    return path_id(raw, "ticket")


@app.middleware("http")
def _fresh_log_keys(event: Any, get_response: Any) -> Any:
    from helpdesk.observability import forget_ticket

    forget_ticket()
    return get_response(event)


def _public_base() -> str:
    from helpdesk.api.pagination import public_base

    return public_base(_deps(), _request().headers)


@app.middleware("http")
def _rate_limit(event: Any, get_response: Any) -> Any:
    """Zendesk's rate limit on the API's routes (helpdesk.services.api_rate_limit)."""
    from helpdesk.services import api_rate_limit

    route = str((event.context or {}).get("resourcePath") or "")
    if not route.startswith("/api/v2/"):
        return get_response(event)
    decision = api_rate_limit.check(_deps())
    if decision is None:
        return get_response(event)
    if not decision.allowed:
        return Response(body={"error": "TooManyRequests", "description": f"the account's limit of "
                              f"{decision.limit} API requests a minute is reached; retry after "
                              f"{decision.retry_after} seconds"}, status_code=429,
                        headers={**decision.headers(), "Retry-After": str(decision.retry_after)})
    response = get_response(event)
    response.headers.update(decision.headers())
    return response


def _log_ticket(ticket_id: int) -> None:
    from helpdesk.observability import bind_ticket

    bind_ticket(ticket_id)


@app.route("/api/v2/tickets.json", methods=["GET", "POST"])
@app.route("/api/v2/tickets", methods=["GET", "POST"])
@mapped
def tickets() -> Any:
    from helpdesk.services import api_tickets

    caller = _caller()
    deps = _deps()
    if _request().method == "POST":
        made = api_tickets.create_ticket_audited(deps, _json(), caller)
        _log_ticket(made.ticket.id)
        return Response(body=api_tickets.answer(made.ticket, made, _public_base()), status_code=201,
                        headers={"Location": f"{_public_base()}/api/v2/tickets/{made.ticket.id}.json"})
    from helpdesk.api.ticket_lists import ticket_list

    return ticket_list(_http)


@app.route("/api/v2/tickets/{ticket_id}", methods=["GET", "PUT", "POST", "DELETE"])
@mapped
def ticket(ticket_id: str) -> Any:
    from helpdesk.api.ticket_bulk import BULK_NAMES, bulk
    from helpdesk.services import api_tickets

    if ticket_id.removesuffix(".json") in BULK_NAMES:
        return bulk(_http, ticket_id.removesuffix(".json"))
    if _request().method == "POST":
        return Response(body={"error": "MethodNotAllowed", "description": "POST /api/v2/tickets to create a "
                              "ticket, or /api/v2/tickets/create_many"}, status_code=405)
    caller = _caller()
    number = _id(ticket_id)
    _log_ticket(number)
    if _request().method == "DELETE":
        from helpdesk.services.ticket_deletion import destroy

        destroy(_deps(), number, caller)
        return Response(body="", status_code=204)
    if _request().method == "PUT":
        ticket, update = api_tickets.update_ticket_audited(_deps(), number, _json(), caller)
        return api_tickets.answer(ticket, update, _public_base())
    from helpdesk.services.sla.show import sla_sideloads
    from helpdesk.services.ticket_sideloads import sideload

    stored = _deps().tickets.get(number)
    shown = api_tickets.ticket_to_api(stored)
    include = dict(_request().query_params or {}).get("include")
    return {"ticket": {**shown, **sla_sideloads(_deps(), stored, include)}, **sideload(_deps(), [shown], include)}


@app.route("/api/v2/tickets/{ticket_id}/audits.json", methods=["GET"])
@app.route("/api/v2/tickets/{ticket_id}/audits", methods=["GET"])
@mapped
def audits(ticket_id: str) -> Any:
    from helpdesk.services import api_tickets

    _caller()
    return _http.listing("audits", api_tickets.ticket_audits(_deps(), _id(ticket_id)))


@app.route("/api/v2/tickets/{ticket_id}/comments.json", methods=["GET"])
@app.route("/api/v2/tickets/{ticket_id}/comments", methods=["GET"])
@mapped
def comments(ticket_id: str) -> Any:
    from helpdesk.services import api_tickets

    _caller()
    number = _id(ticket_id)
    deps = _deps()
    return _http.listing("comments", api_tickets.ticket_comments(deps, number))


@app.route("/api/v2/triggers.json", methods=["GET", "POST"])
@app.route("/api/v2/triggers", methods=["GET", "POST"])
@mapped
def triggers() -> Any:
    from helpdesk.services import api_tickets

    caller = _caller()
    if _request().method == "POST":
        created = api_tickets.create_trigger(_deps(), _json(), caller)
        return Response(body={"trigger": created.to_api()}, status_code=201)
    from helpdesk.services.rule_stats import with_usage

    params = dict(_request().query_params or {})
    found = [t.to_api() for t in api_tickets.list_triggers(_deps(), params.get("active"))]
    return _http.listing("triggers", with_usage(_deps(), found, params.get("include")))


@app.route("/api/v2/slas/policies.json", methods=["GET", "POST"])
@app.route("/api/v2/slas/policies", methods=["GET", "POST"])
@mapped
def sla_policies() -> Any:
    from helpdesk.services import api_tickets

    caller = _caller()
    if _request().method == "POST":
        created = api_tickets.create_sla_policy(_deps(), _json(), caller)
        return Response(body={"sla_policy": created.to_api()}, status_code=201)
    found = [p.to_api() for p in sorted(_deps().rules.sla_policies(), key=lambda p: (p.position, p.id))]
    return _http.listing("sla_policies", found)


@app.route("/api/v2/slas/policies/{sla_policy_id}", methods=["GET", "PUT", "DELETE"])
@mapped
def sla_policy(sla_policy_id: str) -> Any:
    from helpdesk.services import api_tickets

    caller = _caller()
    number = path_id(sla_policy_id, "SLA policy")
    method = _request().method
    if method == "PUT":
        return {"sla_policy": api_tickets.update_sla_policy(_deps(), number, _json(), caller).to_api()}
    if method == "DELETE":
        api_tickets.delete_sla_policy(_deps(), number, caller)
        return Response(body="", status_code=204)
    return {"sla_policy": api_tickets.sla_policy(_deps(), number).to_api()}


UPLOAD_TYPES = ["application/binary", "application/octet-stream", "application/pdf", "image/png", "image/jpeg",
                "image/gif", "text/plain", "text/csv", "application/zip"]
app.api.binary_types.extend(t for t in UPLOAD_TYPES if t not in app.api.binary_types)


@app.route("/api/v2/uploads.json", methods=["POST"], content_types=UPLOAD_TYPES)
@app.route("/api/v2/uploads", methods=["POST"], content_types=UPLOAD_TYPES)
@mapped
def uploads() -> Any:
    from helpdesk.services import api_tickets

    _caller()
    request = _request()
    raw = request.raw_body or b""
    data = raw if isinstance(raw, bytes) else str(raw).encode()
    content_type = request.headers.get("content-type", "application/binary").split(";")[0].strip()
    params: dict[str, str] = dict(request.query_params or {})
    upload = api_tickets.create_upload(_deps(), params.get("filename", ""), content_type, data)
    return Response(body={"upload": upload}, status_code=201)


@app.route("/api/v2/recipient_addresses.json", methods=["GET", "POST"])
@app.route("/api/v2/recipient_addresses", methods=["GET", "POST"])
@mapped
def recipient_addresses() -> Any:
    from helpdesk.services import api_tickets

    caller = _caller()
    if _request().method == "POST":
        created = api_tickets.create_recipient_address(_deps(), _json(), caller)
        return Response(body={"recipient_address": created.to_api()}, status_code=201)
    found = [a.to_api() for a in sorted(_deps().rules.recipient_addresses(), key=lambda a: a.id)]
    return _http.listing("recipient_addresses", found)


@app.route("/inbound/email/raw", methods=["POST"], content_types=RAW_MAIL)
@mapped
def inbound_raw_email() -> Any:
    from helpdesk.services.inbound_email import queue_raw_email

    _caller()
    raw = _request().raw_body
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    queued = queue_raw_email(_deps(), raw or b"", source="api")
    body = {"message_id": queued.message_id, "queued": queued.dropped is None, "dropped": queued.dropped}
    return Response(body=body, status_code=202)


@app.route("/surveys/{token}", methods=["GET"])
@mapped
def survey(token: str) -> Any:
    from helpdesk.services import surveys

    found = surveys.open_survey(_deps(), token)
    return Response(body=survey_page(found.id, found.subject), status_code=200,
                    headers={"Content-Type": "text/html; charset=utf-8"})


@app.route("/surveys/{token}", methods=["POST"], content_types=FORM)
@mapped
def survey_rating(token: str) -> Any:
    from helpdesk.services import surveys

    deps = _deps()
    request = _request()
    form = rating_form(request.raw_body or b"", request.headers.get("content-type", ""))
    rated = surveys.rate(deps, token, form.get("score", ""), form.get("comment", ""))
    return Response(body=rated_page(rated.id, rated.satisfaction.score), status_code=200,
                    headers={"Content-Type": "text/html; charset=utf-8"})
