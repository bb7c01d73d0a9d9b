"""What providers report about the messages we sent: sent, delivered, read (played: a voice message heard), failed.

A status only ever moves a comment's delivery forward, whatever order the statuses arrive in: sent < failed <
delivered < read, so a late "sent" never undoes "delivered", and "failed" stands unless a delivery or a read proves
otherwise. It is found by our correlation id when the provider carries it, else by the provider's message id; a
status for a send not recorded yet is kept and applied when the send's answer lands. Messenger and Instagram report
watermarks instead: every message sent to that person up to that time (and a delivery's ``mids``, by id). Nothing
here writes the ticket: no updated_at, no SLA metric, no trigger moves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.channels.messaging.items import StatusUpdate
from helpdesk.domain.clock import iso, parse_iso
from helpdesk.services.messaging.correlation import parse_correlation
from helpdesk.services.messaging.receive_message import message_ref

RANKS = {"sending": 5, "sent": 10, "failed": 15, "window_closed": 15, "undeliverable": 15, "delivered": 20,
         "read": 30, "played": 30}


@dataclass(frozen=True)
class Applied:
    applied: int  # comments whose delivery moved forward
    parked: bool = False
    dropped: str | None = None


def state_of(item: StatusUpdate) -> dict[str, Any]:
    state: dict[str, Any] = {"status": item.status, "status_at": iso(item.at)}
    if item.error_code or item.error_title:
        state["error"] = {"code": item.error_code, "title": item.error_title}
    return state


def apply(deps: Container, item: StatusUpdate) -> Applied:
    if item.status not in RANKS:
        return Applied(0, dropped=f"a status this help desk does not track: {item.status}")
    if item.watermark is None:
        return _by_message(deps, item)
    named = _by_message(deps, item) if item.provider_id else Applied(0)  # a delivery's mids: proof at any time
    covered = _watermark(deps, item)
    return Applied(named.applied + covered.applied, parked=named.parked,
                   dropped=covered.dropped if not (named.applied or named.parked) else None)


def _by_message(deps: Container, item: StatusUpdate) -> Applied:
    target = parse_correlation(item.correlation) if item.correlation else None
    ref = message_ref(item.channel, item.account, item.provider_id) if item.provider_id else None
    if target is None and ref is not None:
        target = deps.conversations.sent(ref)
    if target is None:
        if ref is None:
            return Applied(0, dropped="a status naming no message")
        deps.conversations.park_status(ref, {**state_of(item), "rank": RANKS[item.status]})
        return Applied(0, parked=True)
    moved = deps.tickets.advance_delivery(target[0], target[1], RANKS[item.status], state_of(item))
    return Applied(int(moved))


def apply_parked(deps: Container, ref: str, ticket_id: int, comment_id: int) -> int:
    """The statuses that arrived before the send of ``ref`` was recorded, applied now, furthest last wins."""
    moved = 0
    for state in sorted(deps.conversations.take_parked(ref), key=lambda s: int(s.get("rank", 0))):
        rank = int(state.pop("rank", 0))
        moved += int(deps.tickets.advance_delivery(ticket_id, comment_id, rank, state))
    return moved


def _watermark(deps: Container, item: StatusUpdate) -> Applied:
    """Every message sent in this conversation at or before the watermark (not another conversation's), the one
    whose send is still being recorded included: it counts from the moment we started sending it, so a read that
    overtakes the send's answer is not lost (the answer's "sent" never moves it back)."""
    if item.recipient is None:
        return Applied(0, dropped="a watermark naming no person")
    conversation = deps.conversations.get(item.conversation)
    if conversation is None or conversation.ticket_id is None:
        return Applied(0, dropped="a watermark for a conversation with no ticket")
    moved = 0
    for comment in deps.tickets.comments(conversation.ticket_id):
        sent_at = _sent_at(comment.delivery)
        if sent_at is None or item.watermark is None or sent_at > item.watermark:
            continue
        moved += int(deps.tickets.advance_delivery(conversation.ticket_id, comment.id, RANKS[item.status],
                                                   state_of(item)))
    return Applied(moved)


def _sent_at(delivery: Mapping[str, Any] | None) -> Any:
    """When a message went out: its recorded send, or, while the send's answer is awaited, its start."""
    if not delivery or delivery.get("channel") is None:
        return None
    return parse_iso(delivery.get("sent_at") or delivery.get("attempted_at"))  # attempted_at: only while in flight
