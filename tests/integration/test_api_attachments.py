"""Comment attachments in Zendesk's shape, shown at /api/v2/attachments/{id} and downloaded through a redirect to a
short-lived signed S3 URL, behind the API's authorisation."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support import Pipeline

BASE = "https://helpdesk.test"
PNG = bytes(range(256)) * 40 + b"\x00\xff end"


def _upload(pipeline: Pipeline, data: bytes, name: str, kind: str) -> str:
    headers = {**pipeline.auth, "Content-Type": kind}
    response = pipeline.call("POST", f"/api/v2/uploads.json?filename={name}", data, headers)
    assert response.status_code == 201, response.body
    return str(json.loads(response.body)["upload"]["token"])


def _ticket_with(pipeline: Pipeline, tokens: list[str]) -> dict[str, Any]:
    body = {"ticket": {"subject": "files", "comment": {"body": "see attached", "uploads": tokens}}}
    return dict(pipeline.json("POST", "/api/v2/tickets.json", body, expect=201))


def test_an_uploaded_file_is_shown_and_downloaded_byte_for_byte(pipeline: Pipeline) -> None:
    import requests

    token = _upload(pipeline, PNG, "photo.png", "image/png")
    created = _ticket_with(pipeline, [token, _upload(pipeline, b"hello", "note.txt", "text/plain")])
    number = created["ticket"]["id"]
    in_audit = next(e for e in created["audit"]["events"] if e["type"] == "Comment")["attachments"]
    [comment] = pipeline.json("GET", f"/api/v2/tickets/{number}/comments.json")["comments"]
    photo, note = comment["attachments"]
    assert in_audit == comment["attachments"]
    assert (photo["file_name"], photo["content_type"], photo["size"]) == ("photo.png", "image/png", len(PNG))
    assert photo["id"] != note["id"] and note["file_name"] == "note.txt"
    assert photo["content_url"] == f"{BASE}/api/v2/attachments/{photo['id']}/content"
    shown = pipeline.json("GET", f"/api/v2/attachments/{photo['id']}.json")["attachment"]
    assert shown == photo
    redirect = pipeline.call("GET", photo["content_url"].removeprefix(BASE))
    assert redirect.status_code == 302
    link = redirect.headers["Location"]
    assert "Signature=" in link and "Expires=" in link and urlsplit(link).path.endswith("/photo.png")
    assert requests.get(link, timeout=10).content == PNG  # the signed URL serves the very bytes (moto)


def test_downloading_needs_the_apis_credentials(pipeline: Pipeline) -> None:
    created = _ticket_with(pipeline, [_upload(pipeline, b"secret", "s.txt", "text/plain")])
    [comment] = pipeline.json("GET", f"/api/v2/tickets/{created['ticket']['id']}/comments.json")["comments"]
    path = comment["attachments"][0]["content_url"].removeprefix(BASE)
    assert pipeline.call("GET", path, headers={}).status_code == 401


def test_a_comment_without_attachments_and_unknown_ids(pipeline: Pipeline) -> None:
    created = _ticket_with(pipeline, [])
    number = created["ticket"]["id"]
    assert pipeline.json("GET", f"/api/v2/tickets/{number}/comments.json")["comments"][0]["attachments"] == []
    from helpdesk.services.attachments import attachment_id

    for missing in (attachment_id(number, 1, 1), attachment_id(number, 9, 1), attachment_id(999, 1, 1)):
        assert pipeline.call("GET", f"/api/v2/attachments/{missing}.json").status_code == 404
        assert pipeline.call("GET", f"/api/v2/attachments/{missing}/content").status_code == 404


@pytest.mark.parametrize("path, status, reason", [
    ("/api/v2/attachments/abc.json", 400, "not a attachment id"),
    ("/api/v2/attachments/-1/content", 400, "not a attachment id"),
    ("/api/v2/attachments/1000000000000000000000/content", 400, "not a attachment id"),
    ("/api/v2/attachments/5.json", 404, "attachment 5 does not exist"),
])
def test_bad_attachment_ids_get_a_4xx_with_the_reason(pipeline: Pipeline, path: str, status: int,
                                                      reason: str) -> None:
    response = pipeline.call("GET", path)
    assert response.status_code == status, response.body
    assert reason in json.loads(response.body)["description"]
