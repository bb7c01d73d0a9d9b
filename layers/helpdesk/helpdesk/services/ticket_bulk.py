"""Zendesk's bulk ticket calls: ``show_many``, ``create_many`` and ``update_many`` (by ids with one change, or by a
list of tickets), each bulk write answered with a job status (``/api/v2/job_statuses/{id}``) as Zendesk answers.

The work runs within the request (at most 100 tickets, as in Zendesk); the job status is stored before the answer
(a day, TTL) so a client polling ``job_statuses`` as it would on Zendesk reads it ``completed`` with a result per
ticket: a ticket that could not be written is a result with its ``error`` and ``details``, never a lost one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.clock import iso, to_epoch
from helpdesk.domain.errors import HelpdeskError, InvalidInput, TicketNotFound
from helpdesk.domain.inputs import ascii_digits
from helpdesk.domain.tickets import Ticket
from helpdesk.domain.users import User
from helpdesk.services import api_tickets

MAX_BULK = 100


def parse_ids(raw: str | None, what: str = "ids") -> list[int]:
    """``ids=1,2,3`` as Zendesk takes it: 1 to 100 ticket ids, comma separated."""
    parts = [p.strip() for p in (raw or "").split(",") if p.strip()]
    if not parts:
        raise InvalidInput(f"{what} is required: a comma-separated list of ids, such as {what}=1,2,3")
    bad = [p for p in parts if not ascii_digits(p)]
    if bad:
        raise InvalidInput(f"{what} must be ids separated by commas; {bad[0]!r} is not an id")
    if len(parts) > MAX_BULK:
        raise InvalidInput(f"{what} names at most {MAX_BULK} ids at once, not {len(parts)}")
    return list(dict.fromkeys(int(p) for p in parts))


def show_many(deps: Container, ids: Sequence[int]) -> list[Ticket]:
    found = []
    for number in ids:
        try:
            found.append(deps.tickets.get(number))
        except TicketNotFound:
            continue  # as in Zendesk: the tickets that exist
    return found


def _error(exc: HelpdeskError) -> dict[str, Any]:
    return {"success": False, "error": type(exc).__name__, "details": str(exc)}


def job(deps: Container, base: str, results: list[dict[str, Any]], total: int) -> dict[str, Any]:
    job_id = uuid.uuid4().hex
    now = deps.clock.now()
    job = {"id": job_id, "url": f"{base}/api/v2/job_statuses/{job_id}.json", "total": total, "progress": total,
           "status": "completed", "message": f"Completed at {iso(now)}", "results": results,
           "job_type": "bulk", "created_at": iso(now)}
    deps.job_statuses.put(job, to_epoch(now))
    return job


def _list(payload: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    items = payload.get(key)
    if not isinstance(items, list) or not items or not all(isinstance(i, Mapping) for i in items):
        raise InvalidInput(f'the body must be {{"{key}": [{{...}}, ...]}} with 1 to {MAX_BULK} objects')
    if len(items) > MAX_BULK:
        raise InvalidInput(f"{key} holds at most {MAX_BULK} objects at once, not {len(items)}")
    return items


def create_many(deps: Container, payload: Mapping[str, Any], caller: User, base: str) -> dict[str, Any]:
    results = []
    for index, data in enumerate(_list(payload, "tickets")):
        try:
            made = api_tickets.create_ticket_audited(deps, {"ticket": data}, caller)
            results.append({"index": index, "id": made.ticket.id, "action": "create", "success": True,
                            "status": "Created"})
        except HelpdeskError as exc:
            results.append({"index": index, "action": "create", **_error(exc)})
    return job(deps, base, results, len(results))


def update_many(deps: Container, ids: str | None, payload: Mapping[str, Any], caller: User,
                base: str) -> dict[str, Any]:
    """``ids=`` with ``{"ticket": {...}}`` (one change to every ticket named), or ``{"tickets": [{"id": ...}]}``."""
    if ids is not None:
        if not isinstance(payload.get("ticket"), Mapping):
            raise InvalidInput('update_many with ids takes the change as {"ticket": {...}}')
        changes = [(number, payload["ticket"]) for number in parse_ids(ids)]
    else:
        changes = []
        for data in _list(payload, "tickets"):
            number = data.get("id")
            if isinstance(number, bool) or not isinstance(number, int):
                raise InvalidInput("each ticket of update_many needs its id (a number)")
            changes.append((number, {k: v for k, v in data.items() if k != "id"}))
    results = []
    for number, change in changes:
        try:
            api_tickets.update_ticket_audited(deps, number, {"ticket": change}, caller)
            results.append({"id": number, "action": "update", "success": True, "status": "Updated"})
        except HelpdeskError as exc:
            results.append({"id": number, "action": "update", **_error(exc)})
    return job(deps, base, results, len(results))


def job_status(deps: Container, job_id: str) -> dict[str, Any]:
    from helpdesk.domain.errors import NotFound

    found: dict[str, Any] | None = (deps.job_statuses.get(job_id) if job_id.isascii() and job_id.isalnum()
                                    and len(job_id) <= 64 else None)
    if found is None:
        raise NotFound(f"job status {job_id} does not exist (they are kept a day)")
    return found


def job_statuses(deps: Container, ids: str | None) -> list[dict[str, Any]]:
    wanted = [p.strip() for p in (ids or "").split(",") if p.strip()]
    if not wanted or len(wanted) > MAX_BULK or not all(p.isalnum() and p.isascii() and len(p) <= 64 for p in wanted):
        raise InvalidInput(f"ids is required: 1 to {MAX_BULK} job status ids separated by commas")
    found: list[dict[str, Any]] = deps.job_statuses.get_many(wanted)
    return found
