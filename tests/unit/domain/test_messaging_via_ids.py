"""The messaging channels' via ids, as Zendesk numbers them (instagram_dm: this product's own, see VIA_IDS)."""

from __future__ import annotations

import pytest

from helpdesk.domain import rule_values as rv


@pytest.mark.parametrize(("channel", "number"), [("whatsapp", 74), ("facebook", 41), ("facebook_message", 41),
                                                 ("facebook_post", 38), ("sms", 57), ("web_widget", 48),
                                                 ("instagram_dm", rv.INSTAGRAM_DM_VIA_ID)])
def test_a_messaging_channel_is_its_zendesk_via_id_by_name_and_on_a_ticket(channel: str, number: int) -> None:
    assert rv.via_id(channel) == number
    assert rv.channel_id({"channel": channel, "source": {}}) == number


def test_our_instagram_id_is_outside_zendesks_range_and_taken_by_no_other_name() -> None:
    assert rv.INSTAGRAM_DM_VIA_ID > 200
    assert [name for name, n in rv.VIA_IDS.items() if n == rv.INSTAGRAM_DM_VIA_ID] == ["instagram_dm"]
