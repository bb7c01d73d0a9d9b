"""Tickets, comments and audits to and from the JSON documents stored in DynamoDB items."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, replace
from typing import Any

from helpdesk.domain.clock import iso, parse_iso
from helpdesk.domain.ticket_metrics import TicketMetrics
from helpdesk.domain.tickets import Audit, Comment, Satisfaction, SlaTarget, Ticket

_TIMES = ("created_at", "updated_at", "first_reply_at", "solved_at", "status_updated_at", "assigned_at",
          "requester_updated_at", "agent_updated_at", "assignment_due_at")


def _required_time(value: Any) -> Any:
    moment = parse_iso(value)
    if moment is None:
        raise ValueError("stored ticket lacks a timestamp")
    return moment


def _target_to_doc(t: SlaTarget) -> dict[str, Any]:
    return {"metric": t.metric, "target_minutes": t.target_minutes, "start_at": iso(t.start_at),
            "due_at": iso(t.due_at), "fulfilled_at": iso(t.fulfilled_at), "breached_at": iso(t.breached_at),
            "instance_id": t.instance_id, "target_seconds": t.target_seconds, "business_hours": t.business_hours,
            "cycle": t.cycle, "segments": [[iso(a), iso(b)] for a, b in t.segments], "warned": t.warned,
            "escalated": t.escalated, "warn_before_seconds": t.warn_before_seconds,
            "level_minutes": list(t.level_minutes)}


def _target_from_doc(t: Mapping[str, Any]) -> SlaTarget:
    start = _required_time(t["start_at"])
    due = parse_iso(t.get("due_at"))
    fulfilled = parse_iso(t.get("fulfilled_at"))
    if "segments" in t:
        segments = [[_required_time(a), parse_iso(b)] for a, b in t["segments"]]
    else:  # stored before pauses existed: it ran from its start, to its fulfilment if any
        segments = [[start, fulfilled]]
    return SlaTarget(
        metric=t["metric"], start_at=start, due_at=due, target_minutes=int(t["target_minutes"]),
        fulfilled_at=fulfilled, breached_at=parse_iso(t.get("breached_at")),
        instance_id=int(t.get("instance_id", 1)), target_seconds=int(t.get("target_seconds", 0)),
        business_hours=bool(t.get("business_hours", False)), cycle=int(t.get("cycle", 0)), segments=segments,
        warned=bool(t.get("warned", False)),
        escalated=int(t.get("escalated", 1 if t.get("breached_at") else 0)),
        warn_before_seconds=int(t.get("warn_before_seconds", 0)),
        level_minutes=[int(m) for m in t.get("level_minutes") or []],
    )


def ticket_to_doc(ticket: Ticket) -> dict[str, Any]:
    doc = asdict(replace(ticket, metrics=None))
    doc.pop("version")
    doc["metrics"] = ticket.metrics.to_doc() if ticket.metrics is not None else None
    for name in _TIMES:
        doc[name] = iso(getattr(ticket, name))
    sat = ticket.satisfaction
    doc["satisfaction"] = {**asdict(sat), "survey_due_at": iso(sat.survey_due_at),
                           "offered_at": iso(sat.offered_at), "rated_at": iso(sat.rated_at)}
    doc["sla_targets"] = {metric: _target_to_doc(t) for metric, t in ticket.sla_targets.items()}
    return doc


def ticket_from_doc(doc: Mapping[str, Any], version: int | None) -> Ticket:
    data = dict(doc)
    for name in _TIMES:
        data[name] = parse_iso(data.get(name))
    data["created_at"] = _required_time(doc.get("created_at"))
    data["updated_at"] = _required_time(doc.get("updated_at"))
    sat = dict(data.get("satisfaction") or {})
    for name in ("survey_due_at", "offered_at", "rated_at"):
        sat[name] = parse_iso(sat.get(name))
    data["satisfaction"] = Satisfaction(**sat)
    data["sla_targets"] = {metric: _target_from_doc(t) for metric, t in (data.get("sla_targets") or {}).items()}
    metrics = data.get("metrics")
    data["metrics"] = TicketMetrics.from_doc(metrics) if metrics else None
    return Ticket(**data, version=version)


def comment_to_doc(comment: Comment) -> dict[str, Any]:
    doc = asdict(comment)
    doc["created_at"] = iso(comment.created_at)
    doc["attachments"] = [dict(a) for a in comment.attachments]
    doc["delivery"] = dict(comment.delivery) if comment.delivery else None
    return doc


def comment_from_doc(doc: Mapping[str, Any]) -> Comment:
    data = dict(doc)
    data["created_at"] = _required_time(data["created_at"])
    data["attachments"] = tuple(data.get("attachments") or ())
    return Comment(**data)


def audit_to_doc(audit: Audit) -> dict[str, Any]:
    return {**asdict(audit), "created_at": iso(audit.created_at), "events": [dict(e) for e in audit.events]}


def audit_from_doc(doc: Mapping[str, Any]) -> Audit:
    data = {k: v for k, v in doc.items() if k in Audit.__dataclass_fields__}
    data["created_at"] = _required_time(data["created_at"])
    data["events"] = tuple(data.get("events") or ())
    return Audit(**data)
