"""MessagingIngestFunction: each queued messaging item (any channel) becomes a comment on its conversation's
ticket, or moves a sent message's delivery status forward."""

from __future__ import annotations

from typing import Any

from helpdesk.entrypoints import sqs_batch
from helpdesk.observability import bind_ticket, count, entrypoint, logger


def _one(body: dict[str, Any]) -> None:
    from helpdesk.bootstrap import container
    from helpdesk.channels.messaging.items import InboundMessage, item_from_json

    item = item_from_json(body)
    if isinstance(item, InboundMessage):
        from helpdesk.services.messaging.receive_message import receive

        received = receive(container(), item)
        if received.ticket_id is not None:
            bind_ticket(received.ticket_id)
        logger().info("message received", extra={"channel": item.channel, "ticket_created": received.created,
                                                  "duplicate": received.duplicate, "dropped": received.dropped,
                                                  "event": received.event})
        count("MessagesReceived")
        if received.dropped:
            count("MessagesDropped")
        return
    from helpdesk.services.messaging.delivery_status import apply

    applied = apply(container(), item)
    logger().info("delivery status", extra={"channel": item.channel, "status": item.status,
                                            "applied": applied.applied, "parked": applied.parked,
                                            "dropped": applied.dropped})


@entrypoint("messaging_ingest")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from helpdesk.services.messaging.provider_order import in_provider_order

    records = in_provider_order(event.get("Records") or [])  # a person's messages as they wrote them
    return sqs_batch({**event, "Records": records}, context, _one, fifo=True)
