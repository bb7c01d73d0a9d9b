"""Suspended tickets (Zendesk's Suspended Tickets): inbound mail held back instead of ticketed, with its cause.

Mail a provider failed as spam or as carrying a virus is kept under ``quarantine/`` and suspended; mail whose
DMARC (or SPF and DKIM) failed is suspended too, as Zendesk suspends it, rather than opening a ticket. An agent
recovers one into a ticket (through the inbound path, once) or deletes it; mail with a virus verdict is never
recovered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CAUSES = {
    "spam": "Detected as spam",
    "virus": "Detected as a virus",
    "dmarc": "Failed DMARC authentication",
}
CONTENT_CHARS = 2000  # what the listing shows of the mail's text; the whole mail stays in S3


@dataclass(frozen=True)
class SuspendedTicket:
    id: int
    cause_key: str  # spam | virus | dmarc
    subject: str
    author_name: str
    author_email: str
    content: str
    message_id: str
    raw_key: str
    source: str
    created_at: str
    verdicts: dict[str, str] = field(default_factory=dict)
    recipients: list[str] = field(default_factory=list)

    @property
    def cause(self) -> str:
        return CAUSES[self.cause_key]

    @property
    def recoverable(self) -> bool:
        return self.cause_key != "virus"

    def to_doc(self) -> dict[str, Any]:
        return {"id": self.id, "cause_key": self.cause_key, "subject": self.subject,
                "author_name": self.author_name, "author_email": self.author_email, "content": self.content,
                "message_id": self.message_id, "raw_key": self.raw_key, "source": self.source,
                "created_at": self.created_at, "verdicts": dict(self.verdicts), "recipients": list(self.recipients)}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> SuspendedTicket:
        return cls(**{k: doc[k] for k in cls.__dataclass_fields__ if k in doc})

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id, "url": f"/api/v2/suspended_tickets/{self.id}.json",
            "author": {"id": None, "name": self.author_name, "email": self.author_email},
            "subject": self.subject, "content": self.content, "cause": self.cause, "cause_id": None,
            "message_id": self.message_id, "recipient": self.recipients[0] if self.recipients else None,
            "ticket_id": None, "brand_id": None, "attachments": [], "error_messages": None,
            "via": {"channel": "email", "source": {"from": {"address": self.author_email, "name": self.author_name},
                                                   "to": {}, "rel": None}},
            "created_at": self.created_at, "updated_at": self.created_at,
        }
