"""A comment's attachment states (messaging media fetched after the comment was written): one conditional update of
the comment's item, never lost to a concurrent writer, a stored attachment staying stored, the ticket untouched."""

from __future__ import annotations

from typing import Any

import pytest

from helpdesk.adapters.dynamo import attachment_states
from helpdesk.domain.errors import CommentNotFound
from tests.support import Pipeline


def _ticket_with_a_comment(p: Pipeline) -> tuple[int, int]:
    ticket = p.json("POST", "/api/v2/tickets.json", {"ticket": {"subject": "Photo", "comment": {"body": "Look"}}},
                    expect=201)["ticket"]
    [comment] = p.json("GET", f"/api/v2/tickets/{ticket['id']}/comments.json")["comments"]
    return int(ticket["id"]), int(comment["id"])


def test_states_are_kept_per_attachment_and_a_stored_one_stays_stored(pipeline: Pipeline) -> None:
    p = pipeline
    ticket_id, comment_id = _ticket_with_a_comment(p)
    before = p.json("GET", f"/api/v2/tickets/{ticket_id}.json")["ticket"]
    tickets = p.deps().tickets
    assert tickets.attachment_states(ticket_id, comment_id) == {}
    assert tickets.set_attachment_state(ticket_id, comment_id, 1, {"status": "failed", "reason": "not_found"})
    assert tickets.set_attachment_state(ticket_id, comment_id, 1, {"status": "stored", "key": "attachments/a"})
    assert tickets.set_attachment_state(ticket_id, comment_id, 2, {"status": "failed", "reason": "too_large"})
    assert not tickets.set_attachment_state(ticket_id, comment_id, 1, {"status": "failed", "reason": "late"})
    assert tickets.attachment_states(ticket_id, comment_id) == {
        1: {"status": "stored", "key": "attachments/a"}, 2: {"status": "failed", "reason": "too_large"}}
    assert p.json("GET", f"/api/v2/tickets/{ticket_id}.json")["ticket"] == before


def test_a_writer_that_read_before_another_wrote_reads_again_and_keeps_both(pipeline: Pipeline,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    ticket_id, comment_id = _ticket_with_a_comment(pipeline)
    pipeline.deps().tickets  # noqa: B018 - binds the models to the stack's tables
    real_read = attachment_states._read
    reads: list[int] = []

    def read_then_someone_writes(ticket: int, comment: int) -> Any:
        found = real_read(ticket, comment)
        reads.append(1)
        if len(reads) == 1:  # between this writer's read and its write, the other records attachment 2
            monkeypatch.setattr(attachment_states, "_read", real_read)
            attachment_states.set_attachment_state(ticket, comment, 2, {"status": "stored", "key": "attachments/b"})
            monkeypatch.setattr(attachment_states, "_read", read_then_someone_writes)
        return found

    monkeypatch.setattr(attachment_states, "_read", read_then_someone_writes)
    stored = {"status": "stored", "key": "attachments/a"}
    assert attachment_states.set_attachment_state(ticket_id, comment_id, 1, stored)
    assert len(reads) == 2  # the conditional update failed once, and the writer read again
    assert attachment_states.attachment_states(ticket_id, comment_id) == {
        1: {"status": "stored", "key": "attachments/a"}, 2: {"status": "stored", "key": "attachments/b"}}


def test_a_comment_that_does_not_exist_is_not_created(pipeline: Pipeline) -> None:
    ticket_id, comment_id = _ticket_with_a_comment(pipeline)
    tickets = pipeline.deps().tickets
    with pytest.raises(CommentNotFound):
        tickets.attachment_states(ticket_id, comment_id + 1000)
    with pytest.raises(CommentNotFound):
        tickets.set_attachment_state(ticket_id + 1000, comment_id, 1, {"status": "stored"})
    assert [c["id"] for c in pipeline.json("GET", f"/api/v2/tickets/{ticket_id}/comments.json")["comments"]] == [
        comment_id]
