"""Our id for a comment sent on a messaging channel, carried by the provider and given back on every status
(WhatsApp's biz_opaque_callback_data, Messenger's metadata, the Twilio status callback URL): statuses find their
comment even before the send's answer, with the provider's id, was recorded."""

from __future__ import annotations

import re

_CORRELATION = re.compile(r"^t([0-9]{1,18})c([0-9]{1,9})$")


def correlation_id(ticket_id: int, comment_id: int) -> str:
    return f"t{ticket_id}c{comment_id}"


def parse_correlation(value: str) -> tuple[int, int] | None:
    found = _CORRELATION.match(value.strip())
    return (int(found.group(1)), int(found.group(2))) if found else None
