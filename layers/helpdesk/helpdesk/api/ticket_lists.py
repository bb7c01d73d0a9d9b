"""The ticket list (``GET /api/v2/tickets``) read page by page from the by_updated index, in both of Zendesk's
pagination styles (helpdesk.api.pagination)."""

from __future__ import annotations

from typing import Any

from helpdesk.api.pagination import Position, lister
from helpdesk.api.requests import RequestContext
from helpdesk.domain.errors import InvalidInput


def _after(position: Position | None) -> tuple[int, int] | None:
    if position is None:
        return None
    updated, number = position.get("u"), position.get("id")
    if not isinstance(updated, int) or not isinstance(number, int):
        raise InvalidInput("page[after] must be a cursor this listing gave")
    return updated, number


def ticket_list(context: RequestContext) -> dict[str, Any]:
    from helpdesk.services.api_tickets import ticket_to_api

    deps = context.deps()
    pages = lister(context, "tickets", "/api/v2/tickets.json")

    def read(limit: int, position: Position | None) -> list[tuple[dict[str, Any], Position]]:
        return [(ticket_to_api(ticket), {"u": updated, "id": number})
                for ticket, (updated, number) in deps.tickets.list_updated(limit, _after(position))]

    return pages.from_source(read, deps.tickets.stored_count)
