"""Satisfaction ratings read through the TicketsTable's sparse ``by_rating`` index (score, epoch seconds the survey
was rated, or offered when it is not rated yet), written with each ticket save (``_ticket_item``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from helpdesk.adapters.dynamo.mapping import ticket_from_doc
from helpdesk.adapters.dynamo.models import TicketModel
from helpdesk.domain.tickets import Ticket
from helpdesk.ports import SatisfactionRatings, TextStore

PAGE = 100


class DynamoSatisfactionRatings(SatisfactionRatings):
    def __init__(self, texts: TextStore) -> None:
        self._texts = texts

    def newest_first(self, score: str, start: int | None, end: int | None) -> Iterator[Ticket]:
        key = TicketModel.rating_at
        condition: Any = None
        if start is not None and end is not None:
            condition = key.between(start, end)
        elif start is not None:
            condition = key >= start
        elif end is not None:
            condition = key <= end
        for item in TicketModel.by_rating.query(score, condition, scan_index_forward=False, page_size=PAGE):
            yield ticket_from_doc(self._texts.expand(item.doc), item.version)
