"""Delivery log on the directory table: which outbound deliveries already happened (notify's idempotency)."""

from __future__ import annotations

from helpdesk.adapters.dynamo.models import DirectoryModel
from helpdesk.domain.clock import Clock, to_epoch
from helpdesk.ports import DeliveryLog

SENT_TTL_SECONDS = 14 * 24 * 3600


class DynamoDeliveryLog(DeliveryLog):
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def already_sent(self, key: str) -> bool:
        return DirectoryModel.count(f"sent#{key}", consistent_read=True) > 0

    def mark_sent(self, key: str, provider_id: str) -> None:
        DirectoryModel(f"sent#{key}", doc={"provider_id": provider_id},
                       expires_at=to_epoch(self._clock.now()) + SENT_TTL_SECONDS).save()
