"""Rule insights: how often each trigger fired (last 24 hours, 7 days) and a dry run of a trigger before saving it.

Register on the app with ``app.register_blueprint(insights)``; each route is also an API event of ApiFunction.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from helpdesk.api.errors import mapped
from helpdesk.api.requests import RequestContext

insights = Blueprint(__name__)

_http = RequestContext(insights)
_request, _deps, _caller, _json = _http.request, _http.deps, _http.caller, _http.json


@insights.route("/api/v2/rule_stats/triggers.json", methods=["GET"])
@insights.route("/api/v2/rule_stats/triggers", methods=["GET"])
@mapped
def trigger_stats() -> Any:
    from helpdesk.services import rule_stats

    _caller()
    return rule_stats.trigger_stats(_deps())


@insights.route("/api/v2/rule_stats/dry_run.json", methods=["POST"])
@insights.route("/api/v2/rule_stats/dry_run", methods=["POST"])
@mapped
def dry_run() -> Any:
    from helpdesk.services import rule_dry_run

    caller = _caller()
    body = _json()
    params: dict[str, str] = dict(_request().query_params or {})
    limit = rule_dry_run.parse_limit(params.get("limit"))
    return rule_dry_run.dry_run(_deps(), body, caller, limit)
