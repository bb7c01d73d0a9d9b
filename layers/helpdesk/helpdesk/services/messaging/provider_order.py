"""The provider's order, not the order of arrival: a person's messages that reach us together (an album, a burst of
lines posted as concurrent webhook calls, a batched body out of order) are handled by the provider's time, so
their comments read as the person wrote them. Sorting is stable: equal times (WhatsApp counts whole seconds) keep
the order the provider gave them in. Twilio gives no time: its items carry the time the webhook took them, which
is their order of arrival.

Only items that arrive together can be put in order: a message handled in an earlier batch already has its
comment, and comments are never rewritten.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from helpdesk.channels.messaging.items import InboundMessage, StatusUpdate
from helpdesk.domain.clock import parse_iso

Record = TypeVar("Record", bound=Mapping[str, Any])


def provider_time(item: InboundMessage | StatusUpdate) -> datetime:
    return item.sent_at if isinstance(item, InboundMessage) else item.at


def in_provider_order(records: Sequence[Record]) -> list[Record]:
    """An SQS batch of queued messaging items with each conversation's (message group's) records in provider
    order, in the positions the group held; a group holding a record whose time cannot be read is left as it is
    (the record's failure is reported when it is handled)."""
    positions: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        group = (record.get("attributes") or {}).get("MessageGroupId")
        positions.setdefault(group if isinstance(group, str) else f"#{index}", []).append(index)
    ordered = list(records)
    for places in positions.values():
        known = [(time, place) for time, place in ((_time(records[p]), p) for p in places) if time is not None]
        if len(places) < 2 or len(known) < len(places):
            continue
        for place, (_, source) in zip(places, sorted(known, key=lambda pair: pair[0]), strict=True):
            ordered[place] = records[source]
    return ordered


def _time(record: Mapping[str, Any]) -> datetime | None:
    try:
        body = json.loads(record.get("body") or "")
    except (TypeError, ValueError):
        return None
    if not isinstance(body, Mapping):
        return None
    value = body.get("sent_at") if body.get("type") == "message" else body.get("at")
    try:
        return parse_iso(value) if isinstance(value, str) else None
    except ValueError:
        return None
