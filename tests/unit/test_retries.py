"""The retry of a write that lost an optimistic-locking race: jittered exponential backoff within a time budget
(services.common.with_retries), on a timer that advances without sleeping."""

from __future__ import annotations

import random

import pytest

from helpdesk.domain.errors import ConcurrentUpdate
from helpdesk.ports import VersionConflict
from helpdesk.services.common import (
    FIRST_BACKOFF_SECONDS,
    MAX_BACKOFF_SECONDS,
    RETRY_BUDGET_SECONDS,
    backoff_ceiling,
    with_retries,
)


class VirtualTimer:
    """Time that passes only when someone sleeps (and, optionally, a fixed cost per attempt)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


class Losing:
    """An attempt that loses the race ``times`` times, then wins; each attempt costs ``cost`` seconds."""

    def __init__(self, timer: VirtualTimer, times: int, cost: float = 0.0) -> None:
        self.timer, self.times, self.cost, self.calls = timer, times, cost, 0

    def __call__(self) -> str:
        self.calls += 1
        self.timer.now += self.cost
        if self.calls <= self.times:
            raise VersionConflict("someone else saved first")
        return "saved"


def test_the_ceiling_doubles_from_the_first_backoff_up_to_the_cap() -> None:
    assert [backoff_ceiling(n) for n in range(1, 9)] == pytest.approx(
        [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.0])
    assert backoff_ceiling(1) == FIRST_BACKOFF_SECONDS
    assert backoff_ceiling(10_000) == MAX_BACKOFF_SECONDS


def test_the_budget_stays_under_api_gateways_29_seconds() -> None:
    assert 10 <= RETRY_BUDGET_SECONDS <= 25


def test_each_wait_is_drawn_below_its_ceiling_and_the_waits_are_spread() -> None:
    timer = VirtualTimer()
    attempt = Losing(timer, times=12)
    assert with_retries(attempt, timer=timer, jitter=random.Random(7)) == "saved"
    assert attempt.calls == 13 and len(timer.sleeps) == 12
    for retry, wait in enumerate(timer.sleeps, start=1):
        assert 0 <= wait <= backoff_ceiling(retry)
    capped = timer.sleeps[7:]  # retries 8 to 12 all have the 1 s ceiling: jitter, not one fixed wait
    assert len({round(w, 6) for w in capped}) == len(capped)


def test_contention_far_past_five_attempts_is_ridden_out() -> None:
    """Losing 60 times in a row (each attempt costing 30 ms) still ends in a save within the budget: what the
    old five immediate attempts turned into a 409."""
    timer = VirtualTimer()
    attempt = Losing(timer, times=60, cost=0.03)
    assert with_retries(attempt, timer=timer, jitter=random.Random(1), budget=60) == "saved"
    assert attempt.calls == 61


def test_a_write_that_never_wins_answers_409_once_the_budget_is_spent_and_not_before() -> None:
    timer = VirtualTimer()
    start = timer.now
    attempt = Losing(timer, times=10**6)
    with pytest.raises(ConcurrentUpdate, match="ticket kept changing"):
        with_retries(attempt, timer=timer, jitter=random.Random(3))
    spent = timer.now - start
    assert spent <= RETRY_BUDGET_SECONDS
    assert spent >= RETRY_BUDGET_SECONDS - MAX_BACKOFF_SECONDS  # it gave up only when the next wait would overrun
    assert attempt.calls >= 20


def test_what_is_named_in_the_409() -> None:
    timer = VirtualTimer()
    with pytest.raises(ConcurrentUpdate, match="user kept changing"):
        with_retries(Losing(timer, times=10**6), what="user", timer=timer, budget=1)


def test_other_errors_are_not_retried() -> None:
    timer = VirtualTimer()
    calls = []

    def attempt() -> None:
        calls.append(1)
        raise ValueError("not a race")

    with pytest.raises(ValueError):
        with_retries(attempt, timer=timer)
    assert calls == [1] and timer.sleeps == []


def test_the_environment_may_give_a_longer_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """The local stack sets RETRY_BUDGET_SECONDS (its emulation is slower than DynamoDB and has no gateway
    timeout); a value that is not a number leaves the default."""
    for value, budget in (("45", 45.0), ("soon", RETRY_BUDGET_SECONDS)):
        monkeypatch.setenv("RETRY_BUDGET_SECONDS", value)
        timer = VirtualTimer()
        start = timer.now
        with pytest.raises(ConcurrentUpdate):
            with_retries(Losing(timer, times=10**6), timer=timer, jitter=random.Random(5))
        assert budget - MAX_BACKOFF_SECONDS <= timer.now - start <= budget
