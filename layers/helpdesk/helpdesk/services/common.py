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
from helpdesk.services.business_hours import schedules_for_sla

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
    on_saved: Callable[[], None] | None = None,
) -> list[DomainEvent]:
    """Apply SLA targets, write the update in one transaction, then publish its events.

    If the idempotency key was already written (a redelivery, or a crash between the write and the
    publish), the events stored with it are published again; consumers drop what they have seen by event_id.
    ``on_saved`` runs after the publish, only when this call made the write (never on a redelivery).
    """
    policies = deps.rules.sla_policies()
    sla.apply_sla(update.ticket, policies, deps.clock.now(), schedules_for_sla(deps, policies))
    events = [*events_for_update(update), *extra_events]
    saved = True
    try:
        deps.tickets.save(update.ticket, comment=update.comment, audit=update.audit, events=events,
                          idempotency_key=idempotency_key, message_ids=message_ids,
                          created=update.previous is None)
    except AlreadyApplied as done:
        events, saved = done.events, False
    deps.publisher.publish(events)
    if saved and on_saved is not None:
        on_saved()
    return events
