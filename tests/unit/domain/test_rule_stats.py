"""Rule statistics: hour buckets, usage windows, counter expiry, sideload names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpdesk.domain.rule_stats import KEEP_SECONDS, RuleUsage, expires_at, hour_of, usage, window
from helpdesk.services.rule_stats import sideloads

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_a_moment_falls_in_the_hour_bucket_it_began_in() -> None:
    assert hour_of(NOW) == hour_of(NOW.replace(minute=0, second=0)) == int(NOW.timestamp()) // 3600
    assert hour_of(NOW.replace(minute=59, second=59)) + 1 == hour_of(NOW.replace(hour=10, minute=0))


def test_windows_are_the_current_hour_and_the_ones_before_it() -> None:
    day = window(NOW, 24)
    assert len(day) == 24 and day[0] == hour_of(NOW) and day[-1] == hour_of(NOW - timedelta(hours=23))
    assert len(set(window(NOW, 168))) == 168 and set(day) < set(window(NOW, 168))


def test_usage_sums_each_window() -> None:
    current = hour_of(NOW)
    hourly = {current: 2, current - 23: 1, current - 24: 4, current - 167: 8, current - 168: 16, current + 1: 32}
    assert usage(7, hourly, NOW) == RuleUsage(7, usage_24h=3, usage_7d=15)
    assert usage(7, {}, NOW).fields() == {"usage_24h": 0, "usage_7d": 0}


def test_buckets_outlive_the_widest_window() -> None:
    hour = hour_of(NOW)
    assert expires_at(hour) == hour * 3600 + 8 * 24 * 3600
    assert KEEP_SECONDS > 168 * 3600


def test_sideloads_pick_the_usage_names_and_leave_the_rest() -> None:
    assert sideloads("usage_7d, usage_24h,usage_7d") == ["usage_7d", "usage_24h"]
    assert sideloads("permissions,usage_1h") == [] and sideloads(None) == [] and sideloads("") == []
