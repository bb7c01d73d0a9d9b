"""The account's settings (Zendesk's ``/api/v2/account/settings``): here, the API's rate limit."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from helpdesk.api.errors import mapped
from helpdesk.api.requests import RequestContext

account = Blueprint(__name__)

_http = RequestContext(account)


@account.route("/api/v2/account/settings.json", methods=["GET", "PUT"])
@account.route("/api/v2/account/settings", methods=["GET", "PUT"])
@mapped
def settings() -> Any:
    from helpdesk.services import api_rate_limit

    caller, deps = _http.caller(), _http.deps()
    if _http.request().method == "PUT":
        return api_rate_limit.update_account_settings(deps, _http.json(), caller)
    return api_rate_limit.account_settings(deps)
