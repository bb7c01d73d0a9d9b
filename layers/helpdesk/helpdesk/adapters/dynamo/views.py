"""Views in the RulesTable (kind ``view``, the defaults' seed marker kind ``view_defaults``) and the tickets a view
lists, read through the TicketsTable's indexes as the view's read plan says (``helpdesk.domain.views``).

- ``by_assignee`` (keys only; the range key is the status): one query per status of the plan, then the tickets by
  BatchGetItem (100 keys a request);
- ``by_status``: one query per status, from the time the status was set when the plan bounds it;
- ``by_updated``: newest first, down to the plan's ``since`` when it has one.

Each read stops at the plan's limit: the items read never exceed it, whatever the table holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from helpdesk.adapters.dynamo.automation_store import DynamoRuleStore
from helpdesk.adapters.dynamo.mapping import ticket_from_doc
from helpdesk.adapters.dynamo.models import LIST_BUCKET, DirectoryModel, RuleModel, TicketModel
from helpdesk.adapters.dynamo.repositories import _next_counter
from helpdesk.domain.clock import to_epoch
from helpdesk.domain.tickets import Ticket
from helpdesk.domain.views import ReadPlan, View
from helpdesk.ports import TextStore, ViewRead, ViewStore, ViewTickets

KIND, SEED_KIND = "view", "view_defaults"


class DynamoViewStore(DynamoRuleStore[View], ViewStore):
    def __init__(self, connection: Connection) -> None:
        super().__init__(KIND, "view", View.from_doc, dump=View.to_doc)
        self._connection = connection

    def allocate_id(self) -> int:
        return _next_counter(KIND)

    def seeded(self) -> bool:
        try:
            RuleModel.get(SEED_KIND, 0)
        except DoesNotExist:
            return False
        return True

    def seed(self, views: Sequence[View]) -> bool:
        """The marker and the views in one transaction, the marker only if absent: two first readers at once make
        one set of default views."""
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(RuleModel(SEED_KIND, 0, doc={"views": [v.id for v in views]}),
                        condition=RuleModel.id.does_not_exist())
                for view in views:
                    tx.save(RuleModel(KIND, view.id, position=view.position, doc=view.to_doc()))
        except TransactWriteError:
            if self.seeded():
                return False
            raise
        return True


PAGE = 100  # items a query request asks for at most


def _bounded(query: Callable[..., Any], limit: int) -> Iterator[TicketModel]:
    """At most ``limit`` items of a query, each request asking for no more than are still wanted (PynamoDB's
    ``limit`` asks every page for the whole limit, so a 1 MB page could read past it)."""
    start: Any = None
    while limit > 0:
        wanted = min(limit, PAGE)
        page = query(limit=wanted, page_size=wanted, last_evaluated_key=start)
        for item in page:
            limit -= 1
            yield item
        start = page.last_evaluated_key
        if not start:
            return


class DynamoViewTickets(ViewTickets):
    def __init__(self, texts: TextStore) -> None:
        self._texts = texts

    def _ticket(self, item: TicketModel) -> Ticket:
        return ticket_from_doc(self._texts.expand(item.doc), item.version)

    def read(self, plan: ReadPlan) -> ViewRead:
        if plan.index == "by_assignee":
            return self._by_assignee(plan)
        if plan.index == "by_status":
            return self._gather(plan, (self._status_items(plan, status) for status in plan.statuses))
        return self._by_updated(plan)

    def _status_items(self, plan: ReadPlan, status: str) -> Iterable[TicketModel]:
        condition: Any = (TicketModel.status_updated_at > to_epoch(plan.since)) if plan.since is not None else None
        return _bounded(lambda **page: TicketModel.by_status.query(status, condition, **page), plan.limit + 1)

    def _by_updated(self, plan: ReadPlan) -> ViewRead:
        condition: Any = (TicketModel.updated_at > to_epoch(plan.since)) if plan.since is not None else None
        items = _bounded(lambda **page: TicketModel.by_updated.query(LIST_BUCKET, condition, scan_index_forward=False,
                                                                     **page), plan.limit + 1)
        read = self._gather(plan, [items])
        wanted = set(plan.statuses)
        return ViewRead([t for t in read.tickets if t.status in wanted], read.items_read, read.truncated)

    def _gather(self, plan: ReadPlan, sources: Iterable[Iterable[TicketModel]]) -> ViewRead:
        tickets: list[Ticket] = []
        for source in sources:
            for item in source:
                if len(tickets) >= plan.limit:
                    return ViewRead(tickets, len(tickets), True)
                tickets.append(self._ticket(item))
        return ViewRead(tickets, len(tickets), False)

    def _by_assignee(self, plan: ReadPlan) -> ViewRead:
        key = str(plan.assignee_id)
        every_status = len(plan.statuses) == 6
        queries: list[Iterable[TicketModel]] = (
            [_bounded(lambda **page: TicketModel.by_assignee.query(key, **page), plan.limit + 1)] if every_status
            else [_bounded(lambda s=status, **page: TicketModel.by_assignee.query(key, TicketModel.status == s, **page),
                           plan.limit + 1) for status in plan.statuses])
        ids: list[int] = []
        truncated = False
        for query in queries:
            for item in query:
                if len(ids) >= plan.limit:
                    truncated = True
                    break
                ids.append(int(item.id))
        tickets = [self._ticket(item) for item in TicketModel.batch_get(ids)] if ids else []
        return ViewRead(tickets, len(ids) * 2, truncated)  # a key from the index, then the ticket

    def user_names(self, user_ids: Sequence[int]) -> dict[int, str]:
        keys = [f"user#{user_id}" for user_id in dict.fromkeys(user_ids)]
        found = DirectoryModel.batch_get(keys) if keys else []
        return {int(item.user_id or 0): str((item.doc or {}).get("name") or "") for item in found}
