"""A batch of queued messaging items is handled in each conversation's provider order, in the places the
conversation's records held; what cannot be read is left where it was."""

from __future__ import annotations

import json
from typing import Any

from helpdesk.services.messaging.provider_order import in_provider_order


def record(group: str, name: str, at: str | None, kind: str = "message") -> dict[str, Any]:
    body: dict[str, Any] = {"type": kind, "text": name}
    if at is not None:
        body["sent_at" if kind == "message" else "at"] = at
    return {"messageId": name, "body": json.dumps(body), "attributes": {"MessageGroupId": group}}


def names(records: list[dict[str, Any]]) -> list[str]:
    return [str(r["messageId"]) for r in records]


def test_each_group_is_put_in_provider_order_in_the_places_it_held() -> None:
    batch = [record("a", "a3", "2026-11-23T09:00:03Z"), record("b", "b2", "2026-11-23T09:00:02Z"),
             record("a", "a1", "2026-11-23T09:00:01Z"), record("b", "b1", "2026-11-23T09:00:01.500Z"),
             record("a", "a2", "2026-11-23T09:00:02Z", kind="status")]
    assert names(in_provider_order(batch)) == ["a1", "b1", "a2", "b2", "a3"]


def test_equal_times_keep_the_order_they_came_in() -> None:
    batch = [record("a", name, "2026-11-23T09:00:00Z") for name in ("x", "y", "z")]
    assert names(in_provider_order(batch)) == ["x", "y", "z"]


def test_a_group_with_an_unreadable_record_is_left_as_it_came() -> None:
    broken = {"messageId": "bad", "body": "not json", "attributes": {"MessageGroupId": "a"}}
    batch = [record("a", "a2", "2026-11-23T09:00:02Z"), broken, record("a", "a1", "2026-11-23T09:00:01Z"),
             record("a", "a0", None), record("b", "b2", "2026-11-23T09:00:02Z"),
             record("b", "b1", "2026-11-23T09:00:01Z")]
    assert names(in_provider_order(batch)) == ["a2", "bad", "a1", "a0", "b1", "b2"]


def test_records_without_a_group_and_bad_times_stay_put() -> None:
    batch = [{"messageId": "solo", "body": "{}"}, record("c", "c1", "not a time"), record("c", "c0", "2026-01-01")]
    assert names(in_provider_order(batch)) == ["solo", "c1", "c0"]
