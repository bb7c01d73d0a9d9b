"""The ticket list (``GET /api/v2/tickets``) read page by page from the by_updated index (or, with Zendesk's
``external_id`` filter, the by_external_id index), in both of Zendesk's pagination styles
(helpdesk.api.pagination)."""

from __future__ import annotations

from typing import Any

from helpdesk.api.pagination import Position, lister
from helpdesk.api.requests import RequestContext
from helpdesk.domain.errors import InvalidInput
from helpdesk.domain.tickets import MAX_EXTERNAL_ID_BYTES


def after_position(position: Position | None) -> tuple[int, int] | None:
    if position is None:
        return None
    updated, number = position.get("u"), position.get("id")
    if not isinstance(updated, int) or not isinstance(number, int):
        raise InvalidInput("page[after] must be a cursor this listing gave")
    return updated, number


# Filters Zendesk clients send to the ticket list that no index here serves: refused with where to ask instead,
# never ignored (which would answer every ticket as if it matched).
UNSERVED_FILTERS = {
    "requester_id": "list a requester's tickets at /api/v2/users/{id}/tickets/requested",
    "assignee_id": "list an agent's tickets at /api/v2/users/{id}/tickets/assigned",
    "organization_id": "list an organization's tickets at /api/v2/organizations/{id}/tickets",
    "status": "the ticket list has no status filter (Zendesk's has none either): use a view or search",
    "group_id": "the ticket list has no group filter (Zendesk's has none either): use a view or search",
}


def refuse_unserved_filters(params: dict[str, str]) -> None:
    for name, reason in UNSERVED_FILTERS.items():
        if name in params:
            raise InvalidInput(f"{name}: {reason}")


def ticket_list(context: RequestContext) -> dict[str, Any]:
    from helpdesk.services.api_tickets import ticket_to_api
    from helpdesk.services.ticket_sideloads import sideload

    deps = context.deps()
    params = dict(context.request().query_params or {})
    refuse_unserved_filters(params)
    pages = lister(context, "tickets", "/api/v2/tickets.json")

    external_id = params.get("external_id")
    if external_id is not None and not 0 < len(external_id.encode()) <= MAX_EXTERNAL_ID_BYTES:
        raise InvalidInput(f"external_id must be 1 to {MAX_EXTERNAL_ID_BYTES} bytes")

    def read(limit: int, position: Position | None) -> list[tuple[dict[str, Any], Position]]:
        after = after_position(position)
        found = (deps.ticket_lists.with_external_id(external_id, limit, after) if external_id is not None
                 else deps.tickets.list_updated(limit, after))
        return [(ticket_to_api(ticket), {"u": updated, "id": number}) for ticket, (updated, number) in found]

    body = pages.from_source(read, deps.tickets.stored_count if external_id is None else None)
    return {**body, **sideload(deps, body["tickets"], params.get("include"))}
