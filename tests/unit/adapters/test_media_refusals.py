"""Which provider answers to a media download are worth another attempt: a wrong request (400, 422: Meta's answer
to an unknown or expired media id) never is; a missing file (Twilio's media appear a moment late), a refused token
or a server error may be."""

from __future__ import annotations

import pytest

from helpdesk.adapters.provider_http import _refused


@pytest.mark.parametrize(("status", "reason", "retry"), [
    (400, "bad_request", False), (422, "bad_request", False), (404, "not_found", True), (410, "not_found", True),
    (401, "unauthorized", True), (403, "unauthorized", True), (429, "provider_error", True),
    (500, "provider_error", True), (503, "provider_error", True)])
def test_a_wrong_request_is_not_tried_again_and_the_rest_are(status: int, reason: str, retry: bool) -> None:
    refused = _refused(status, "graph.facebook.com")
    assert (refused.reason, refused.retry) == (reason, retry)
    assert f"HTTP {status}" in refused.detail
