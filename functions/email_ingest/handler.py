"""EmailIngestFunction: raw MIME that SES wrote to S3 becomes a parsed, queued inbound message."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from helpdesk.observability import count, entrypoint, logger


@entrypoint("email_ingest")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from helpdesk.bootstrap import container
    from helpdesk.services.inbound_email import queue_raw_email

    deps = container()
    queued = 0
    for record in event.get("Records", []):
        key = unquote_plus(record["s3"]["object"]["key"])
        result = queue_raw_email(deps, deps.raw_store.get(key), source="ses", raw_key=key)
        logger().info("inbound mail", extra={"raw_key": key, "message_id": result.message_id,
                                              "dropped": result.dropped})
        queued += result.dropped is None
    count("EmailsQueued", queued)
    return {"queued": queued}
