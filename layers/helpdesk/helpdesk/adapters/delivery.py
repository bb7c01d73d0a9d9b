"""On the directory table: which outbound deliveries already happened (notify's idempotency), and rate limits."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from helpdesk.adapters.dynamo.models import DirectoryModel
from helpdesk.domain.clock import Clock, to_epoch
from helpdesk.ports import DeliveryLog, RateLimiter, SignedTokenLedger, UploadRegistry

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
        return self.take(key, limit, window_seconds)[0]

    def take(self, key: str, limit: int, window_seconds: int) -> tuple[bool, int]:
        """Count one more event in the current window if fewer than ``limit`` were counted: (counted, how many
        the window holds now)."""
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
                return False, limit
            raise
        return True, int(item.value or 0)


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


class DynamoSignedTokenLedger(SignedTokenLedger):
    """``mgtoken#<token>`` items holding the delivery's digest: written only when absent (or past their window,
    as TTL deletes late), expiring by TTL."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def admit(self, token: str, digest: str, ttl_seconds: int) -> bool:
        now = to_epoch(self._clock.now())
        item = DirectoryModel(f"mgtoken#{token}", doc={"sha256": digest}, expires_at=now + ttl_seconds)
        for _ in range(2):  # a second try only when the item expired and vanished between the put and the read
            try:
                item.save(condition=DirectoryModel.pk.does_not_exist() | (DirectoryModel.expires_at < now))
                return True
            except PutError as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise
            try:
                seen = DirectoryModel.get(item.pk, consistent_read=True)
            except DoesNotExist:
                continue
            return hmac.compare_digest(str((seen.doc or {}).get("sha256", "")), digest)
        return False
