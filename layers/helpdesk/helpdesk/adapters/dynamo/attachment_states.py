"""The states of a comment's attachments fetched after it was written (messaging media), kept on the comment's item
beside its document: one conditional update of that item, at a version of its own, never the document or the
ticket. A stored attachment stays stored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from helpdesk.adapters.dynamo.models import ActivityModel
from helpdesk.domain.errors import CommentNotFound
from helpdesk.domain.tickets import Comment
from helpdesk.ports import VersionConflict

WRITE_ATTEMPTS = 8  # writers of one comment's attachments are few: its media step, and a redelivery of it
FINAL = "stored"


def _key(comment_id: int) -> str:
    return f"c#{comment_id:08d}"


def _read(ticket_id: int, comment_id: int) -> tuple[dict[str, dict[str, Any]], int | None]:
    try:
        item = ActivityModel.get(ticket_id, _key(comment_id), consistent_read=True,
                                 attributes_to_get=["sk", "attachment_states", "attachment_version"])
    except DoesNotExist as exc:
        raise CommentNotFound(f"comment {comment_id} of ticket {ticket_id} does not exist") from exc
    version = int(item.attachment_version) if item.attachment_version is not None else None
    return {str(k): dict(v) for k, v in (item.attachment_states or {}).items()}, version


def attachment_states(ticket_id: int, comment_id: int) -> dict[int, dict[str, Any]]:
    states, _ = _read(ticket_id, comment_id)
    return {int(position): state for position, state in states.items()}


def set_attachment_state(ticket_id: int, comment_id: int, position: int, state: Mapping[str, Any]) -> bool:
    for _ in range(WRITE_ATTEMPTS):
        states, version = _read(ticket_id, comment_id)
        if states.get(str(position), {}).get("status") == FINAL:
            return False
        states[str(position)] = dict(state)
        read_at = (ActivityModel.attachment_version.does_not_exist() if version is None
                   else ActivityModel.attachment_version == version)
        try:
            ActivityModel(ticket_id, _key(comment_id)).update(
                actions=[ActivityModel.attachment_states.set(states),
                         ActivityModel.attachment_version.set((version or 0) + 1)],
                condition=ActivityModel.sk.exists() & read_at)
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                continue  # another writer recorded an attachment of this comment first: read again
            raise
        return True
    raise VersionConflict(f"the attachments of comment {comment_id} of ticket {ticket_id} kept changing")


def with_attachment_states(comment: Comment, item: ActivityModel) -> Comment:
    """The comment with each attachment's recorded state over what its document says (``pending``)."""
    states = item.attachment_states
    if not states:
        return comment
    merged = tuple({**dict(attachment), **dict(states.get(str(position)) or {})}
                   for position, attachment in enumerate(comment.attachments, start=1))
    return replace(comment, attachments=merged)
