"""EmailIngestFunction: SES receipt notifications (through SNS and SQS) become stored, queued inbound mail.

The notification carries the provider's verdicts and either the message itself or where SES stored it in S3.
"""

from __future__ import annotations

from typing import Any

from helpdesk.entrypoints import sqs_batch
from helpdesk.observability import count, entrypoint, logger


def _one(body: dict[str, Any]) -> None:
    from helpdesk.bootstrap import container
    from helpdesk.channels.email.providers.ses import ses_delivery, sns_envelope_message
    from helpdesk.services.inbound_email import accept_delivery

    deps = container()
    notification = sns_envelope_message(body)
    delivery = ses_delivery(notification, lambda _bucket, key: deps.raw_store.get(key))
    action = (notification.get("receipt") or {}).get("action") or {}
    queued = accept_delivery(deps, delivery, raw_key=action.get("objectKey"))
    logger().info("inbound mail", extra={"message_id": queued.message_id, "raw_key": queued.raw_key,
                                          "dropped": queued.dropped, "verdicts": delivery.verdicts})
    count("EmailsQueued", 1 if queued.dropped is None else 0)


@entrypoint("email_ingest")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return sqs_batch(event, context, _one)
