"""What ``GET /api/v2/tickets/{id}.json?include=...`` adds for SLA: ``slas`` (Zendesk's ``policy_metrics``) and
``metric_events`` (the ticket's metric events by metric); the metric event lists, per ticket and incremental."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain import sla
from helpdesk.domain.clock import to_epoch
from helpdesk.domain.errors import InvalidInput, TicketNotFound
from helpdesk.domain.inputs import whole_number
from helpdesk.domain.sla.events import by_metric
from helpdesk.domain.tickets import Ticket


def includes(raw: str | None) -> set[str]:
    return {part.strip() for part in (raw or "").split(",") if part.strip()}


def sla_sideloads(deps: Container, ticket: Ticket, include: str | None) -> dict[str, Any]:
    """The ticket object's extra keys for the ``include`` list asked for (the others are not ours)."""
    wanted = includes(include)
    extra: dict[str, Any] = {}
    if "slas" in wanted:
        extra["slas"] = sla.policy_metrics(ticket, deps.clock.now())
    if "metric_events" in wanted:
        extra["metric_events"] = by_metric(deps.tickets.metric_events(ticket.id))
    return extra


def ticket_metric_events(deps: Container, ticket_id: int) -> list[dict[str, Any]]:
    deps.tickets.get(ticket_id)  # 404 for a ticket that does not exist
    return deps.tickets.metric_events(ticket_id)


INCREMENTAL_LIMIT = 1000


def incremental_metric_events(deps: Container, start_time: Any, base_url: str) -> dict[str, Any]:
    """Zendesk's time-based incremental export of ticket metric events: from ``start_time`` (epoch seconds) on,
    up to about 1,000 a page, with ``end_time``, ``next_page``, ``count`` and ``end_of_stream``."""
    now = to_epoch(deps.clock.now())
    start = whole_number(start_time) if isinstance(start_time, str) else None
    if start is None:
        raise InvalidInput("start_time is required: a Unix epoch time in seconds")
    if start > now:
        raise InvalidInput("start_time is in the future")
    with suppress(TicketNotFound):  # nothing was written before the first ticket: 0 starts there, not in 1970
        start = max(start, to_epoch(deps.tickets.get(1).created_at))
    events, end_time, ended = deps.tickets.metric_events_since(start, now, INCREMENTAL_LIMIT)
    return {"ticket_metric_events": events, "count": len(events), "end_time": end_time,
            "next_page": f"{base_url}?start_time={end_time}", "end_of_stream": ended}
