"""TriggerEvalFunction: runs the admins' triggers on every ticket created or updated."""

from __future__ import annotations

from typing import Any

from helpdesk.entrypoints import bus_event, sqs_batch
from helpdesk.observability import count, entrypoint, logger


def _one(body: dict[str, Any]) -> None:
    from helpdesk.bootstrap import container
    from helpdesk.services.trigger_evaluation import evaluate

    _, detail = bus_event(body)
    result = evaluate(container(), detail)
    logger().info("triggers evaluated", extra={"event_id": detail.get("event_id"), "fired": result.fired,
                                               "skipped": result.skipped})
    count("TriggersFired", len(result.fired))


@entrypoint("trigger_eval")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return sqs_batch(event, context, _one)
