"""What every queue-fed handler does: SQS batches with partial failures, EventBridge envelopes unwrapped,
the ticket id and correlation id on every log line. Handlers in functions/ stay a few lines long."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from helpdesk.observability import count, logger, ticket_context

if TYPE_CHECKING:
    from helpdesk.services.sweep_items import ItemFailures


def _ticket_id(body: Mapping[str, Any]) -> int | None:
    detail = body.get("detail")
    source = detail if isinstance(detail, Mapping) else body
    value = source.get("ticket_id")
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def sqs_batch(event: dict[str, Any], context: Any, handle: Callable[[dict[str, Any]], Any], *,
              fifo: bool = False) -> dict[str, Any]:
    """Run handle(body) for each record; failed records are reported, the rest of the batch goes on.

    For FIFO queues the records after a failure in the same message group are reported too (ordering),
    while other groups go on.
    """
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        SqsFifoPartialProcessor,
        process_partial_response,
    )

    def record_handler(record: Any) -> Any:
        try:
            body = json.loads(record.body)
        except json.JSONDecodeError as exc:
            logger().error("record is not JSON", extra={"message_id": record.message_id})
            raise ValueError(f"record {record.message_id} is not JSON") from exc
        with ticket_context(_ticket_id(body), record.message_id):
            try:
                return handle(body)
            except Exception:
                logger().exception("record failed", extra={"message_id": record.message_id})
                raise

    processor = (SqsFifoPartialProcessor(skip_group_on_error=True) if fifo
                 else BatchProcessor(event_type=EventType.SQS))
    processor.raise_on_entire_batch_failure = False  # report every failed record, even when all failed
    return dict(process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                         context=context))


def bus_event(body: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The (detail-type, detail) of an EventBridge event delivered through SQS, whole: texts the publisher kept
    out of line (``helpdesk.domain.bodies``) are read back, so every consumer sees what was published."""
    detail_type = body.get("detail-type")
    detail = body.get("detail")
    if not isinstance(detail_type, str) or not isinstance(detail, dict):
        raise ValueError("the message is not an EventBridge event")
    from helpdesk.domain.bodies import is_shrunk

    if is_shrunk(detail):
        from helpdesk.bootstrap import container

        detail = dict(container().texts.expand(detail))
    return detail_type, detail


def report_sweep_failures(sweep: str, failures: ItemFailures) -> None:
    """Each ticket a sweep could not handle, logged with its cause; counts for the alarms."""
    for ticket_id, cause in failures.failed:
        with ticket_context(ticket_id):
            logger().error("a ticket failed in the sweep; the others were handled", extra={
                "sweep": sweep, "cause": cause, "parked": ticket_id in failures.parked})
    count("SweepItemFailures", len(failures.failed))
    count("SweepItemsParked", len(failures.parked))
