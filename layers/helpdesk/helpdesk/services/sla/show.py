"""What ``GET /api/v2/tickets/{id}.json?include=...`` adds for SLA: ``slas`` (Zendesk's ``policy_metrics``)."""

from __future__ import annotations

from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain import sla
from helpdesk.domain.tickets import Ticket


def includes(raw: str | None) -> set[str]:
    return {part.strip() for part in (raw or "").split(",") if part.strip()}


def sla_sideloads(deps: Container, ticket: Ticket, include: str | None) -> dict[str, Any]:
    """The ticket object's extra keys for the ``include`` list asked for (the others are not ours)."""
    wanted = includes(include)
    extra: dict[str, Any] = {}
    if "slas" in wanted:
        extra["slas"] = sla.policy_metrics(ticket, deps.clock.now())
    return extra
