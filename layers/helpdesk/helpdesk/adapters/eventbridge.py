"""The EventBridge publisher of domain events."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from helpdesk.domain.bodies import EVENT_BUDGET
from helpdesk.domain.errors import HelpdeskError
from helpdesk.domain.events import SOURCE, DomainEvent
from helpdesk.ports import EventPublisher, TextStore

PUT_EVENTS_CHUNK = 10


class PublishFailed(HelpdeskError):
    """EventBridge refused some entries; the caller's retry re-publishes (consumers dedupe on event_id)."""


class EventBridgePublisher(EventPublisher):
    """Each event's large texts go out of line (helpdesk.domain.bodies): an entry stays under EventBridge's
    256 KB; consumers expand the detail (helpdesk.entrypoints.bus_event)."""

    def __init__(self, events_client: Any, bus_name: str, texts: TextStore) -> None:
        self._client = events_client
        self._bus = bus_name
        self._texts = texts

    def publish(self, events: Sequence[DomainEvent]) -> None:
        entries = [
            {"Source": SOURCE, "DetailType": e.detail_type, "EventBusName": self._bus,
             "Detail": json.dumps(self._texts.shrink(e.detail, e.ticket_id, budget=EVENT_BUDGET,
                                                     what=f"event {e.event_id}"), default=str)}
            for e in events
        ]
        for start in range(0, len(entries), PUT_EVENTS_CHUNK):
            response = self._client.put_events(Entries=entries[start:start + PUT_EVENTS_CHUNK])
            if response.get("FailedEntryCount"):
                failed = [e for e in response.get("Entries", []) if e.get("ErrorCode")]
                raise PublishFailed(f"{len(failed)} events were not published: {failed[:3]}")
