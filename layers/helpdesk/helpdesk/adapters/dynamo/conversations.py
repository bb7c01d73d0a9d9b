"""Conversations and message pointers in the Directory table.

- ``conv#<channel>#<account>#<identity>``: the conversation's ticket (``ticket_id``), requester (``user_id``), its
  version (``value``) and ``doc`` (last inbound time, a survey offered in the chat). Written with the ticket.
- ``sent#<channel>:<account>:<provider id>``: the comment a message we sent carries (``ticket_id``, ``value``).
- ``pstat#<ref>``: statuses that arrived before the send they belong to was recorded (kept a day).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from helpdesk.adapters.dynamo.models import DirectoryModel
from helpdesk.domain.clock import iso, parse_iso
from helpdesk.domain.identities import pointer_key
from helpdesk.ports import (
    ChannelHealthLog,
    Conversation,
    ConversationLookup,
    ConversationStore,
    VersionConflict,
)

SENT_TTL_SECONDS = 90 * 24 * 3600  # statuses and reactions refer to messages of the last weeks
PARKED_TTL_SECONDS = 24 * 3600


def conversation_key(key: str) -> str:
    return f"conv#{key}"


def conversation_write(conversation: Conversation) -> tuple[DirectoryModel, Any]:
    """The item to write and its condition: still at the version read (or not written yet)."""
    version = conversation.version
    item = DirectoryModel(conversation_key(conversation.key), ticket_id=conversation.ticket_id,
                          user_id=conversation.requester_id, value=(version or 0) + 1,
                          doc={"last_inbound_at": iso(conversation.last_inbound_at),
                               "survey": dict(conversation.survey) if conversation.survey else None})
    condition = DirectoryModel.pk.does_not_exist() if version is None else DirectoryModel.value == version
    return item, condition


def _conversation(key: str, item: DirectoryModel) -> Conversation:
    doc = item.doc or {}
    return Conversation(key=key, requester_id=int(item.user_id or 0),
                        ticket_id=int(item.ticket_id) if item.ticket_id is not None else None,
                        last_inbound_at=parse_iso(doc.get("last_inbound_at")), survey=doc.get("survey"),
                        version=int(item.value or 0))


class DynamoConversations(ConversationStore):
    def __init__(self, clock_epoch: Any) -> None:
        self._epoch = clock_epoch

    def lookup(self, key: str, identities: Sequence[tuple[str, str]]) -> ConversationLookup:
        pointers = {pointer_key(kind, value): (kind, value) for kind, value in identities}
        wanted = [conversation_key(key), *pointers]
        conversation, users = None, {}
        for item in DirectoryModel.batch_get(wanted, consistent_read=True):
            if item.pk == conversation_key(key):
                conversation = _conversation(key, item)
            elif item.pk in pointers and item.user_id is not None:
                users[pointers[item.pk]] = int(item.user_id)
        return ConversationLookup(conversation, users)

    def get(self, key: str) -> Conversation | None:
        try:
            return _conversation(key, DirectoryModel.get(conversation_key(key), consistent_read=True))
        except DoesNotExist:
            return None

    def save(self, conversation: Conversation) -> None:
        item, condition = conversation_write(conversation)
        try:
            item.save(condition=condition)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise VersionConflict(f"conversation {conversation.key} was saved by someone else") from exc
            raise

    def remember_sent(self, ref: str, ticket_id: int, comment_id: int) -> None:
        DirectoryModel(f"sent#{ref}", ticket_id=ticket_id, value=comment_id,
                       expires_at=int(self._epoch()) + SENT_TTL_SECONDS).save()

    def sent(self, ref: str) -> tuple[int, int] | None:
        try:
            item = DirectoryModel.get(f"sent#{ref}", consistent_read=True)
        except DoesNotExist:
            return None
        return int(item.ticket_id or 0), int(item.value or 0)

    def park_status(self, ref: str, status: Mapping[str, Any]) -> None:
        item = DirectoryModel(f"pstat#{ref}")
        try:
            stored = DirectoryModel.get(f"pstat#{ref}", consistent_read=True)
            parked = list((stored.doc or {}).get("statuses", []))
        except DoesNotExist:
            parked = []
        item.doc = {"statuses": [*parked, dict(status)][-20:]}
        item.expires_at = int(self._epoch()) + PARKED_TTL_SECONDS
        item.save()

    def take_parked(self, ref: str) -> list[dict[str, Any]]:
        try:
            stored = DirectoryModel.get(f"pstat#{ref}", consistent_read=True)
        except DoesNotExist:
            return []
        stored.delete()
        return [dict(s) for s in (stored.doc or {}).get("statuses", [])]

    def lease(self, name: str, seconds: int) -> bool:
        now = int(self._epoch())
        try:
            DirectoryModel(f"lease#{name}", expires_at=now + seconds).save(
                condition=DirectoryModel.pk.does_not_exist() | (DirectoryModel.expires_at < now))
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release(self, name: str) -> None:
        DirectoryModel(f"lease#{name}").delete()


class DynamoChannelHealth(ChannelHealthLog):
    """``health#<channel>#<account>``: one small item per channel account, its fields set by each outcome."""

    def record(self, channel: str, account: str, changes: Mapping[str, Any]) -> None:
        key = f"health#{channel}#{account}"
        try:
            stored = dict(DirectoryModel.get(key, consistent_read=True).doc or {})
        except DoesNotExist:
            stored = {}
        DirectoryModel(key, doc={**stored, **dict(changes)}).save()

    def health(self, channel: str, account: str) -> dict[str, Any]:
        try:
            return dict(DirectoryModel.get(f"health#{channel}#{account}").doc or {})
        except DoesNotExist:
            return {}
