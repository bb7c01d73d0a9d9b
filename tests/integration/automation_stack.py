"""Helpers for tests of time rules."""

from __future__ import annotations

from datetime import timedelta

from tests.support import Pipeline


def hours_pass(pipeline: Pipeline, hours: int) -> None:
    """Let whole hours pass, firing the hourly automations run at each hour (the per-minute sweeps only once
    an hour, to keep the test fast)."""
    for _ in range(hours):
        pipeline.clock.advance(timedelta(minutes=59))
        pipeline.dispatcher.advance(1)
