"""Helpers shared by the use cases: saving an update with its events, retrying on conflicts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from helpdesk.bootstrap import Container
from helpdesk.domain import sla
from helpdesk.domain.errors import ConcurrentUpdate
from helpdesk.domain.events import DomainEvent, events_for_update
from helpdesk.domain.tickets import Update
from helpdesk.ports import AlreadyApplied, VersionConflict

T = TypeVar("T")
MAX_ATTEMPTS = 5


def with_retries(attempt: Callable[[], T], *, attempts: int = MAX_ATTEMPTS) -> T:
    """Run attempt(), which reloads what it needs, again when another writer won the race."""
    for _ in range(attempts - 1):
        try:
            return attempt()
        except VersionConflict:
            continue
    try:
        return attempt()
    except VersionConflict as exc:
        raise ConcurrentUpdate("the ticket kept changing under this update; try again") from exc


def commit(
    deps: Container, update: Update, *, idempotency_key: str | None = None,
    message_ids: Sequence[str] = (), extra_events: Sequence[DomainEvent] = (),
) -> list[DomainEvent]:
    """Apply SLA targets, write the update in one transaction, then publish its events.

    If the idempotency key was already written (a redelivery, or a crash between the write and the
    publish), the events stored with it are published again; consumers drop what they have seen by event_id.
    """
    sla.apply_sla(update.ticket, deps.rules.sla_policies(), deps.clock.now())
    events = [*events_for_update(update), *extra_events]
    try:
        deps.tickets.save(update.ticket, comment=update.comment, audit=update.audit, events=events,
                          idempotency_key=idempotency_key, message_ids=message_ids,
                          created=update.previous is None)
    except AlreadyApplied as done:
        events = done.events
    deps.publisher.publish(events)
    return events
