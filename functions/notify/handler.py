"""NotifyFunction: agent replies and trigger notifications go out by email, threaded."""

from __future__ import annotations

from typing import Any

from helpdesk.entrypoints import bus_event, sqs_batch
from helpdesk.observability import count, entrypoint, logger


def _one(body: dict[str, Any]) -> None:
    from helpdesk.bootstrap import container
    from helpdesk.services.notifications import deliver

    detail_type, detail = bus_event(body)
    result = deliver(container(), detail_type, detail)
    logger().info("delivery", extra={"event": detail_type, "recipient": result.recipient, "skipped": result.skipped})
    count("EmailsSent", 1 if result.skipped is None else 0)


@entrypoint("notify")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return sqs_batch(event, context, _one)
