"""Business-hours schedules, Zendesk's ``/api/v2/business_hours/schedules`` (admins write, agents read)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from helpdesk.api.errors import mapped
from helpdesk.api.rule_resources import body, caller, deps, listing, path_id, request_of

schedules = Blueprint(__name__)


@schedules.route("/api/v2/business_hours/schedules.json", methods=["GET", "POST"])
@schedules.route("/api/v2/business_hours/schedules", methods=["GET", "POST"])
@mapped
def schedule_list() -> Any:
    from helpdesk.services import business_hours

    user = caller(schedules)
    if request_of(schedules).method == "POST":
        created = business_hours.create_schedule(deps(), body(schedules), user)
        return Response(body={"schedule": created.to_api()}, status_code=201)
    return listing("schedules", business_hours.list_schedules(deps()))


@schedules.route("/api/v2/business_hours/schedules/{schedule_id}", methods=["GET", "PUT", "DELETE"])
@mapped
def schedule_item(schedule_id: str) -> Any:
    from helpdesk.services import business_hours

    user = caller(schedules)
    number = path_id(schedule_id, "schedule")
    method = request_of(schedules).method
    if method == "PUT":
        return {"schedule": business_hours.update_schedule(deps(), number, body(schedules), user).to_api()}
    if method == "DELETE":
        business_hours.delete_schedule(deps(), number, user)
        return Response(body="", status_code=204)
    return {"schedule": deps().schedules.get(number).to_api()}
