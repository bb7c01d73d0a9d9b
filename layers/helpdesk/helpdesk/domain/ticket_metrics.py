"""Ticket metrics (Zendesk's Ticket Metrics object), kept as data written with each ticket change.

``advance`` computes a ticket's new metrics from its metrics before the change and the change itself (the
``Update``: the previous snapshot, the new ticket, its comment, its actor and its time). Nothing is ever recomputed
from the ticket's history: each duration is added when the stretch it measures ends.

Semantics (zendesk_semantics.md section 7.1; Zendesk's "Ticket metrics" API and help article 4408834848154):

- ``reply_time``: creation to the first public comment by an agent. The ticket's first comment (its description)
  never counts, so a ticket an agent opens with a public comment ends at the second public agent comment.
- ``first_resolution_time``: creation to the first time the ticket is solved (or closed without being solved).
- ``full_resolution_time``: creation to the latest time it was solved (again on each solve after a reopen).
- ``requester_wait_time``: the time spent in new, open and on-hold; ``agent_wait_time``: the time in pending;
  ``on_hold_time``: the time in on-hold. A stretch in a status is added when the status changes (multi-event
  metrics), so the stretch a ticket is in now is not counted yet.
- Each duration is ``{calendar, business}`` whole minutes; business minutes count inside the schedule given (the
  account's default schedule, captured at the moment each stretch or single-event metric ends, as Zendesk does);
  without a schedule business minutes equal calendar minutes.
- ``replies``: public agent comments after the description; ``reopens``: solved to any unsolved status;
  ``assignee_stations`` / ``group_stations``: how many times an assignee / a group was set (the first included);
  ``assignee_updated_at``: the latest update by the ticket's assignee; ``requester_updated_at``: the latest update
  by its requester; ``latest_comment_added_at``: the latest comment, public or private; ``solved_at``: the latest
  solve (kept after a reopen, as full resolution time is).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from helpdesk.domain.business_hours import Schedule, business_time_between
from helpdesk.domain.clock import iso, parse_iso
from helpdesk.domain.tickets import Ticket, Update

DURATIONS = ("reply_time", "first_resolution_time", "full_resolution_time", "agent_wait_time",
             "requester_wait_time", "on_hold_time")
REQUESTER_WAITS = ("new", "open", "hold")
RESOLVED = ("solved", "closed")
_TIMES = ("created_at", "updated_at", "status_updated_at", "assigned_at", "initially_assigned_at",
          "assignee_updated_at", "requester_updated_at", "solved_at", "latest_comment_added_at")


@dataclass(frozen=True)
class Duration:
    """Seconds in calendar time and in business time (kept exact; the API shows whole minutes)."""

    calendar: float = 0.0
    business: float = 0.0

    def __add__(self, other: Duration) -> Duration:
        return Duration(self.calendar + other.calendar, self.business + other.business)

    def to_api(self) -> dict[str, int | None]:
        return {"calendar": round(self.calendar / 60), "business": round(self.business / 60)}


def measure(start: datetime, end: datetime, schedule: Schedule | None) -> Duration:
    """The time from ``start`` to ``end``, in calendar and in the schedule's business seconds."""
    calendar = max(0.0, (end - start).total_seconds())
    if schedule is None:
        return Duration(calendar, calendar)
    return Duration(calendar, max(0.0, business_time_between(schedule, start, end).total_seconds()))


@dataclass(frozen=True)
class TicketMetrics:
    ticket_id: int
    created_at: datetime
    updated_at: datetime
    status: str  # the status the current stretch is in (since status_updated_at)
    status_updated_at: datetime
    assignee_id: int | None = None
    group_id: int | None = None
    reply_time: Duration | None = None
    first_resolution_time: Duration | None = None
    full_resolution_time: Duration | None = None
    agent_wait_time: Duration = Duration()
    requester_wait_time: Duration = Duration()
    on_hold_time: Duration = Duration()
    reopens: int = 0
    replies: int = 0
    assignee_stations: int = 0
    group_stations: int = 0
    assigned_at: datetime | None = None
    initially_assigned_at: datetime | None = None
    assignee_updated_at: datetime | None = None
    requester_updated_at: datetime | None = None
    solved_at: datetime | None = None
    latest_comment_added_at: datetime | None = None

    def to_api(self) -> dict[str, Any]:
        """Zendesk's ticket metric object; its id is the ticket's id (one metric set per ticket)."""
        durations = {f"{name}_in_minutes": _minutes(getattr(self, name)) for name in DURATIONS}
        return {
            "id": self.ticket_id, "ticket_id": self.ticket_id, **durations,
            "reopens": self.reopens, "replies": self.replies, "assignee_stations": self.assignee_stations,
            "group_stations": self.group_stations,
            **{name: iso(getattr(self, name)) for name in _TIMES},
        }

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, Duration):
                value = [value.calendar, value.business]
            elif isinstance(value, datetime):
                value = iso(value)
            doc[spec.name] = value
        return doc

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> TicketMetrics:
        data: dict[str, Any] = {}
        for spec in fields(cls):
            if spec.name not in doc:
                continue
            value = doc[spec.name]
            if spec.name in DURATIONS:
                value = None if value is None else Duration(float(value[0]), float(value[1]))
            elif spec.name in _TIMES:
                value = parse_iso(value)
            data[spec.name] = value
        return cls(**data)


