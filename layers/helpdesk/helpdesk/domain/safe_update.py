"""Zendesk's safe_update: an update that carries the ``updated_at`` its client read (``updated_stamp``) is refused
with 409 when the ticket changed since, instead of being applied over a change the client never saw.

Stamps are whole seconds, as the API shows ``updated_at`` (and as in Zendesk); the write itself is also guarded by
the ticket's version, so a change saved between this request's read and its write is a conflict too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from helpdesk.domain.clock import iso
from helpdesk.domain.errors import InvalidInput, UpdateConflict
from helpdesk.domain.tickets import Ticket

CONFLICT = ("Safe Update prevented the update due to outdated ticket data. "
            "Please fetch the latest ticket data and try again.")


def requested_stamp(data: Mapping[str, Any]) -> datetime | None:
    """The ``updated_stamp`` of a safe update; None when the client did not ask for one. As in Zendesk, any value
    of ``safe_update`` asks (false has the same effect as true); leaving it out, or null, does not."""
    if data.get("safe_update") is None:
        return None
    stamp = data.get("updated_stamp")
    if not isinstance(stamp, str) or not stamp.strip():
        raise InvalidInput("updated_stamp is required with safe_update: the ticket's updated_at as you read it, "
                           "such as 2026-11-23T09:00:00Z")
    try:
        moment = datetime.fromisoformat(stamp.strip())
    except ValueError as exc:
        raise InvalidInput(f"updated_stamp must be a time such as 2026-11-23T09:00:00Z, not {stamp!r}") from exc
    if moment.tzinfo is None:
        raise InvalidInput(f"updated_stamp must carry its time zone (2026-11-23T09:00:00Z), not {stamp!r}")
    return moment.astimezone(UTC)


def check_stamp(ticket: Ticket, stamp: datetime | None) -> None:
    """Refuse a safe update of a ticket whose ``updated_at`` is not the stamp the client read."""
    if stamp is not None and iso(stamp) != iso(ticket.updated_at):
        raise UpdateConflict(CONFLICT)
