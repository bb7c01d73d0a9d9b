"""MessagingMediaFunction: the media of a messaging message (images, documents, audio, video) fetched into S3 after
its comment was written; a download that keeps failing is marked failed on the attachment at its last attempt."""

from __future__ import annotations

from typing import Any

from helpdesk.entrypoints import bus_event, sqs_batch_attempts
from helpdesk.observability import bind_ticket, count, entrypoint, logger


def _one(body: dict[str, Any], attempt: int) -> None:
    from helpdesk.bootstrap import container
    from helpdesk.services.messaging.fetch_media import fetch, request_from_event

    _, detail = bus_event(body)
    request = request_from_event(detail)
    bind_ticket(request.ticket_id)
    fetched = fetch(container(), request, attempt)
    logger().info("media fetched", extra={"comment_id": request.comment_id, "channel": request.channel,
                                          "attempt": attempt, "stored": fetched.stored, "failed": fetched.failed,
                                          "already": fetched.already})
    count("MediaStored", fetched.stored)
    count("MediaFailed", fetched.failed)


@entrypoint("messaging_media")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return sqs_batch_attempts(event, context, _one)
