"""Ticket metrics' use cases (Zendesk's Ticket Metrics API): read as they were written with each ticket change,
listed through the tickets' ``by_updated`` index (most recently updated first), never by a scan."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from helpdesk.bootstrap import Container
from helpdesk.domain.errors import InvalidInput, NotFound, TicketNotFound
from helpdesk.domain.inputs import ascii_digits
from helpdesk.domain.ticket_metrics import TicketMetrics, from_ticket
from helpdesk.domain.tickets import Ticket

MAX_OFFSET_PAGE = 100  # Zendesk's offset pagination stops at 100 pages; past that, cursor pagination
PATH = "/api/v2/ticket_metrics.json"


def metrics_of(ticket: Ticket) -> TicketMetrics:
    return ticket.metrics if ticket.metrics is not None else from_ticket(ticket)


def ticket_metrics(deps: Container, ticket_id: int) -> dict[str, Any]:
    """``GET /api/v2/tickets/{ticket_id}/metrics``: one read of the ticket."""
    return metrics_of(deps.tickets.get(ticket_id)).to_api()


def ticket_metric(deps: Container, metric_id: int) -> dict[str, Any]:
    """``GET /api/v2/ticket_metrics/{id}``: a ticket's metric set has the ticket's id."""
    try:
        return ticket_metrics(deps, metric_id)
    except TicketNotFound as exc:
        raise NotFound(f"ticket metric {metric_id} does not exist") from exc


def _page_number(params: Mapping[str, str]) -> int | None:
    raw = params.get("page")
    if raw is None:
        return None
    value = raw.strip()
    if not ascii_digits(value) or not 1 <= int(value) <= MAX_OFFSET_PAGE:
        raise InvalidInput(f"page must be a number from 1 to {MAX_OFFSET_PAGE}; use page[after] to go further")
    return int(value)


def list_ticket_metrics(deps: Container, params: Mapping[str, str], size: int) -> dict[str, Any]:
    """Cursor pagination (``page[size]``, ``page[after]``) or offset pagination (``page``, ``per_page``), Zendesk's
    envelopes. Offset page N reads the N pages before it through the index (at most MAX_OFFSET_PAGE of them)."""
    number = _page_number(params)
    if number is None:
        page = deps.tickets.list_recent(size, params.get("page[after]"))
        after = page.after_cursor
        return {
            "ticket_metrics": [metrics_of(t).to_api() for t in page.tickets],
            "meta": {"has_more": after is not None, "after_cursor": after, "before_cursor": None},
            "links": {"next": f"{PATH}?page%5Bsize%5D={size}&page%5Bafter%5D={quote(after)}" if after else None,
                      "prev": None},
        }
    cursor: str | None = None
    tickets: list[Ticket] = []
    more = False
    for index in range(1, number + 1):
        page = deps.tickets.list_recent(size, cursor)
        if index == number:
            tickets, more = page.tickets, page.after_cursor is not None
        elif page.after_cursor is None:
            break  # fewer pages than asked for: an empty page
        cursor = page.after_cursor
    items = [metrics_of(t).to_api() for t in tickets]
    return {
        "ticket_metrics": items,
        "next_page": f"{PATH}?page={number + 1}&per_page={size}" if more else None,
        "previous_page": f"{PATH}?page={number - 1}&per_page={size}" if number > 1 else None,
        "count": len(items),
    }
