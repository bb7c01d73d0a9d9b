"""TicketCreateFunction: each queued inbound message becomes a ticket or a comment on the right ticket."""

from __future__ import annotations

from typing import Any

from helpdesk.entrypoints import sqs_batch
from helpdesk.observability import bind_ticket, count, entrypoint, logger


def _one(body: dict[str, Any]) -> None:
    from helpdesk.bootstrap import container
    from helpdesk.services.inbound_email import create_from_email

    outcome = create_from_email(container(), body)
    if outcome.ticket_id is not None:
        bind_ticket(outcome.ticket_id)
    logger().info("inbound mail handled", extra={"ticket_created": outcome.created, "duplicate": outcome.duplicate,
                                                 "follow_up_of": outcome.follow_up_of,
                                                 "dropped": outcome.dropped})
    if outcome.created:
        count("TicketsCreated")


@entrypoint("ticket_create")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return sqs_batch(event, context, _one, fifo=True)
