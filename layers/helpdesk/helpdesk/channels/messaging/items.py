"""What every messaging provider's webhook is turned into, whatever its format: one item per message, status or
ignored event of a (possibly batched) body. Provider modules (``whatsapp``, ``messenger``, ``twilio``, ``webchat``)
only parse and build; the conversation path in ``services.messaging`` handles the items, the same for all.

Items travel on the inbound FIFO queue as JSON (``to_json`` / ``item_from_json``), grouped by conversation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from helpdesk.domain.clock import parse_iso

# The ticket's channel (``via``), as Zendesk names it.
Channel = Literal["whatsapp", "facebook", "instagram_dm", "sms", "web_widget"]
CHANNELS: tuple[str, ...] = ("whatsapp", "facebook", "instagram_dm", "sms", "web_widget")

# What a message is. Only "message" (and "echo" from outside the desk) become comments; the others are message
# events: they never reopen a ticket, add a comment, touch updated_at, an SLA metric or a trigger.
MessageKind = Literal["message", "reaction", "edit", "delete", "echo", "unsupported"]

# Delivery statuses, applied one way only: sent < delivered < read (played counts as read); failed is explicit.
Status = Literal["sent", "delivered", "read", "played", "failed"]
STATUS_RANK: dict[str, int] = {"sent": 1, "delivered": 2, "read": 3, "played": 3}


@dataclass(frozen=True)
class Identity:
    """One way to reach a person on a channel. ``kind`` is ``whatsapp`` (the business-scoped user id when the
    provider gives one, else the wa_id), ``phone`` (E.164 with +), ``messenger`` / ``instagram`` (the page- or
    account-scoped id), ``webchat`` (the visitor id) or ``email``."""

    kind: str
    value: str


@dataclass(frozen=True)
class Media:
    """An attachment announced by the provider, fetched into S3 later by its own step (the text never waits)."""

    kind: str  # image | video | audio | voice | document | sticker | file
    ref: str  # the provider's media id (WhatsApp) or URL (Messenger, Twilio)
    mime_type: str | None = None
    sha256: str | None = None  # as the provider gives it (WhatsApp: base64 of the digest)
    filename: str | None = None
    caption: str | None = None


@dataclass(frozen=True)
class InboundMessage:
    """A message a person sent (or an event about one), normalised.

    ``text`` is what a comment shows: the body; a media message's caption; a button or list reply's title (its id
    is ``payload``); a location's name and coordinates. ``account`` is the channel account the message came to (a
    WhatsApp phone number id, a Facebook page id, an Instagram account id, a Twilio number or messaging service,
    a widget key). ``sender`` keys the requester; ``identities`` are further ways to reach the same person (the
    phone number beside a WhatsApp business-scoped id). ``provider_id`` is the idempotency key (wamid, mid,
    MessageSid, the widget's client id); ``sent_at`` the provider's time. ``target`` is the provider id a
    reaction, edit, deletion or quoted reply refers to."""

    channel: str
    account: str
    sender: Identity
    provider_id: str
    sent_at: datetime
    kind: str = "message"
    text: str = ""
    identities: tuple[Identity, ...] = ()
    name: str | None = None
    media: tuple[Media, ...] = ()
    target: str | None = None
    payload: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def conversation(self) -> str:
        """The FIFO group and conversation key: one person on one channel account."""
        return f"{self.channel}#{self.account}#{self.sender.kind}:{self.sender.value}"


@dataclass(frozen=True)
class StatusUpdate:
    """What a provider says about a message we sent: by its provider id, or by our own correlation id (carried in
    ``biz_opaque_callback_data``, Messenger's ``metadata``, the Twilio status callback URL), or, for Messenger and
    Instagram, every message to ``recipient`` up to ``watermark``."""

    channel: str
    account: str
    status: str
    at: datetime
    provider_id: str | None = None
    correlation: str | None = None
    recipient: Identity | None = None
    watermark: datetime | None = None
    error_code: str | None = None
    error_title: str | None = None

    @property
    def conversation(self) -> str:
        who = f"{self.recipient.kind}:{self.recipient.value}" if self.recipient else "-"
        return f"{self.channel}#{self.account}#{who}"


@dataclass(frozen=True)
class Ignored:
    """An event of the body this product does not act on (a template status, an opt-in, a group message...),
    answered 200 and counted by ``reason``; or, with ``malformed``, an item that could not be read at all (its
    cause logged, the others of the body handled)."""

    channel: str
    reason: str
    malformed: bool = False


WebhookItem = InboundMessage | StatusUpdate | Ignored

SendOutcome = Literal["sent", "retry", "failed", "window_closed", "opted_out", "reauthorise"]


@dataclass(frozen=True)
class SendResult:
    """What a provider said to one send: ``sent`` (with the provider's message id), ``retry`` later (throttled, a
    server error), ``failed`` (do not retry; ``code`` and ``detail`` say why), ``window_closed`` (only a template
    or a tagged message may go), ``opted_out`` (the person asked for no messages) or ``reauthorise`` (the
    channel's token is expired or revoked)."""

    provider_id: str | None
    outcome: SendOutcome
    code: str | None = None
    detail: str | None = None


def to_json(item: InboundMessage | StatusUpdate) -> dict[str, Any]:
    doc = asdict(item)
    doc["type"] = "message" if isinstance(item, InboundMessage) else "status"
    for name in ("sent_at", "at", "watermark"):
        if name in doc:
            doc[name] = _exact(doc[name]) if doc[name] is not None else None
    return doc


def item_from_json(doc: Mapping[str, Any]) -> InboundMessage | StatusUpdate:
    data = {k: v for k, v in doc.items() if k != "type"}
    if doc.get("type") == "message":
        data.update(sender=Identity(**data["sender"]), sent_at=_time(data["sent_at"]),
                    identities=tuple(Identity(**i) for i in data.get("identities", ())),
                    media=tuple(Media(**m) for m in data.get("media", ())), data=dict(data.get("data") or {}))
        return InboundMessage(**data)
    if doc.get("type") == "status":
        data.update(at=_time(data["at"]), recipient=Identity(**data["recipient"]) if data.get("recipient") else None,
                    watermark=_time(data["watermark"]) if data.get("watermark") else None)
        return StatusUpdate(**data)
    raise ValueError(f"not a queued messaging item: type {doc.get('type')!r}")


def _exact(moment: datetime) -> str:
    """ISO 8601 in UTC to the microsecond (``iso`` is Zendesk's whole seconds: Messenger's milliseconds matter)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _time(value: Any) -> datetime:
    moment = parse_iso(value)
    if moment is None:
        raise ValueError(f"not a time: {value!r}")
    return moment
