"""What every queue-fed handler does: SQS batches with partial failures, EventBridge envelopes unwrapped,
the ticket id and correlation id on every log line. Handlers in functions/ stay a few lines long.

Every record reported as failed is logged at error level with its ``message_id`` and its ``cause``, so a dead
letter can always be traced to why it died: a body that is not a JSON object, the handler's exception, or (FIFO)
an earlier record of its message group that failed in the same batch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from helpdesk.domain.errors import InvalidInput
from helpdesk.domain.inputs import load_json, whole_number
from helpdesk.observability import count, logger, ticket_context

if TYPE_CHECKING:
    from helpdesk.services.sweep_items import ItemFailures

SKIPPED = "not handled: an earlier record of its message group failed in this batch"


def record_body(text: str) -> dict[str, Any]:
    """The JSON object a queued record carries; InvalidInput with the reason for anything else."""
    body = load_json(text, "the record body")
    if not isinstance(body, dict):
        raise InvalidInput(f"the record body is JSON {type(body).__name__}, not an object")
    return body


def _ticket_id(body: Mapping[str, Any]) -> int | None:
    detail = body.get("detail")
    source = detail if isinstance(detail, Mapping) else body
    return whole_number(source.get("ticket_id"))


def _cause(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def sqs_batch(event: dict[str, Any], context: Any, handle: Callable[[dict[str, Any]], Any], *,
              fifo: bool = False) -> dict[str, Any]:
    """Run handle(body) for each record; failed records are reported, the rest of the batch goes on.

    For FIFO queues the records after a failure in the same message group are reported too (ordering),
    while other groups go on.
    """
    return _batch(event, context, lambda body, record: handle(body), fifo)


def sqs_batch_attempts(event: dict[str, Any], context: Any,
                       handle: Callable[[dict[str, Any], int], Any]) -> dict[str, Any]:
    """sqs_batch for work the queue retries that records its own failure on the last attempt: handle(body,
    attempt), ``attempt`` being how many times the record was received (1 the first time)."""
    return _batch(event, context, lambda body, record: handle(body, receive_count(record)), False)


def receive_count(record: Any) -> int:
    """The record's ApproximateReceiveCount (1 when absent or unreadable)."""
    value = whole_number(record.attributes.get("ApproximateReceiveCount"))
    return value if value is not None and value > 0 else 1


def _batch(event: dict[str, Any], context: Any, handle: Callable[[dict[str, Any], Any], Any],
           fifo: bool) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        SqsFifoPartialProcessor,
        process_partial_response,
    )

    logged: set[str] = set()

    def failed(message_id: str, exc: BaseException) -> None:
        logged.add(message_id)
        logger().error("record failed", exc_info=exc, extra={"message_id": message_id, "cause": _cause(exc)})

    def record_handler(record: Any) -> Any:
        try:
            body = record_body(record.body)
        except Exception as exc:  # not JSON, not an object, or no body at all: logged, then reported
            failed(record.message_id, exc)
            raise
        with ticket_context(_ticket_id(body), record.message_id):
            try:
                return handle(body, record)
            except Exception as exc:  # logged with the ticket and correlation ids, then reported
                failed(record.message_id, exc)
                raise

    processor = (SqsFifoPartialProcessor(skip_group_on_error=True) if fifo
                 else BatchProcessor(event_type=EventType.SQS))
    processor.raise_on_entire_batch_failure = False  # report every failed record, even when all failed
    response: dict[str, Any] = dict(process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context))
    for failure in response.get("batchItemFailures", []):
        if failure["itemIdentifier"] not in logged:
            logger().error("record failed", extra={"message_id": failure["itemIdentifier"], "cause": SKIPPED})
    return response


def bus_event(body: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The (detail-type, detail) of an EventBridge event delivered through SQS, whole: texts the publisher kept
    out of line (``helpdesk.domain.bodies``) are read back, so every consumer sees what was published."""
    detail_type = body.get("detail-type")
    detail = body.get("detail")
    if not isinstance(detail_type, str) or not isinstance(detail, dict):
        raise InvalidInput("the message is not an EventBridge event (no detail-type and detail)")
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
