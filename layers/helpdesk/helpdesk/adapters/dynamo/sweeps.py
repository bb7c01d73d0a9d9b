"""Sweep failures: a counter per sweep and ticket in the Directory table (kept a day), and parking on the ticket's
own item, without a version check and without touching its document, so that even an unreadable ticket can be
parked. Any save of the ticket (a full put) clears what parking did."""

from __future__ import annotations

from typing import Any

from helpdesk.adapters.dynamo.models import DirectoryModel, TicketModel
from helpdesk.ports import SweepFailures

FAILURE_TTL_SECONDS = 24 * 3600
MAX_CAUSE_CHARS = 500


class DynamoSweepFailures(SweepFailures):
    def __init__(self, clock_epoch: Any) -> None:
        self._epoch = clock_epoch

    def record(self, sweep: str, ticket_id: int, cause: str) -> int:
        item = DirectoryModel(f"sweepfail#{sweep}#{ticket_id}")
        item.update(actions=[DirectoryModel.value.add(1), DirectoryModel.doc.set({"cause": cause[:MAX_CAUSE_CHARS]}),
                             DirectoryModel.expires_at.set(int(self._epoch()) + FAILURE_TTL_SECONDS)])
        return int(item.value or 0)

    def park(self, sweep: str, ticket_id: int) -> None:
        actions: list[Any]
        if sweep == "sla":  # out of the sparse due-time indexes: the sweep's query no longer finds it
            actions = [TicketModel.sla_bucket.remove(), TicketModel.sla_due_at.remove()]
        elif sweep == "survey":
            actions = [TicketModel.survey_bucket.remove(), TicketModel.survey_due_at.remove()]
        else:  # read through the by_status index, which views and other sweeps share: marked, then skipped
            actions = [TicketModel.parked.add({sweep})]
        connection: Any = TicketModel._get_connection()
        connection.update_item(ticket_id, actions=actions, condition=TicketModel.id.exists())
