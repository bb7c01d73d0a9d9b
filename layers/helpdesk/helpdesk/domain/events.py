"""Domain events published on the bus (catalog: infra/events.md). Past tense, versioned, with stable ids."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from helpdesk.domain.clock import iso
from helpdesk.domain.tickets import Actor, Comment, Update

SOURCE = "helpdesk"
VERSION = "1"


@dataclass(frozen=True)
class DomainEvent:
    detail_type: str
    detail: Mapping[str, Any]

    @property
    def event_id(self) -> str:
        return str(self.detail["event_id"])

    @property
    def ticket_id(self) -> int | None:
        value = self.detail.get("ticket_id")
        return int(value) if value is not None else None

    def to_json(self) -> dict[str, Any]:
        return {"detail_type": self.detail_type, "detail": dict(self.detail)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DomainEvent:
        return cls(str(data["detail_type"]), dict(data["detail"]))


def _base(detail_type: str, ticket_id: int, key: str, actor: Actor, at: datetime) -> dict[str, Any]:
    return {
        "version": VERSION, "event_id": f"{detail_type}:{ticket_id}:{key}", "ticket_id": ticket_id,
        "occurred_at": iso(at), "actor": {"type": actor.type, "id": actor.id},
    }


def comment_view(comment: Comment | None) -> dict[str, Any] | None:
    if comment is None:
        return None
    return {"id": comment.id, "body": comment.body, "public": comment.public,
            "author_id": comment.author_id, "via": comment.via, "automatic": comment.automatic,
            "no_autoreply": comment.no_autoreply}


def events_for_update(update: Update, *, reply_to_requester: bool = True) -> list[DomainEvent]:
    """TicketCreated/TicketUpdated, plus ReplyPosted for a public agent comment and TicketSolved."""
    ticket, audit = update.ticket, update.audit
    key = f"a{audit.id}"
    kind = "TicketCreated" if update.update_type == "Create" else "TicketUpdated"
    main = _base(kind, ticket.id, key, update.actor, audit.created_at)
    main.update({
        "update_type": update.update_type, "via": audit.via,
        "changes": {k: {"from": old, "to": new} for k, (old, new) in update.changes.items()},
        "ticket": ticket.snapshot(), "previous": update.previous, "comment": comment_view(update.comment),
    })
    events = [DomainEvent(kind, main)]
    comment = update.comment
    if reply_to_requester and comment is not None and comment.public and update.actor.is_agent:
        reply = _base("ReplyPosted", ticket.id, key, update.actor, audit.created_at)
        reply["comment_id"] = comment.id
        reply["channel"] = ticket.via
        reply["messaging"] = ticket.conversation is not None  # routes the reply: a chat, or email
        events.append(DomainEvent("ReplyPosted", reply))
    status = update.changes.get("status")
    if status is not None and status[1] == "solved":
        solved = _base("TicketSolved", ticket.id, key, update.actor, audit.created_at)
        solved["solved_at"] = iso(ticket.solved_at)
        events.append(DomainEvent("TicketSolved", solved))
    return events


def ticket_event(detail_type: str, ticket_id: int, key: str, actor: Actor, at: datetime,
                 **fields: Any) -> DomainEvent:
    detail = _base(detail_type, ticket_id, key, actor, at)
    detail.update(fields)
    return DomainEvent(detail_type, detail)
