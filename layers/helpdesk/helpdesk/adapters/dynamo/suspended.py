"""Suspended tickets in the RulesTable: kind ``suspended_ticket`` by id, and kind ``suspended_mail`` keyed by a
hash of the Message-ID, so a mail delivered again is suspended once."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from helpdesk.adapters.dynamo.models import RuleModel
from helpdesk.adapters.dynamo.repositories import _next_counter
from helpdesk.domain.errors import NotFound
from helpdesk.domain.suspended import SuspendedTicket
from helpdesk.ports import SuspendedTickets

KIND, MARKER = "suspended_ticket", "suspended_mail"


def _marker_id(message_id: str) -> int:
    return int(hashlib.sha256(message_id.encode("utf-8", "surrogatepass")).hexdigest()[:13], 16)


class DynamoSuspendedTickets(SuspendedTickets):
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def suspend(self, draft: SuspendedTicket) -> SuspendedTicket:
        marker = _marker_id(draft.message_id)
        found = self._marked(marker, draft)
        if found is not None:
            return found
        kept = replace(draft, id=_next_counter(KIND))
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(RuleModel(MARKER, marker, doc={"id": kept.id}), condition=RuleModel.id.does_not_exist())
                tx.save(RuleModel(KIND, kept.id, doc=kept.to_doc()))
        except TransactWriteError:
            found = self._marked(marker, draft)  # another delivery of the mail suspended it first
            if found is None:
                raise
            return found
        return kept

    def _marked(self, marker: int, draft: SuspendedTicket) -> SuspendedTicket | None:
        """The suspension this mail had already; once recovered or deleted, it stays so (a late copy of the mail
        is not suspended again): the draft under its old id, kept nowhere."""
        try:
            kept_id = int(RuleModel.get(MARKER, marker, consistent_read=True).doc["id"])
        except DoesNotExist:
            return None
        try:
            return self.get(kept_id)
        except NotFound:
            return replace(draft, id=kept_id)

    def get(self, suspended_id: int) -> SuspendedTicket:
        try:
            return SuspendedTicket.from_doc(RuleModel.get(KIND, suspended_id, consistent_read=True).doc)
        except DoesNotExist as exc:
            raise NotFound(f"suspended ticket {suspended_id} does not exist") from exc

    def page(self, size: int, before: int | None) -> tuple[list[SuspendedTicket], int | None]:
        condition = RuleModel.id < before if before is not None else None
        found = [SuspendedTicket.from_doc(item.doc) for item in RuleModel.query(
            KIND, condition, scan_index_forward=False, limit=size + 1, page_size=size + 1)]
        return found[:size], found[size - 1].id if len(found) > size else None

    def remove(self, suspended_id: int) -> bool:
        try:
            RuleModel(KIND, suspended_id).delete(condition=RuleModel.id.exists())
        except DeleteError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True
