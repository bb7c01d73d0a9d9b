"""The account's settings (Zendesk's ``/api/v2/account/settings``) as one ``setting#account`` item of the
directory table."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from pynamodb.exceptions import DoesNotExist

from helpdesk.adapters.dynamo.models import DirectoryModel

KEY = "setting#account"


class DynamoAccountSettings:
    """Read on every ``get``; ``recent`` serves what this process read in the last ``max_age`` seconds (a write
    through this instance is seen at once; one through another process within ``max_age``)."""

    def __init__(self) -> None:
        self._read: tuple[float, dict[str, Any]] | None = None

    def recent(self, max_age: float) -> dict[str, Any]:
        now = time.monotonic()
        if self._read is None or now - self._read[0] > max_age:
            self._read = (now, self.get())
        return dict(self._read[1])

    def get(self) -> dict[str, Any]:
        try:
            return dict(DirectoryModel.get(KEY, consistent_read=True).doc or {})
        except DoesNotExist:
            return {}

    def put(self, settings: Mapping[str, Any]) -> None:
        DirectoryModel(KEY, doc=dict(settings)).save()
        self._read = None
