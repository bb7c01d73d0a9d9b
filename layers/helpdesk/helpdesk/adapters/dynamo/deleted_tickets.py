"""Soft-deleted tickets (Zendesk's ``/api/v2/deleted_tickets``) on the tickets table.

Deleting sets the item's ``list_bucket`` and ``status`` to ``deleted`` (so it leaves the ticket list, every
status partition automations read, and its sparse SLA, survey and assignee indexes) and records who deleted it
when; the by_updated index's ``deleted`` partition is then the deleted tickets' listing. The ticket's document is
kept as it was, so restoring writes the item again from it (indexes recomputed) and permanent deletion removes
the item and its comments and audits. Every change is guarded by the item's version: a writer that read the
ticket before the deletion fails its write and, retrying, finds it deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from helpdesk.adapters.dynamo.mapping import ticket_from_doc
from helpdesk.adapters.dynamo.models import DELETED_BUCKET, ActivityModel, TicketModel
from helpdesk.adapters.dynamo.repositories import _ticket_item
from helpdesk.domain.clock import to_epoch
from helpdesk.domain.errors import ConcurrentUpdate, TicketNotFound
from helpdesk.domain.tickets import Ticket
from helpdesk.ports import TextStore


class DynamoDeletedTickets:
    def __init__(self, texts: TextStore) -> None:
        self._texts = texts

    def _item(self, ticket_id: int, deleted: bool) -> TicketModel:
        try:
            item = TicketModel.get(ticket_id, consistent_read=True)
        except DoesNotExist as exc:
            raise TicketNotFound(f"ticket {ticket_id} does not exist") from exc
        if (item.list_bucket == DELETED_BUCKET) != deleted:
            state = "is not deleted" if deleted else "was deleted (it is listed at /api/v2/deleted_tickets)"
            raise TicketNotFound(f"ticket {ticket_id} {state}")
        return item

    def soft_delete(self, ticket_id: int, when: datetime, actor_id: int) -> None:
        item = self._item(ticket_id, deleted=False)
        try:
            item.update(actions=[
                TicketModel.list_bucket.set(DELETED_BUCKET), TicketModel.status.set(DELETED_BUCKET),
                TicketModel.updated_at.set(to_epoch(when)), TicketModel.deleted_at.set(to_epoch(when)),
                TicketModel.deleted_by.set(actor_id), TicketModel.sla_bucket.remove(),
                TicketModel.sla_due_at.remove(), TicketModel.survey_bucket.remove(),
                TicketModel.survey_due_at.remove(), TicketModel.assignee_key.remove(),
                TicketModel.requester_key.remove(), TicketModel.organization_key.remove(),
                TicketModel.external_key.remove(),
            ])
        except UpdateError as exc:
            raise ConcurrentUpdate(f"ticket {ticket_id} changed while it was being deleted; try again") from exc

    def restore(self, ticket_id: int) -> Ticket:
        item = self._item(ticket_id, deleted=True)
        ticket = ticket_from_doc(self._texts.expand(item.doc), item.version)
        restored = _ticket_item(ticket, self._texts)
        try:
            restored.save()  # the version read: a concurrent restore or purge makes this fail
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise ConcurrentUpdate(f"ticket {ticket_id} changed while it was being restored") from exc
            raise
        ticket.version = restored.version
        return ticket

    def purge(self, ticket_id: int) -> None:
        """Delete a soft-deleted ticket for good: its item, then its comments, audits and message events."""
        item = self._item(ticket_id, deleted=True)
        item.delete()
        with ActivityModel.batch_write() as batch:
            for activity in ActivityModel.query(ticket_id, attributes_to_get=["ticket_id", "sk"]):
                batch.delete(activity)

    def listing(self, limit: int, after: tuple[int, int] | None) -> list[tuple[Ticket, dict[str, Any]]]:
        """Deleted tickets, most recently deleted first, each with ``deleted_at`` (epoch), ``deleted_by`` and its
        position (deleted_at, id) to continue after."""
        start = ({"list_bucket": {"S": DELETED_BUCKET}, "updated_at": {"N": str(after[0])},
                  "id": {"N": str(after[1])}} if after is not None else None)
        result = TicketModel.by_updated.query(DELETED_BUCKET, scan_index_forward=False, limit=limit,
                                              last_evaluated_key=start)
        return [(ticket_from_doc(self._texts.expand(item.doc), item.version),
                 {"deleted_at": int(item.deleted_at or item.updated_at), "deleted_by": item.deleted_by,
                  "position": (int(item.updated_at), int(item.id))}) for item in result]
