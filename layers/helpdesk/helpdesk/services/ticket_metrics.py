"""Ticket metrics' use cases (Zendesk's Ticket Metrics API): read as they were written with each ticket change,
listed through the tickets' ``by_updated`` index (most recently updated first), never by a scan."""

from __future__ import annotations

from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.errors import NotFound, TicketNotFound
from helpdesk.domain.ticket_metrics import TicketMetrics, from_ticket
from helpdesk.domain.tickets import Ticket

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
