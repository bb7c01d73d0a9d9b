"""Property-based: every route of the API, driven with generated path segments, query strings, credentials and
bodies, answers below 500, with a reason for every 4xx, and raises nothing (the standard: bad input gets a clear
error, never a crash). The routes come from the Chalice route table, so a new route is fuzzed without a change
here. The inbound endpoints, whose bodies are forms and mail, are fuzzed in test_inbound_fuzz.py.

One stack serves the whole module (a fresh one takes seconds), seeded with one record of each kind so that
generated ids reach the services rather than stopping at a 404.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import DataObject

from tests.fuzz_inputs import (
    SAMPLE_BODIES,
    SEGMENTS,
    authorizations,
    json_bodies,
    query_strings,
)
from tests.support import Pipeline, dynamodb_key_limits

FUZZ = settings(max_examples=12, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
WRITES = ("POST", "PUT", "PATCH")
CONTENT_TYPES = ("application/json",) * 5 + (None, "text/plain", "application/x-www-form-urlencoded",
                                             "application/json; charset=latin-1", "application/json; x=\u00e9")


def api_routes() -> list[tuple[str, str]]:
    """Every (method, path) of the Chalice app but the inbound mail and survey endpoints."""
    from helpdesk.api.app import app

    return sorted((method, path) for path, route in app.routes.items() for method in route
                  if not path.startswith(("/inbound/", "/surveys/")))


def upload_types() -> list[str]:
    from helpdesk.api.app import UPLOAD_TYPES

    return [*UPLOAD_TYPES, "application/json", "image/png; name=\u00e9"]


@pytest.fixture(scope="module", autouse=True)
def strict_keys() -> Iterator[None]:
    """DynamoDB's key limits on reads too, as the real service has them."""
    with dynamodb_key_limits():
        yield


SEED_ORDER = ("groups", "group_memberships", "organizations", "users", "tickets", "triggers", "slas/policies",
              "automations", "macros", "rule_sets", "business_hours/schedules", "api_tokens", "webhooks",
              "recipient_addresses")


@pytest.fixture(scope="module")
def seeded(module_pipeline: Pipeline) -> Iterator[Pipeline]:
    """One valid record of every kind (also proving the samples the fuzzing breaks are valid)."""
    for kind in SEED_ORDER:
        module_pipeline.json("POST", f"/api/v2/{kind}.json", SAMPLE_BODIES[kind], expect=201)
    yield module_pipeline


def reason(response: Any) -> str | None:
    """Our error envelope's description; Chalice's or the gateway's message for what is refused before a view."""
    try:
        answer = json.loads(response.body)
    except ValueError:
        return None
    if not isinstance(answer, dict):
        return None
    return answer.get("description") or answer.get("Message") or answer.get("message")


def send(pipeline: Pipeline, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    try:
        return pipeline.call(method, path, body, headers)
    except Exception as exc:  # the property: nothing escapes the app, whatever the request
        raise AssertionError(f"{method} {path[:200]} raised {exc!r}") from exc


def assert_answered(response: Any, method: str, path: str, body: Any) -> None:
    shown = f"{method} {path[:200]} body={str(body)[:300]!r} -> {response.status_code} {response.body[:300]!r}"
    assert response.status_code < 500, shown
    if response.status_code >= 400:
        assert reason(response), shown


def concrete_path(data: DataObject, route: str) -> str:
    parts = [data.draw(SEGMENTS) if part.startswith("{") else part for part in route.split("/")]
    return "/".join(parts)


def query(data: DataObject) -> str:
    pairs = data.draw(query_strings)
    if not pairs:
        return ""
    if data.draw(st.booleans()):
        return "?" + urlencode(pairs, errors="surrogatepass")
    # as a client typed them (a URL cannot carry a lone surrogate: it is no UTF-8)
    return "?" + "&".join(f"{quote(key, safe='[]', errors='replace')}={value.encode(errors='replace').decode()}"
                          for key, value in pairs)


@pytest.mark.parametrize(("method", "route"), api_routes(), ids=lambda value: str(value))
@pytest.mark.usefixtures("seeded")
@FUZZ
@given(data=st.data())
def test_every_api_route_answers_generated_requests_below_500(module_pipeline: Pipeline, method: str, route: str,
                                                             data: DataObject) -> None:
    path = concrete_path(data, route) + query(data)
    uploading = route.startswith("/api/v2/uploads")
    body: Any = None
    if uploading:  # a file: any bytes, in the types an upload may have
        body = data.draw(st.binary(max_size=200))
    elif method in WRITES:
        body = data.draw(json_bodies(route))
    elif data.draw(st.booleans()):
        body = "{}"
    content_types = upload_types() if uploading else CONTENT_TYPES
    drawn = {"Authorization": data.draw(authorizations(module_pipeline.auth["Authorization"])),
             "Content-Type": data.draw(st.sampled_from(content_types))}
    headers = {name: value for name, value in drawn.items() if value is not None}
    response = send(module_pipeline, method, path, body, headers)
    assert_answered(response, method, path, body)

