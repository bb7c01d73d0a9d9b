"""Settings read from the environment: defaults and bounds."""

from __future__ import annotations

import pytest

from helpdesk.adapters.settings import MissingSetting, Settings

BASE = {"TICKETS_TABLE": "t", "ACTIVITY_TABLE": "a", "DIRECTORY_TABLE": "d", "RULES_TABLE": "r",
        "EVENT_BUS_NAME": "b", "SENDER_ADDRESS": "support@example.com"}


@pytest.mark.parametrize(("value", "days"), [(None, 4), ("", 4), ("7", 7), ("0", 1), ("90", 28)])
def test_solved_tickets_close_after_1_to_28_days(value: str | None, days: int) -> None:
    env = BASE | ({"CLOSE_SOLVED_AFTER_DAYS": value} if value is not None else {})
    assert Settings.from_env(env).close_solved_after_days == days


def test_a_close_delay_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(MissingSetting, match="whole number of days"):
        Settings.from_env(BASE | {"CLOSE_SOLVED_AFTER_DAYS": "four"})


def test_webhooks_may_not_reach_private_addresses_unless_allowed() -> None:
    assert Settings.from_env(BASE).webhook_private_targets is False
    assert Settings.from_env(BASE | {"WEBHOOK_PRIVATE_TARGETS": "allow"}).webhook_private_targets is True
