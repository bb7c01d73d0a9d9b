"""Rule statistics: how often each rule fired, counted per hour and summed over Zendesk's usage windows.

A firing is counted in the hour it happened (``epoch seconds // 3600``). ``usage_24h`` is the current hour
and the 23 before it, ``usage_7d`` the current hour and the 167 before it: a window covers between 23 and 24
(or 167 and 168) whole hours, as hourly buckets allow. Buckets are kept 8 days, longer than the widest window.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from helpdesk.domain.clock import to_epoch

HOUR_SECONDS = 3600
HOURS_A_DAY = 24
WINDOWS = {"usage_24h": 24, "usage_7d": 7 * 24}
KEEP_SECONDS = 8 * 24 * HOUR_SECONDS


def hour_of(moment: datetime) -> int:
    """The hour bucket a moment falls in."""
    return to_epoch(moment) // HOUR_SECONDS


def window(now: datetime, hours: int) -> list[int]:
    """The hour buckets of the last ``hours`` hours, the current one included, newest first."""
    current = hour_of(now)
    return [current - back for back in range(hours)]


def expires_at(hour: int) -> int:
    """When a bucket may go (epoch seconds, DynamoDB TTL): 8 days after its hour began."""
    return hour * HOUR_SECONDS + KEEP_SECONDS


@dataclass(frozen=True)
class RuleUsage:
    """How often one rule fired in each usage window (Zendesk's ``usage_24h``, ``usage_7d``)."""

    rule_id: int
    usage_24h: int = 0
    usage_7d: int = 0

    def fields(self) -> dict[str, int]:
        return {"usage_24h": self.usage_24h, "usage_7d": self.usage_7d}


def usage(rule_id: int, hourly: Mapping[int, int], now: datetime) -> RuleUsage:
    """Sum one rule's hourly counts over each window ending at ``now``."""
    sums = {name: sum(hourly.get(hour, 0) for hour in window(now, hours)) for name, hours in WINDOWS.items()}
    return RuleUsage(rule_id, **sums)
