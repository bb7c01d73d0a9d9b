"""Every route answers malformed input with a 4xx and a reason, never a 500 (the standard: bad input gets a
clear error, never a crash)."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.support import Pipeline

ENVELOPES = ("ticket", "trigger", "automation", "macro", "group", "group_membership", "organization", "user",
             "webhook", "recipient_address", "sla_policy", "schedule", "rule_set", "token", "trigger_ids", "view")
WRONG_TYPES: dict[str, Any] = {"id": "x", "title": 5, "name": [], "email": 7, "conditions": "x", "actions": {"a": 1},
                               "status": ["open"], "comment": 5, "priority": {}, "intervals": "x", "user_id": "abc",
                               "group_id": {}, "endpoint": 5}
WRONG_SHAPES: tuple[Any, ...] = ([], WRONG_TYPES)
BODIES: list[Any] = [
    None, "{not json", "[]", "7", '"text"', "{}", '{"x": 1}',
    # each resource's envelope, empty of the wrong shape or full of the wrong types
    *(json.dumps({key: inner}) for key in ENVELOPES for inner in WRONG_SHAPES),
]


def _routes() -> list[tuple[str, str]]:
    from helpdesk.api.app import app

    return sorted((method, path) for path, route in app.routes.items() for method in route
                  if not path.startswith("/inbound/") and not path.startswith("/surveys/"))


def _paths(path: str) -> list[str]:
    # "²".isdigit() is true but int("²") fails; "٣" is a digit int() reads; 5000 digits are more than int() reads
    return [re.sub(r"\{[a-z_]+\}", value, path) for value in ("1", "abc", "99999999999999999999", "²", "٣",
                                                               "9" * 5000)]


def _reason(status: int, body: bytes) -> str | None:
    """Our error envelope's description; for a 415 (an upload in the wrong media type, refused by the router
    before any view runs), the router's message."""
    answer = json.loads(body)
    return answer.get("description") or (answer.get("Message") if status == 415 else None)


def test_malformed_requests_get_a_4xx_with_a_reason(pipeline: Pipeline) -> None:
    """One stack for every route (a fresh one each would take minutes): ticket 1 exists, so ids reach the
    services rather than stopping at a 404."""
    pipeline.json("POST", "/api/v2/tickets.json", {"ticket": {"comment": {"body": "x"}}}, expect=201)
    crashed: list[tuple[Any, ...]] = []
    unexplained: list[tuple[Any, ...]] = []
    for method, path in _routes():
        for number, concrete in enumerate(_paths(path)):
            writes = method in ("POST", "PUT", "PATCH")
            for body in (BODIES if number == 0 else [None, "{}"]) if writes else [None]:
                response = pipeline.call(method, concrete, body)
                if response.status_code >= 500:
                    crashed.append((method, concrete, body, response.status_code, response.body[:200]))
                elif response.status_code >= 400 and not _reason(response.status_code, response.body):
                    unexplained.append((method, concrete, body, response.body[:200]))
    assert crashed == [], "\n".join(map(str, crashed[:30]))
    assert unexplained == [], "\n".join(map(str, unexplained[:30]))


UNREADABLE_JSON: list[str | bytes] = [
    "[" * 20_000, '{"ticket": ' + "[" * 900 + "]" * 900 + "}", b'{"ticket": {"subject": "\xff"}}',
    '{"ticket": {"subject": "x", "comment": {"body": "y"}, "priority": NaN}}', '{"ticket": {"subject": "\\ud800"}}',
]


def test_bodies_no_json_reader_should_take_are_a_400_with_the_reason(pipeline: Pipeline) -> None:
    """Nesting Python's parser dies of (RecursionError), or that is deeper than any resource; bytes that are no
    UTF-8; numbers JSON has not; half a surrogate pair."""
    for body in UNREADABLE_JSON:
        response = pipeline.call("POST", "/api/v2/tickets.json", body)
        assert response.status_code == 400, (body[:40], response.body)
        assert "the body" in json.loads(response.body)["description"]


def test_a_rating_that_is_no_form_and_no_json_object_is_a_400(pipeline: Pipeline) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    as_json = {"Content-Type": "application/json"}
    for body, content_type in (("{", form), ('{"score": "bad"', form), ("[" * 20_000, as_json), ("[1]", as_json)):
        response = pipeline.call("POST", "/surveys/x", body, content_type)
        assert response.status_code == 400, (body[:40], response.body)
        assert "the rating" in json.loads(response.body)["description"]


def test_credentials_that_are_no_base64_text_are_a_401(pipeline: Pipeline) -> None:
    for credentials in ("Basic ¹²", "Basic /w==", "Basic é"):
        assert pipeline.call("GET", "/api/v2/users/me.json", headers={"Authorization": credentials}
                             ).status_code == 401, credentials


def test_an_address_longer_than_any_key_is_nobody_not_a_500(pipeline: Pipeline) -> None:
    """DynamoDB refuses a read by a key over 2048 bytes (moto only refuses writes): a login or a search by such
    an address finds nobody."""
    import base64

    from tests.support import dynamodb_key_limits

    address = "a" * 3000 + "@example.com"
    login = base64.b64encode(f"{address}/token:secret".encode()).decode()
    with dynamodb_key_limits():
        assert pipeline.call("GET", "/api/v2/users/me.json", headers={"Authorization": f"Basic {login}"}
                             ).status_code == 401
        found = pipeline.json("GET", f"/api/v2/users/search.json?query={address}")
    assert found["users"] == []
