"""Helpers shared by the use cases: saving an update with its events, retrying on conflicts."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from helpdesk.bootstrap import Container
from helpdesk.domain import sla, ticket_metrics
from helpdesk.domain.business_hours import Schedule
from helpdesk.domain.errors import ConcurrentUpdate
from helpdesk.domain.events import DomainEvent, events_for_update
from helpdesk.domain.sla import SlaPolicy
from helpdesk.domain.tickets import Update
from helpdesk.ports import AlreadyApplied, Conversation, VersionConflict
from helpdesk.services.business_hours import default_schedule, schedules_for_sla

T = TypeVar("T")

RETRY_BUDGET_SECONDS = 20.0
"""How long a use case keeps retrying a write that lost an optimistic-locking race before it answers 409
(the environment variable RETRY_BUDGET_SECONDS, read at each call, replaces it: the local stack, whose emulation
serves one request at a time and has no gateway timeout, gives itself longer).
API Gateway ends a REST request after 29 s and the functions are stopped after 30 s (the template's Globals), so
20 s leaves the last attempt, the publish and the response well inside both. Writers on one ticket get through
about one per read-to-write window (a read and a transaction, some 40 ms): 100 writers released at once are all
done in about 6 s with the backoff below, so ordinary contention never reaches the budget."""
FIRST_BACKOFF_SECONDS = 0.01
"""The longest wait before the first retry: about one DynamoDB round trip, the time the winner needed."""
MAX_BACKOFF_SECONDS = 1.0
"""The longest wait before any retry: long enough to spread tens of writers, short enough that a writer who lost
many times still retries at least 20 times within the budget and is not left idle once the others are done."""
_jitter = random.Random()  # spreads retries in time; nothing secret depends on it


class RetryTimer(Protocol):
    """The clock retries wait on; tests pass one that advances without sleeping."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class WallTimer:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def backoff_ceiling(retry: int) -> float:
    """The longest wait before retry number ``retry`` (1 for the first): doubling from FIRST_BACKOFF_SECONDS up
    to MAX_BACKOFF_SECONDS. The wait itself is drawn uniformly below it ("full jitter"), so writers who lost the
    same race do not all come back at the same moment and collide again."""
    return float(min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2 ** min(retry - 1, 32)))


def _budget() -> float:
    try:
        return float(os.environ.get("RETRY_BUDGET_SECONDS") or RETRY_BUDGET_SECONDS)
    except ValueError:
        return RETRY_BUDGET_SECONDS


def with_retries(attempt: Callable[[], T], *, what: str = "ticket", budget: float | None = None,
                 timer: RetryTimer | None = None, jitter: random.Random | None = None) -> T:
    """Run attempt(), which reloads what it needs, again when another writer won the race: after a jittered,
    exponentially growing wait, for as long as the time budget (RETRY_BUDGET_SECONDS unless given) allows; then
    ConcurrentUpdate (409)."""
    timer = timer or WallTimer()
    jitter = jitter or _jitter
    budget = _budget() if budget is None else budget
    deadline = timer.monotonic() + budget
    retry = 0
    while True:
        try:
            return attempt()
        except VersionConflict as exc:
            retry += 1
            wait = jitter.uniform(0, backoff_ceiling(retry))
            if timer.monotonic() + wait > deadline:
                raise ConcurrentUpdate(f"the {what} kept changing under this update for {budget:g} s "
                                       f"({retry} attempts); try again") from exc
            timer.sleep(wait)


@dataclass(frozen=True)
class SlaRules:
    """The SLA policies and the business-hours schedules they count in."""

    policies: list[SlaPolicy]
    schedules: list[Schedule]


def read_sla_rules(deps: Container) -> SlaRules:
    """Read before a contended retry loop, so each attempt's window between reading the ticket and writing it
    holds no other read (a shorter window, fewer lost races)."""
    policies = deps.rules.sla_policies()
    return SlaRules(policies, schedules_for_sla(deps, policies))


def _default_schedule(deps: Container) -> Callable[[], Schedule | None]:
    """The default schedule, read on first use only (most updates end no duration and need none)."""
    read: list[Schedule | None] = []

    def schedule() -> Schedule | None:
        if not read:
            read.append(default_schedule(deps))
        return read[0]

    return schedule


def commit(
    deps: Container, update: Update, *, idempotency_key: str | None = None,
    message_ids: Sequence[str] = (), extra_events: Sequence[DomainEvent] = (),
    on_saved: Callable[[], None] | None = None, sla_rules: SlaRules | None = None,
    conversation: Conversation | None = None, announce_reply: bool = True,
    metric_events: Sequence[sla.MetricEvent] = (),
) -> list[DomainEvent]:
    """Apply SLA targets (from ``sla_rules``, read now when not given), write the update in one transaction,
    then publish its events.

    If the idempotency key was already written (a redelivery, or a crash between the write and the
    publish), the events stored with it are published again; consumers drop what they have seen by event_id.
    ``on_saved`` runs after the publish, only when this call made the write (never on a redelivery).
    ``announce_reply=False`` keeps a public agent comment from being sent to the requester (it was already sent,
    as a message from outside the help desk). ``metric_events``: SLA metric events the caller's own change made
    (the sweep's breaches), written with those of this update.
    """
    rules = sla_rules or read_sla_rules(deps)
    from helpdesk.services.sla.people import sla_people

    people = sla_people(deps, update.ticket, rules.policies)
    metric_events = [*metric_events, *sla.apply_sla(update.ticket, rules.policies, deps.clock.now(), rules.schedules,
                                                    requester=people.requester, organization=people.organization)]
    update.ticket.metrics = ticket_metrics.advance(update.ticket.metrics, update, _default_schedule(deps))
    from helpdesk.domain.sla.events import event_docs
    events = [*events_for_update(update, reply_to_requester=announce_reply), *extra_events]
    saved = True
    try:
        deps.tickets.save(update.ticket, comment=update.comment, audit=update.audit, events=events,
                          idempotency_key=idempotency_key, message_ids=message_ids,
                          created=update.previous is None, conversation=conversation,
                          metric_events=event_docs(metric_events, update.ticket.id, update.audit.id))
    except AlreadyApplied as done:
        events, saved = done.events, False
    deps.publisher.publish(events)
    if saved and on_saved is not None:
        on_saved()
    return events
