"""Channel accounts through the API: the WhatsApp numbers, pages, Instagram accounts, Twilio numbers and web chat
widgets this deployment answers, each shown with its health (last success, last error, token state). Agents read
them; admins create, change and delete them."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from helpdesk.api.errors import mapped
from helpdesk.api.requests import RequestContext, path_id

channel_accounts_api = Blueprint(__name__)
_http = RequestContext(channel_accounts_api)


@channel_accounts_api.route("/api/v2/channel_accounts.json", methods=["GET", "POST"])
@channel_accounts_api.route("/api/v2/channel_accounts", methods=["GET", "POST"])
@mapped
def channel_accounts() -> Any:
    from helpdesk.services.messaging import channel_accounts as accounts

    caller, deps = _http.caller(), _http.deps()
    if _http.request().method == "POST":
        created = accounts.create_account(deps, _http.json(), caller)
        return Response(body={"channel_account": accounts.shown(deps, created)}, status_code=201)
    return _http.listing("channel_accounts", [accounts.shown(deps, a) for a in accounts.list_accounts(deps)])


@channel_accounts_api.route("/api/v2/channel_accounts/{account_id}", methods=["GET", "PUT", "DELETE"])
@mapped
def channel_account(account_id: str) -> Any:
    from helpdesk.services.messaging import channel_accounts as accounts

    caller, deps = _http.caller(), _http.deps()
    number, method = path_id(account_id, "channel account"), _http.request().method
    if method == "PUT":
        return {"channel_account": accounts.shown(deps, accounts.update_account(deps, number, _http.json(), caller))}
    if method == "DELETE":
        accounts.delete_account(deps, number, caller)
        return Response(body="", status_code=204)
    return {"channel_account": accounts.shown(deps, accounts.get_account(deps, number))}
