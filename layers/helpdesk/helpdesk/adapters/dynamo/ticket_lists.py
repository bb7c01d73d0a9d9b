"""A person's or an organization's tickets, read through the keys-only indexes by_requester, by_organization and
by_assignee, then the tickets themselves by key (BatchGetItem): a page costs its own items, never the table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from helpdesk.adapters.dynamo.mapping import ticket_from_doc
from helpdesk.adapters.dynamo.models import DELETED_BUCKET, TicketModel
from helpdesk.domain.tickets import Ticket
from helpdesk.ports import TextStore

Position = tuple[Any, int]


class DynamoTicketLists:
    def __init__(self, texts: TextStore) -> None:
        self._texts = texts

    def _tickets(self, keys: list[tuple[int, Position]]) -> list[tuple[Ticket, Position]]:
        if not keys:
            return []
        found = {int(item.id): item for item in TicketModel.batch_get([k for k, _ in keys], consistent_read=True)}
        return [(ticket_from_doc(self._texts.expand(found[k].doc), found[k].version), position)
                for k, position in keys if k in found and found[k].list_bucket != DELETED_BUCKET]

    def _by_updated(self, index: Any, hash_name: str, value: str, limit: int,
                    after: Position | None) -> list[tuple[Ticket, Position]]:
        start = ({hash_name: {"S": value}, "updated_at": {"N": str(int(after[0]))}, "id": {"N": str(after[1])}}
                 if after is not None else None)
        result: Iterable[Any] = index.query(value, scan_index_forward=False, limit=limit, last_evaluated_key=start)
        return self._tickets([(int(item.id), (int(item.updated_at), int(item.id))) for item in result])

    def requested(self, user_id: int, limit: int, after: Position | None) -> list[tuple[Ticket, Position]]:
        return self._by_updated(TicketModel.by_requester, "requester_key", str(user_id), limit, after)

    def of_organization(self, organization_id: int, limit: int,
                        after: Position | None) -> list[tuple[Ticket, Position]]:
        return self._by_updated(TicketModel.by_organization, "organization_key", str(organization_id), limit, after)

    def with_external_id(self, external_id: str, limit: int,
                         after: Position | None) -> list[tuple[Ticket, Position]]:
        return self._by_updated(TicketModel.by_external_id, "external_key", external_id, limit, after)

    def assigned(self, user_id: int, limit: int, after: Position | None) -> list[tuple[Ticket, Position]]:
        """An agent's tickets by status (the by_assignee index's order), then id."""
        start = ({"assignee_key": {"S": str(user_id)}, "status": {"S": str(after[0])}, "id": {"N": str(after[1])}}
                 if after is not None else None)
        result = TicketModel.by_assignee.query(str(user_id), limit=limit, last_evaluated_key=start)
        return self._tickets([(int(item.id), (str(item.status), int(item.id))) for item in result])
