"""Job statuses (Zendesk's ``/api/v2/job_statuses``) on the directory table: one ``job#<id>`` item each, kept a
day (TTL), read by key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pynamodb.exceptions import DoesNotExist

from helpdesk.adapters.dynamo.models import DirectoryModel

KEPT_SECONDS = 24 * 3600


class DynamoJobStatuses:
    def put(self, job: Mapping[str, Any], now_epoch: int) -> None:
        DirectoryModel(f"job#{job['id']}", doc=dict(job), expires_at=now_epoch + KEPT_SECONDS).save()

    def get(self, job_id: str) -> dict[str, Any] | None:
        try:
            item = DirectoryModel.get(f"job#{job_id}", consistent_read=True)
        except DoesNotExist:
            return None
        return dict(item.doc or {})

    def get_many(self, job_ids: Sequence[str]) -> list[dict[str, Any]]:
        found = {item.pk: dict(item.doc or {}) for item in DirectoryModel.batch_get([f"job#{i}" for i in job_ids])}
        return [found[f"job#{i}"] for i in job_ids if f"job#{i}" in found]
