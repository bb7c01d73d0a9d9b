"""Every scheduled sweep (SLA, surveys, automations, closing solved tickets) handles its tickets one at a time
through an ``ItemGuard``: a ticket whose handling fails is reported with its cause (the handler logs it with the
ticket id, and counts it), its failure is recorded, and the sweep goes on to the next ticket. A ticket that failed
``MAX_ATTEMPTS`` times within a day is parked: left out of that sweep until it next changes, so a record that can
never be handled costs a few runs, not every run, and never the other tickets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from helpdesk.bootstrap import Container
from helpdesk.ports import SweepFailures

T = TypeVar("T")
MAX_ATTEMPTS = 5


@dataclass
class ItemFailures:
    failed: list[tuple[int, str]] = field(default_factory=list)  # (ticket, cause) in this run
    parked: list[int] = field(default_factory=list)  # tickets this run parked


class ItemGuard:
    def __init__(self, deps: Container, sweep: str, failures: ItemFailures) -> None:
        self._store: SweepFailures = deps.sweep_failures
        self._sweep = sweep
        self.failures = failures

    def run(self, ticket_id: int, work: Callable[[], T]) -> T | None:
        """``work()``, or None when it failed (reported, recorded, and parked after ``MAX_ATTEMPTS``)."""
        try:
            return work()
        except Exception as exc:  # one ticket's failure is reported and recorded, never the sweep's end
            self.fail(ticket_id, exc)
            return None

    def fail(self, ticket_id: int, exc: BaseException) -> None:
        cause = f"{type(exc).__name__}: {exc}"
        self.failures.failed.append((ticket_id, cause))
        try:
            if self._store.record(self._sweep, ticket_id, cause) >= MAX_ATTEMPTS:
                self._store.park(self._sweep, ticket_id)
                self.failures.parked.append(ticket_id)
        except Exception as store_error:  # the failure is still reported; it is retried on the next run
            self.failures.failed.append((ticket_id, f"not recorded: {type(store_error).__name__}: {store_error}"))
