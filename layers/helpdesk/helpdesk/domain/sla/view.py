"""How a ticket shows its SLA: Zendesk's ``slas.policy_metrics`` (``?include=slas``) and the older ``sla`` map."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from helpdesk.domain.clock import iso
from helpdesk.domain.tickets import SlaTarget, Ticket


def stage(target: SlaTarget) -> str:
    if not target.open:
        return "achieved"
    return "active" if target.running else "paused"


def describe(target: SlaTarget) -> dict[str, Any]:
    return {
        "metric": target.metric, "instance_id": target.instance_id, "target_minutes": target.target_minutes,
        "target_in_seconds": target.seconds, "business_hours": target.business_hours, "stage": stage(target),
        "start_at": iso(target.start_at), "due_at": iso(target.due_at), "fulfilled_at": iso(target.fulfilled_at),
        "breached_at": iso(target.breached_at),
    }


def policy_metrics(ticket: Ticket, now: datetime) -> dict[str, Any]:
    """Zendesk's ``slas`` side-load: each target's stage, ``breach_at`` and the calendar time left (negative
    once breached), breached or not; ordered by the next breach first."""
    shown = []
    for target in ticket.sla_targets.values():
        left = None if target.due_at is None or not target.open else int((target.due_at - now).total_seconds())
        entry: dict[str, Any] = {"metric": target.metric, "instance_id": target.instance_id,
                                 "stage": stage(target), "breach_at": iso(target.due_at) if target.open else None,
                                 "breached": target.breached_at is not None}
        if left is not None:
            sign = -1 if left < 0 else 1
            minutes = abs(left) // 60
            entry.update(days=sign * (minutes // 1440), hours=sign * (minutes % 1440 // 60),
                         minutes=sign * (minutes % 60))
        shown.append(entry)
    shown.sort(key=lambda e: (e["breach_at"] is None, e["breach_at"] or "", e["metric"]))
    return {"policy_metrics": shown}
