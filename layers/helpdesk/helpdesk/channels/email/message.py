"""The parsed form of an inbound email, as the rest of the help desk sees it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

# automatic kinds: a bounce, a complaint (an ARF abuse report, an SES complaint), a report (DMARC, TLS, SES
# delivery notices), an auto-reply; list mail; a person's mail
EmailKind = Literal["normal", "auto_reply", "bounce", "complaint", "report", "list"]
AUTOMATIC_KINDS = frozenset({"auto_reply", "bounce", "complaint", "report"})


@dataclass(frozen=True)
class Address:
    name: str  # decoded display name, "" when none
    address: str  # lower-cased addr-spec

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "address": self.address}


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int
    sha256: str
    inline: bool
    content_id: str | None  # without angle brackets
    data: bytes = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
            "inline": self.inline,
            "content_id": self.content_id,
        }


@dataclass(frozen=True)
class Bounce:
    """What a bounce (or a complaint) says about one of our mails."""

    original_message_id: str | None  # Message-ID of the mail that bounced, without angle brackets
    recipient: str | None  # the address that failed (or complained)
    status: str | None  # the DSN status code, such as "5.1.1"
    temporary: bool = False  # a delay or a transient failure: the address may still work

    def to_json(self) -> dict[str, str | bool | None]:
        return {
            "original_message_id": self.original_message_id,
            "recipient": self.recipient,
            "status": self.status,
            "temporary": self.temporary,
        }


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str
    in_reply_to: str | None
    references: list[str]
    from_: Address | None
    to: list[Address]
    cc: list[Address]
    reply_to: list[Address]
    subject: str
    date: datetime | None
    text: str
    reply_text: str
    html: str | None
    attachments: list[Attachment]
    kind: EmailKind
    bounce: Bounce | None
    auto_submitted: bool
    loop_marker: str | None
    kind_reason: str = ""  # the evidence that decided ``kind`` ("" for a person's mail)
    from_source: str = "from"  # the header the sender was read from: from, sender, reply-to or return-path

    def to_json(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "in_reply_to": self.in_reply_to,
            "references": list(self.references),
            "from": self.from_.to_json() if self.from_ else None,
            "to": [a.to_json() for a in self.to],
            "cc": [a.to_json() for a in self.cc],
            "reply_to": [a.to_json() for a in self.reply_to],
            "subject": self.subject,
            "date": self.date.isoformat() if self.date else None,
            "text": self.text,
            "reply_text": self.reply_text,
            "html": self.html,
            "attachments": [a.to_json() for a in self.attachments],
            "kind": self.kind,
            "kind_reason": self.kind_reason,
            "from_source": self.from_source if self.from_ else None,
            "bounce": self.bounce.to_json() if self.bounce else None,
        }
