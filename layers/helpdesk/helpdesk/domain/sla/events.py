"""SLA metric events in Zendesk's ticket metric event shape, written with the ticket update that made them
(never recomputed from history): ``id``, ``ticket_id``, ``metric`` (``reply_time`` for first and next reply,
``resolution_time`` for total resolution, the others by their own names), ``instance_id``, ``type`` and ``time``;
``sla`` on apply_sla, ``status`` (calendar and business minutes) on update_status, ``deleted`` on breach."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from helpdesk.domain.clock import iso
from helpdesk.domain.sla.metrics import MetricEvent

PER_AUDIT = 1000  # event ids: ticket id, then the audit's number, then the event's place in it


def zendesk_instance(event: MetricEvent) -> int:
    """reply_time's instance 1 is the first reply; next reply's instances follow it."""
    return event.instance_id + 1 if event.metric == "next_reply_time" else event.instance_id


def event_docs(events: Sequence[MetricEvent], ticket_id: int, audit_id: int) -> list[dict[str, Any]]:
    docs = []
    for n, event in enumerate(events[:PER_AUDIT]):
        doc: dict[str, Any] = {
            "id": (ticket_id * 1_000_000 + audit_id) * PER_AUDIT + n, "ticket_id": ticket_id,
            "metric": event.zendesk_metric, "instance_id": zendesk_instance(event), "type": event.type,
            "time": iso(event.time), "sla_metric": event.metric,
        }
        if event.type == "apply_sla":
            doc["sla"] = dict(event.detail.get("sla") or {})
        elif event.type == "update_status":
            doc["status"] = dict(event.detail.get("status") or {})
        elif event.type == "breach":
            doc["deleted"] = False
        docs.append(doc)
    return docs


def by_metric(events: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The ticket show's ``metric_events`` side-load: the events grouped by Zendesk metric name."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        grouped.setdefault(str(event["metric"]), []).append(dict(event))
    return grouped
