"""The API's rate limit as Zendesk signals it: X-Rate-Limit headers on every answer, 429 with Retry-After past the
account's limit, set by an admin in /api/v2/account/settings."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tests.support import Pipeline


def _limit(pipeline: Pipeline, value: Any) -> dict[str, Any]:
    return dict(pipeline.json("PUT", "/api/v2/account/settings.json", {"settings": {"api": {"rate_limit": value}}}))


def test_past_the_limit_requests_get_429_with_retry_after_until_the_minute_ends(pipeline: Pipeline) -> None:
    assert "X-Rate-Limit" not in pipeline.call("GET", "/api/v2/tickets.json").headers  # the local stack: none
    assert _limit(pipeline, 3)["settings"]["api"]["rate_limit"] == 3
    remaining = []
    for _ in range(3):
        answer = pipeline.call("GET", "/api/v2/tickets.json")
        assert answer.status_code == 200 and answer.headers["X-Rate-Limit"] == "3"
        remaining.append(int(answer.headers["X-Rate-Limit-Remaining"]))
    assert remaining == [2, 1, 0]
    refused = pipeline.call("GET", "/api/v2/users/me.json")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"  # the clock stands at 09:00:00
    assert "3 API requests a minute" in json.loads(refused.body)["description"]
    pipeline.clock.advance(timedelta(seconds=45))
    assert pipeline.call("GET", "/api/v2/tickets.json").headers["Retry-After"] == "15"
    pipeline.clock.advance(timedelta(seconds=15))
    assert pipeline.call("GET", "/api/v2/tickets.json").status_code == 200  # a new minute
    assert pipeline.call("POST", "/inbound/email/raw", b"x", {**pipeline.auth, "Content-Type": "message/rfc822"}
                         ).status_code != 429  # provider webhooks are not the API's budget


def test_an_admin_sets_and_clears_the_limit(pipeline: Pipeline) -> None:
    shown = pipeline.json("GET", "/api/v2/account/settings.json")["settings"]["api"]
    assert shown == {"rate_limit": 0, "rate_limit_default": 0}
    assert _limit(pipeline, 500)["settings"]["api"]["rate_limit"] == 500
    assert pipeline.call("GET", "/api/v2/tickets").headers["X-Rate-Limit"] == "500"
    assert _limit(pipeline, None)["settings"]["api"]["rate_limit"] == 0  # back to the deployment's default
    assert "X-Rate-Limit" not in pipeline.call("GET", "/api/v2/tickets").headers


@pytest.mark.parametrize("body, reason", [
    ({"settings": {"api": {"rate_limit": -1}}}, "from 0 to"),
    ({"settings": {"api": {"rate_limit": "100"}}}, "from 0 to"),
    ({"settings": {"api": {"rate_limit": True}}}, "from 0 to"),
    ({"settings": {"api": {}}}, '{"settings": {"api": {"rate_limit": N}}}'),
    ({"settings": {"api": {"rate_limit": 1, "other": 2}}}, '{"settings": {"api": {"rate_limit": N}}}'),
    ({"settings": []}, '{"settings": {"api": {"rate_limit": N}}}'),
])
def test_bad_settings_get_a_400_with_the_reason(pipeline: Pipeline, body: Any, reason: str) -> None:
    response = pipeline.call("PUT", "/api/v2/account/settings.json", body)
    assert response.status_code == 400
    assert reason in json.loads(response.body)["description"]
