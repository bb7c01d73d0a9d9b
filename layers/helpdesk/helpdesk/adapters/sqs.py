"""SQS queues the product sends to itself: inbound mail, inbound messaging items."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from helpdesk.ports import InboundQueue


class SqsInboundQueue(InboundQueue):
    def __init__(self, sqs_client: Any, queue_url: str) -> None:
        self._client = sqs_client
        self._url = queue_url

    def send(self, body: Mapping[str, Any], *, group_id: str, dedup_id: str) -> None:
        params: dict[str, Any] = {"QueueUrl": self._url, "MessageBody": json.dumps(body)}
        if self._url.endswith(".fifo"):
            params.update(MessageGroupId=group_id[:128], MessageDeduplicationId=dedup_id[:128])
        self._client.send_message(**params)
