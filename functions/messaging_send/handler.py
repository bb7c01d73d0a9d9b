"""MessagingSendFunction: the agents' public replies on a messaging ticket leave on its channel, in order."""

from __future__ import annotations

from typing import Any

from helpdesk.entrypoints import bus_event, sqs_batch
from helpdesk.observability import bind_ticket, count, entrypoint, logger


def _one(body: dict[str, Any]) -> None:
    from helpdesk.bootstrap import container
    from helpdesk.services.messaging.send_replies import flush

    _, detail = bus_event(body)
    ticket_id = int(detail["ticket_id"])
    bind_ticket(ticket_id)
    flushed = flush(container(), ticket_id)
    logger().info("replies sent", extra={"sent": flushed.sent, "not_sent": flushed.not_sent})
    count("MessagesSent", len(flushed.sent))


@entrypoint("messaging_send")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return sqs_batch(event, context, _one)
