"""Zendesk's two pagination styles on the API's listings: cursor (absolute ``links.next`` keeping ``page[size]``,
opaque signed cursors) and offset (``next_page``, ``previous_page``, ``count``), followed to the end."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from tests.support import Pipeline

BASE = "https://helpdesk.test"


def _make_tickets(pipeline: Pipeline, count: int) -> list[int]:
    made = []
    for i in range(count):
        body = {"ticket": {"subject": f"t{i}", "comment": {"body": "x"}}}
        made.append(pipeline.json("POST", "/api/v2/tickets.json", body, expect=201)["ticket"]["id"])
        pipeline.clock.advance(timedelta(seconds=1))
    return made


def _follow(pipeline: Pipeline, url: str) -> Any:
    assert url.startswith(BASE + "/api/v2/"), url  # absolute, on the public base URL
    return pipeline.json("GET", url.removeprefix(BASE))


def test_cursor_pages_follow_absolute_links_to_the_end(pipeline: Pipeline) -> None:
    made = _make_tickets(pipeline, 5)
    page = pipeline.json("GET", "/api/v2/tickets.json?page%5Bsize%5D=2")
    assert "next_page" not in page  # a cursor request answers in the cursor shape only
    seen = []
    while True:
        seen += [t["id"] for t in page["tickets"]]
        if not page["meta"]["has_more"]:
            assert page["links"]["next"] is None and page["meta"]["after_cursor"] is None
            break
        nxt = page["links"]["next"]
        assert parse_qs(urlsplit(nxt).query)["page[size]"] == ["2"]
        cursor = page["meta"]["after_cursor"]
        assert "updated_at" not in cursor and "list_bucket" not in cursor  # opaque, not a database key
        page = _follow(pipeline, nxt)
    assert seen == list(reversed(made))  # most recently updated first, each once
    assert len(seen) == 5


def test_offset_pages_follow_next_page_to_the_end_with_a_count(pipeline: Pipeline) -> None:
    made = _make_tickets(pipeline, 5)
    page = pipeline.json("GET", "/api/v2/tickets.json?per_page=2&page=1")
    assert page["previous_page"] is None and "meta" not in page
    seen, pages = [], 0
    while True:
        pages += 1
        seen += [t["id"] for t in page["tickets"]]
        assert page["count"] >= len(seen)
        if page["next_page"] is None:
            assert page["count"] == 5
            break
        page = _follow(pipeline, page["next_page"])
        assert page["previous_page"].startswith(BASE)
    assert seen == list(reversed(made)) and pages == 3
    # a page asked for by its number alone is the same page
    third = pipeline.json("GET", "/api/v2/tickets.json?page=3&per_page=2")
    assert [t["id"] for t in third["tickets"]] == [made[0]]


def test_a_bare_request_answers_in_both_shapes_that_agree(pipeline: Pipeline) -> None:
    made = _make_tickets(pipeline, 3)
    page = pipeline.json("GET", "/api/v2/tickets?per_page=2")
    assert page["count"] >= 3 and page["meta"]["has_more"] is True
    by_offset = _follow(pipeline, page["next_page"])
    by_cursor = _follow(pipeline, page["links"]["next"])
    assert [t["id"] for t in by_offset["tickets"]] == [t["id"] for t in by_cursor["tickets"]] == [made[0]]


def test_small_listings_paginate_in_both_styles(pipeline: Pipeline) -> None:
    for i in range(3):
        pipeline.json("POST", "/api/v2/groups.json", {"group": {"name": f"Group {i}"}}, expect=201)
    whole = pipeline.json("GET", "/api/v2/groups.json")
    assert whole["count"] == 3 and whole["next_page"] is None and len(whole["groups"]) == 3
    first = pipeline.json("GET", "/api/v2/groups.json?page%5Bsize%5D=2")
    second = _follow(pipeline, first["links"]["next"])
    assert second["meta"]["has_more"] is False and second["links"]["prev"].startswith(BASE)
    names = [g["name"] for g in first["groups"] + second["groups"]]
    assert sorted(names) == ["Group 0", "Group 1", "Group 2"]
    back = _follow(pipeline, second["links"]["prev"])
    assert [g["name"] for g in back["groups"]] == [g["name"] for g in first["groups"]]
    offset = pipeline.json("GET", "/api/v2/groups.json?page=2&per_page=2")
    assert len(offset["groups"]) == 1 and offset["next_page"] is None and offset["previous_page"].startswith(BASE)


def test_users_list_follows_cursor_and_offset(pipeline: Pipeline) -> None:
    for i in range(3):
        pipeline.json("POST", "/api/v2/users.json", {"user": {"name": f"U{i}", "email": f"u{i}@customer.example"}},
                      expect=201)
    ids: list[int] = []
    page = pipeline.json("GET", "/api/v2/users.json?page%5Bsize%5D=2")
    while True:
        ids += [u["id"] for u in page["users"]]
        if not page["meta"]["has_more"]:
            break
        page = _follow(pipeline, page["links"]["next"])
    assert len(ids) == len(set(ids)) == 4  # the admin and three end users
    offset_ids: list[int] = []
    page = pipeline.json("GET", "/api/v2/users.json?page=1&per_page=3")
    while True:
        offset_ids += [u["id"] for u in page["users"]]
        if page["next_page"] is None:
            break
        page = _follow(pipeline, page["next_page"])
    assert offset_ids == ids


def test_comments_list_in_zendesks_shape(pipeline: Pipeline) -> None:
    number = _make_tickets(pipeline, 1)[0]
    pipeline.json("PUT", f"/api/v2/tickets/{number}.json", {"ticket": {"comment": {"body": "second",
                                                                                     "public": False}}})
    page = pipeline.json("GET", f"/api/v2/tickets/{number}/comments.json?page%5Bsize%5D=1")
    assert page["meta"]["has_more"] is True
    assert page["links"]["next"].startswith(f"{BASE}/api/v2/tickets/{number}/comments")
    comment = page["comments"][0]
    assert {"id", "type", "author_id", "body", "html_body", "plain_body", "public", "attachments", "audit_id",
            "via", "metadata", "created_at"} <= set(comment)
    audits = pipeline.json("GET", f"/api/v2/tickets/{number}/audits.json")["audits"]
    assert comment["audit_id"] == audits[0]["id"]
    rest = _follow(pipeline, page["links"]["next"])
    assert rest["comments"][0]["body"] == "second" and rest["comments"][0]["public"] is False


def _tampered(cursor: str) -> str:
    body, tag = cursor.split(".")
    return f"{body[:-1]}{'A' if body[-1] != 'A' else 'B'}.{tag}"


def test_a_tampered_or_foreign_cursor_is_a_400(pipeline: Pipeline) -> None:
    _make_tickets(pipeline, 3)
    for i in range(3):
        pipeline.json("POST", "/api/v2/groups.json", {"group": {"name": f"G{i}"}}, expect=201)
    cursor = pipeline.json("GET", "/api/v2/tickets.json?page%5Bsize%5D=1")["meta"]["after_cursor"]
    foreign = pipeline.json("GET", "/api/v2/groups.json?page%5Bsize%5D=1")["meta"]["after_cursor"]
    for bad in [_tampered(cursor), foreign, cursor + "x", "x" * 2000, "", "a.b"]:
        response = pipeline.call("GET", "/api/v2/tickets.json?page%5Bafter%5D=" + quote(bad))
        assert response.status_code == 400, bad
        assert "page[after]" in json.loads(response.body)["description"]


@pytest.mark.parametrize("query, reason", [
    ("per_page=0", "per_page"), ("per_page=abc", "per_page"), ("page=0", "page"), ("page=-1", "page"),
    ("page%5Bsize%5D=x", "page[size]"), ("page=2&page%5Bsize%5D=2", "either cursor"),
    ("page=101&per_page=100", "10000"), ("page=2&page_token=forged.x", "page_token"),
    ("page%5Bbefore%5D=abc", "page[before]"),
])
def test_bad_pagination_parameters_get_a_400_with_the_reason(pipeline: Pipeline, query: str, reason: str) -> None:
    response = pipeline.call("GET", f"/api/v2/tickets.json?{query}")
    assert response.status_code == 400, response.body
    assert reason in json.loads(response.body)["description"]
