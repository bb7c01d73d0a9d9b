"""A web chat visitor writes (or presses a survey button): the message is queued exactly as a provider webhook's
messages are (``accept_webhook.accept``: the raw body kept, the item on the FIFO inbound queue grouped by
conversation), and ``receive_message`` makes it a comment, opens the ticket or records the rating. There is no
second ticket-creation path.

The page's own message id makes a retry harmless: within five minutes the FIFO queue drops the repeat, and later the
comment's idempotency record (``msg#<ref>``, written in the ticket's transaction) does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.channels.messaging import web_widget
from helpdesk.channels.messaging.web_widget import Visitor
from helpdesk.services.messaging.accept_webhook import accept


def post(deps: Container, visitor: Visitor, body: Mapping[str, Any], raw: bytes) -> str:
    """Queue the visitor's message; the page's id of it."""
    client_id = web_widget.client_message_id(body.get("id"))
    payload = body.get("payload")
    item = web_widget.inbound_message(visitor, client_id, web_widget.message_text(body.get("text")),
                                      deps.clock.now(), payload=payload if payload not in (None, "") else None)
    accept(deps, web_widget.CHANNEL, raw, [item])
    return client_id
