"""A user's and an organization's tickets, as Zendesk lists them: ``/api/v2/users/{id}/tickets/requested``,
``.../assigned`` and ``/api/v2/organizations/{id}/tickets``, in both pagination styles, read through indexes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint

from helpdesk.api.errors import mapped
from helpdesk.api.pagination import Position, lister
from helpdesk.api.requests import RequestContext, path_id
from helpdesk.domain.errors import InvalidInput

party_tickets = Blueprint(__name__)

_http = RequestContext(party_tickets)
KINDS = ("requested", "assigned", "ccd")


def _listing(path: str, read: Callable[[int, tuple[Any, int] | None], list[Any]], first: str) -> dict[str, Any]:
    """The page of ``read``'s tickets; ``first`` names the position's first part (u: updated_at, s: status)."""
    from helpdesk.services.api_tickets import ticket_to_api
    from helpdesk.services.ticket_sideloads import sideload

    def source(limit: int, position: Position | None) -> list[tuple[dict[str, Any], Position]]:
        after = None
        if position is not None:
            if not isinstance(position.get(first), int | str) or not isinstance(position.get("id"), int):
                raise InvalidInput("page[after] must be a cursor this listing gave")
            after = (position[first], position["id"])
        return [(ticket_to_api(ticket), {first: at[0], "id": at[1]}) for ticket, at in read(limit, after)]

    body = lister(_http, "tickets", path).from_source(source)
    include = dict(_http.request().query_params or {}).get("include")
    return {**body, **sideload(_http.deps(), body["tickets"], include)}


@party_tickets.route("/api/v2/users/{user_id}/tickets/{kind}", methods=["GET"])
@mapped
def user_tickets(user_id: str, kind: str) -> Any:
    _http.caller()
    deps = _http.deps()
    number = path_id(user_id, "user")
    name = kind.removesuffix(".json")
    if name not in KINDS:
        raise InvalidInput(f"{kind!r}: a user's tickets are listed as requested, assigned or ccd")
    if name == "ccd":
        raise InvalidInput("ccd: the tickets a user is copied on are not served by an index yet; list the "
                           "requested or assigned tickets")
    deps.users.get(number)  # 404 for a user that does not exist
    lists = deps.ticket_lists
    if name == "requested":
        return _listing(f"/api/v2/users/{number}/tickets/requested.json",
                        lambda limit, after: lists.requested(number, limit, after), "u")
    return _listing(f"/api/v2/users/{number}/tickets/assigned.json",
                    lambda limit, after: lists.assigned(number, limit, after), "s")


@party_tickets.route("/api/v2/organizations/{organization_id}/tickets.json", methods=["GET"])
@party_tickets.route("/api/v2/organizations/{organization_id}/tickets", methods=["GET"])
@mapped
def organization_tickets(organization_id: str) -> Any:
    _http.caller()
    deps = _http.deps()
    number = path_id(organization_id, "organization")
    deps.organizations.get(number)  # 404 for an organization that does not exist
    return _listing(f"/api/v2/organizations/{number}/tickets.json",
                    lambda limit, after: deps.ticket_lists.of_organization(number, limit, after), "u")