def from_ticket(ticket: Ticket) -> TicketMetrics:
    """What a ticket saved before metrics were kept tells of them (its counters and timestamps; durations from
    then on only): the starting point of its next change, and what the API shows until that change."""
    return TicketMetrics(
        ticket_id=ticket.id, created_at=ticket.created_at, updated_at=ticket.updated_at, status=ticket.status,
        status_updated_at=ticket.status_updated_at or ticket.created_at, assignee_id=ticket.assignee_id,
        group_id=ticket.group_id, reopens=ticket.reopens, replies=ticket.replies,
        assignee_stations=int(ticket.assignee_id is not None), group_stations=int(ticket.group_id is not None),
        assigned_at=ticket.assigned_at, initially_assigned_at=ticket.assigned_at,
        requester_updated_at=ticket.requester_updated_at, solved_at=ticket.solved_at,
    )


def _minutes(value: Duration | None) -> dict[str, int | None]:
    return {"calendar": None, "business": None} if value is None else value.to_api()


def _stretch(metrics: TicketMetrics, status: str, spent: Duration) -> dict[str, Duration]:
    """Where a stretch spent in ``status`` counts."""
    added: dict[str, Duration] = {}
    if status in REQUESTER_WAITS:
        added["requester_wait_time"] = metrics.requester_wait_time + spent
    if status == "pending":
        added["agent_wait_time"] = metrics.agent_wait_time + spent
    if status == "hold":
        added["on_hold_time"] = metrics.on_hold_time + spent
    return added


def _before(metrics: TicketMetrics | None, update: Update) -> TicketMetrics:
    """The metrics the update starts from: a fresh set at creation (the ticket as new, nobody assigned)."""
    ticket, now = update.ticket, update.audit.created_at
    previous = update.previous
    if previous is None:
        return TicketMetrics(ticket_id=ticket.id, created_at=ticket.created_at, updated_at=now, status="new",
                             status_updated_at=now)
    if metrics is None:  # saved before metrics were kept: start from what the ticket was before this change
        return replace(from_ticket(ticket), status=str(previous["status"]),
                       status_updated_at=parse_iso(previous.get("status_updated_at")) or ticket.created_at,
                       assignee_id=previous.get("assignee_id"), group_id=previous.get("group_id"))
    return metrics


def _status(metrics: TicketMetrics, status: str, now: datetime,
            spent: Callable[[datetime], Duration]) -> dict[str, Any]:
    if status == metrics.status:
        return {}
    changed = {**_stretch(metrics, metrics.status, spent(metrics.status_updated_at)),
               "status": status, "status_updated_at": now}
    if metrics.status == "solved" and status not in RESOLVED:
        changed["reopens"] = metrics.reopens + 1
    if status in RESOLVED and metrics.status not in RESOLVED:
        resolution = spent(metrics.created_at)
        if metrics.first_resolution_time is None:
            changed["first_resolution_time"] = resolution
        changed.update(full_resolution_time=resolution, solved_at=now)
    return changed


def _stations(metrics: TicketMetrics, assignee_id: int | None, group_id: int | None,
              now: datetime) -> dict[str, Any]:
    changed: dict[str, Any] = {}
    if assignee_id != metrics.assignee_id:
        changed["assignee_id"] = assignee_id
        if assignee_id is not None:
            changed.update(assignee_stations=metrics.assignee_stations + 1, assigned_at=now,
                           initially_assigned_at=metrics.initially_assigned_at or now)
    if group_id != metrics.group_id:
        changed["group_id"] = group_id
        if group_id is not None:
            changed["group_stations"] = metrics.group_stations + 1
    return changed


def advance(metrics: TicketMetrics | None, update: Update,
            schedule: Callable[[], Schedule | None]) -> TicketMetrics:
    """The ticket's metrics after ``update`` (``metrics`` are those before it, None at creation).

    ``schedule`` gives the account's default schedule, asked for only when a duration ends. A ticket is created
    as new: one created open, solved or assigned has its first stretch, resolution or station at creation."""
    ticket, now, actor, comment = update.ticket, update.audit.created_at, update.actor, update.comment
    metrics = _before(metrics, update)

    def spent(start: datetime) -> Duration:
        return measure(start, now, schedule())

    changed: dict[str, Any] = {"updated_at": now, **_status(metrics, ticket.status, now, spent),
                               **_stations(metrics, ticket.assignee_id, ticket.group_id, now)}
    if comment is not None:
        changed["latest_comment_added_at"] = now
        reply = comment.public and not comment.automatic and actor.is_agent
        if reply and update.previous is not None:  # the description is never a reply
            changed["replies"] = metrics.replies + 1
            if metrics.reply_time is None:
                changed["reply_time"] = spent(metrics.created_at)
    if actor.id is not None and actor.id == ticket.requester_id:
        changed["requester_updated_at"] = now
    if actor.id is not None and actor.id == ticket.assignee_id:
        changed["assignee_updated_at"] = now
    return replace(metrics, **changed)
