"""SQS queues the product sends to itself: inbound mail, inbound messaging items."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from helpdesk.domain.errors import Unavailable
from helpdesk.ports import InboundQueue, MessagingQueue, Queued


class SqsInboundQueue(InboundQueue):
    def __init__(self, sqs_client: Any, queue_url: str) -> None:
        self._client = sqs_client
        self._url = queue_url

    def send(self, body: Mapping[str, Any], *, group_id: str, dedup_id: str) -> None:
        params: dict[str, Any] = {"QueueUrl": self._url, "MessageBody": json.dumps(body)}
        if self._url.endswith(".fifo"):
            params.update(MessageGroupId=group_id[:128], MessageDeduplicationId=dedup_id[:128])
        self._client.send_message(**params)


class QueueFailed(Unavailable):
    """SQS did not take every item: the webhook answers 503 so the provider delivers the body again."""


class SqsMessagingQueue(MessagingQueue):
    BATCH = 10

    def __init__(self, sqs_client: Any, queue_url: str, dead_letter_url: str | None) -> None:
        self._client, self._url, self._dead = sqs_client, queue_url, dead_letter_url

    def send(self, items: Sequence[Queued]) -> None:
        for start in range(0, len(items), self.BATCH):
            chunk = items[start:start + self.BATCH]
            entries = [{"Id": str(index), "MessageBody": json.dumps(item.body), "MessageGroupId": item.group[:128],
                        "MessageDeduplicationId": item.dedup[:128]} for index, item in enumerate(chunk)]
            try:
                answer = self._client.send_message_batch(QueueUrl=self._url, Entries=entries)
            except (BotoCoreError, ClientError) as error:
                raise QueueFailed(f"the messaging queue could not be reached: {error}") from error
            if answer.get("Failed"):
                raise QueueFailed(f"{len(answer['Failed'])} items were not queued: {answer['Failed'][:2]}")

    def dead_letter(self, body: Mapping[str, Any], cause: str) -> None:
        if self._dead is None:
            raise QueueFailed("no dead-letter queue is configured for messaging items")
        text = json.dumps({"cause": cause, "item": body}, sort_keys=True)
        params: dict[str, Any] = {"QueueUrl": self._dead, "MessageBody": text}
        if self._dead.endswith(".fifo"):
            params.update(MessageGroupId="unreadable", MessageDeduplicationId=hashlib.sha256(text.encode()).hexdigest())
        self._client.send_message(**params)
