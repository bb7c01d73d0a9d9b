"""On the directory table: which outbound deliveries already happened (notify's idempotency), and rate limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pynamodb.exceptions import UpdateError

from helpdesk.adapters.dynamo.models import DirectoryModel
from helpdesk.domain.clock import Clock, to_epoch
from helpdesk.ports import DeliveryLog, RateLimiter, UploadRegistry

SENT_TTL_SECONDS = 14 * 24 * 3600


class DynamoDeliveryLog(DeliveryLog):
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def already_sent(self, key: str) -> bool:
        return DirectoryModel.count(f"sent#{key}", consistent_read=True) > 0

    def mark_sent(self, key: str, provider_id: str) -> None:
        DirectoryModel(f"sent#{key}", doc={"provider_id": provider_id},
                       expires_at=to_epoch(self._clock.now()) + SENT_TTL_SECONDS).save()


class DynamoRateLimiter(RateLimiter):
    """A counter item per key and window (``rate#<key>#<window>``), incremented under a condition, expiring by TTL."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def allow(self, key: str, limit: int, window_seconds: int) -> bool:
        now = to_epoch(self._clock.now())
        window = now // window_seconds
        item = DirectoryModel(f"rate#{key}#{window}")
        try:
            item.update(
                actions=[DirectoryModel.value.add(1),
                         DirectoryModel.expires_at.set((window + 2) * window_seconds)],
                condition=DirectoryModel.value.does_not_exist() | (DirectoryModel.value < limit),
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True


UPLOAD_TTL_SECONDS = 3 * 24 * 3600  # Zendesk: an upload token is valid for three days


class DynamoUploadRegistry(UploadRegistry):
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def register(self, token: str, attachment: Mapping[str, Any]) -> None:
        DirectoryModel(f"upload#{token}", doc=dict(attachment),
                       expires_at=to_epoch(self._clock.now()) + UPLOAD_TTL_SECONDS).save()

    def lookup(self, token: str) -> Mapping[str, Any] | None:
        found = list(DirectoryModel.query(f"upload#{token}", consistent_read=True))
        if not found or (found[0].expires_at or 0) < to_epoch(self._clock.now()):
            return None
        return dict(found[0].doc or {})
