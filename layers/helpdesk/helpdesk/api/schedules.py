"""Business-hours schedules, Zendesk's ``/api/v2/business_hours/schedules`` (admins write, agents read)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from helpdesk.api.errors import mapped
from helpdesk.api.requests import RequestContext, path_id

schedules = Blueprint(__name__)
_http = RequestContext(schedules)


@schedules.route("/api/v2/business_hours/schedules.json", methods=["GET", "POST"])
@schedules.route("/api/v2/business_hours/schedules", methods=["GET", "POST"])
@mapped
def schedule_list() -> Any:
    from helpdesk.services import business_hours

    user = _http.caller()
    if _http.request().method == "POST":
        created = business_hours.create_schedule(_http.deps(), _http.json(), user)
        return Response(body={"schedule": created.to_api()}, status_code=201)
    return _http.listing("schedules", [item.to_api() for item in business_hours.list_schedules(_http.deps())])


@schedules.route("/api/v2/business_hours/schedules/{schedule_id}", methods=["GET", "PUT", "DELETE"])
@mapped
def schedule_item(schedule_id: str) -> Any:
    from helpdesk.services import business_hours

    user = _http.caller()
    number = path_id(schedule_id, "schedule")
    method = _http.request().method
    if method == "PUT":
        return {"schedule": business_hours.update_schedule(_http.deps(), number, _http.json(), user).to_api()}
    if method == "DELETE":
        business_hours.delete_schedule(_http.deps(), number, user)
        return Response(body="", status_code=204)
    return {"schedule": _http.deps().schedules.get(number).to_api()}
