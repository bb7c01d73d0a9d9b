"""Comment attachments as Zendesk's API shows them, and their download.

An attachment's id is made of its ticket, its comment and its place among the comment's attachments
(``ticket * 10^9 + comment * 10^3 + position``), so ``GET /api/v2/attachments/{id}`` reads the one comment item that
holds it: no table of attachments to keep in step. Its ``content_url`` is a route of this API, behind the API's
authorisation, that answers with a redirect to a short-lived signed S3 URL of the stored file. A messaging media
file not stored yet (``status`` pending, or failed) has no ``content_url``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.errors import CommentNotFound, NotFound

POSITIONS = 1000
COMMENTS = 1_000_000
LINK_SECONDS = 300  # how long a download link stays valid once handed out


def attachment_id(ticket_id: int, comment_id: int, position: int) -> int:
    return (ticket_id * COMMENTS + comment_id) * POSITIONS + position


def split_id(number: int) -> tuple[int, int, int]:
    rest, position = divmod(number, POSITIONS)
    ticket_id, comment_id = divmod(rest, COMMENTS)
    return ticket_id, comment_id, position


def _stored(doc: Mapping[str, Any]) -> bool:
    return bool(doc.get("key")) and doc.get("status", "stored") == "stored"


def attachment_to_api(base: str, ticket_id: int, comment_id: int, position: int,
                      doc: Mapping[str, Any]) -> dict[str, Any]:
    """The stored attachment document, with Zendesk's attachment keys added."""
    number = attachment_id(ticket_id, comment_id, position)
    content = f"{base}/api/v2/attachments/{number}/content" if _stored(doc) else None
    return {
        **dict(doc), "id": number, "url": f"{base}/api/v2/attachments/{number}.json",
        "file_name": doc.get("filename") or doc.get("file_name") or f"attachment-{position}",
        "content_url": content, "mapped_content_url": content,
        "content_type": doc.get("content_type") or "application/octet-stream", "size": doc.get("size"),
        "inline": bool(doc.get("inline")), "deleted": False, "thumbnails": [], "width": None, "height": None,
        "malware_access_override": False, "malware_scan_result": "not_scanned",
    }


def _find(deps: Container, number: int) -> tuple[int, int, int, Mapping[str, Any]]:
    ticket_id, comment_id, position = split_id(number)
    missing = NotFound(f"attachment {number} does not exist")
    if position < 1 or comment_id < 1:
        raise missing
    deps.tickets.get(ticket_id)  # 404 for a ticket that does not exist or was deleted
    try:
        comment = deps.tickets.comment(ticket_id, comment_id)
    except CommentNotFound as exc:
        raise missing from exc
    if position > len(comment.attachments):
        raise missing
    return ticket_id, comment_id, position, comment.attachments[position - 1]


def show(deps: Container, number: int) -> dict[str, Any]:
    ticket_id, comment_id, position, doc = _find(deps, number)
    return attachment_to_api((deps.settings.public_api_url or "").rstrip("/"), ticket_id, comment_id, position, doc)


def download_link(deps: Container, number: int) -> str:
    """A signed URL of the stored file, valid LINK_SECONDS; 404 while a messaging media file is not stored."""
    *_, doc = _find(deps, number)
    if not _stored(doc):
        raise NotFound(f"attachment {number} is {doc.get('status') or 'not stored'}: it has no content yet")
    return deps.raw_store.link(str(doc["key"]), LINK_SECONDS)
