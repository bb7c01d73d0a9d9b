"""MessagingSendFunction: what leaves on a messaging ticket's channel: the agents' public replies, in order, and
the rules' notifications to its requester."""

from __future__ import annotations

from typing import Any

from helpdesk.entrypoints import bus_event, sqs_batch
from helpdesk.observability import bind_ticket, count, entrypoint, logger


def _one(body: dict[str, Any]) -> None:
    from helpdesk.bootstrap import container

    detail_type, detail = bus_event(body)
    ticket_id = int(detail["ticket_id"])
    bind_ticket(ticket_id)
    if detail_type == "NotificationRequested":
        from helpdesk.services.messaging.send_notification import notify

        notified = notify(container(), detail)
        logger().info("notification sent on the channel" if notified.sent else "notification not sent",
                      extra={"why": notified.why, "trigger_id": detail.get("trigger_id")})
        count("MessagesSent", int(notified.sent))
        return
    from helpdesk.services.messaging.send_replies import flush

    flushed = flush(container(), ticket_id)
    logger().info("replies sent", extra={"sent": flushed.sent, "not_sent": flushed.not_sent})
    count("MessagesSent", len(flushed.sent))


@entrypoint("messaging_send")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return sqs_batch(event, context, _one)
