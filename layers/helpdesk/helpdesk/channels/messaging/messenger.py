"""Messenger (``object: "page"``, channel ``facebook``) and Instagram DM (``object: "instagram"``, channel
``instagram_dm``): a webhook body becomes one item per event of every ``entry[] -> messaging[]`` and ``standby[]``
(the events of a thread another app owns); an unreadable event becomes ``Ignored(malformed=True)`` and the others
are still returned. Timestamps are milliseconds. The outbound builders live in ``messenger_send``.

Events that carry no message id of their own get a deterministic one (``postback:<person>:<ms>``,
``reaction:<mid>:<person>:<ms>:<action>``, ``<mid>#deleted``, ``<mid>#edit:<n>``), so a redelivered event is the
same item and never collides with the message it is about.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from helpdesk.channels.messaging.items import Identity, Ignored, InboundMessage, Media, StatusUpdate, WebhookItem
from helpdesk.channels.messaging.messenger_send import build_attachment, build_quick_replies, build_text, read_response
from helpdesk.channels.messaging.payload import Malformed, each_object, epoch, items, mapping, number, text

__all__ = ["CHANNELS", "build_attachment", "build_quick_replies", "build_text", "parse", "read_response"]

CHANNELS = {"page": ("facebook", "messenger"), "instagram": ("instagram_dm", "instagram")}  # channel, identity
IGNORED_EVENTS = ("referral", "optin", "account_linking", "pass_thread_control", "take_thread_control",
                  "request_thread_control", "app_roles", "messaging_feedback")
MEDIA_ATTACHMENTS = ("image", "video", "audio", "file")
_ENVELOPE = ("sender", "recipient", "timestamp")


@dataclass(frozen=True)
class _Source:
    channel: str
    identity: str  # messenger | instagram
    account: str
    standby: bool


def parse(body: Mapping[str, Any]) -> list[WebhookItem]:
    """Every event of the body, in order; never raises."""
    if not isinstance(body, Mapping):
        return [Ignored("facebook", f"the body is a {type(body).__name__}, not an object", malformed=True)]
    name = body.get("object")
    kinds = CHANNELS.get(name) if isinstance(name, str) else None
    if kinds is None:
        return [Ignored("facebook", f"object:{name!s:.60}")]
    channel, identity = kinds
    try:
        entries = items(body, "entry")
    except Malformed as error:
        return [Ignored(channel, str(error), malformed=True)]
    found: list[WebhookItem] = []
    for entry in each_object(entries, "entry"):
        try:
            if isinstance(entry, Malformed):
                raise entry
            account = text(entry, "id", required=True) or ""
            lists = [(name == "standby", items(entry, name)) for name in ("messaging", "standby")]
            changes = [change for change in items(entry, "changes") if isinstance(change, Mapping)]
        except Malformed as error:
            found.append(Ignored(channel, f"entry: {error}", malformed=True))
            continue
        for standby, events in lists:
            source = _Source(channel, identity, account, standby)
            for event in events:
                found.extend(_event(event, source))
        found += [Ignored(channel, f"field:{change.get('field')!s:.60}") for change in changes]
    return found or [Ignored(channel, "no event")]


def _event(event: Any, source: _Source) -> list[WebhookItem]:
    try:
        if not isinstance(event, Mapping):
            raise Malformed(f"a messaging item is a {type(event).__name__}, not an object")
        found = _read(event, source)
    except Malformed as error:
        return [Ignored(source.channel, f"messaging item: {error}", malformed=True)]
    return found


def _read(event: Mapping[str, Any], source: _Source) -> list[WebhookItem]:
    if "message" in event:
        return [_message(event, source)]
    if "postback" in event:
        return [_postback(event, source)]
    if "delivery" in event or "read" in event:
        return _receipts(event, source)
    if "reaction" in event:
        return [_reaction(event, source)]
    if "message_edit" in event:
        return [_edit(event, source)]
    if "policy_enforcement" in event:  # the page was blocked or unblocked: an alert, not a conversation
        action = text(mapping(event, "policy_enforcement"), "action") or "unknown"
        return [Ignored(source.channel, f"policy_enforcement:{action}")]
    for name in IGNORED_EVENTS:
        if name in event:
            return [Ignored(source.channel, name)]
    others = sorted(str(key) for key in event if key not in _ENVELOPE)
    return [Ignored(source.channel, f"unknown messaging item: {', '.join(others):.80}" if others
                    else "empty messaging item")]


def _message(event: Mapping[str, Any], source: _Source) -> WebhookItem:
    message = mapping(event, "message")
    mid = text(message, "mid", required=True) or ""
    echo = message.get("is_echo") is True
    person = _person(event, "recipient" if echo else "sender", source)  # an echo is the page's own message
    data: dict[str, Any] = {"standby": True} if source.standby else {}
    lines, media = _attachments(items(message, "attachments"), data)
    said = text(message, "text")
    body = "\n".join(([said] if said else []) + lines)
    reply_to = mapping(message, "reply_to")
    if reply_to.get("story") is not None:
        data["story"] = dict(mapping(reply_to, "story"))
    if message.get("referral") is not None:
        data["referral"] = dict(mapping(message, "referral"))
    kind, provider_id, target = "message", mid, text(reply_to, "mid")
    if message.get("is_deleted") is True:
        kind, provider_id, target, body, media = "delete", f"{mid}#deleted", mid, "", ()
    elif message.get("is_unsupported") is True:
        kind, body = "unsupported", body or "[unsupported message]"
    elif echo:
        kind = "echo"
        data.update({name: value for name, value in (("correlation", text(message, "metadata")),
                                                     ("app_id", text(message, "app_id"))) if value})
    return InboundMessage(
        channel=source.channel, account=source.account, sender=person, provider_id=provider_id,
        sent_at=epoch(event, "timestamp", millis=True), kind=kind, text=body, media=media, target=target,
        payload=text(mapping(message, "quick_reply"), "payload"), data=data)


def _attachments(attachments: Sequence[Any], data: dict[str, Any]) -> tuple[list[str], tuple[Media, ...]]:
    """Downloadable attachments become Media; the others (location, shares, reels, story mentions, fallbacks)
    a line of text, all kept in ``data["attachments"]``."""
    lines: list[str] = []
    media: list[Media] = []
    kept = [attachment for attachment in attachments if isinstance(attachment, Mapping)]
    for attachment in kept:
        kind, payload = text(attachment, "type") or "unknown", mapping(attachment, "payload")
        url, title = text(payload, "url"), text(attachment, "title") or text(payload, "title")
        if kind in MEDIA_ATTACHMENTS and url:
            media.append(Media("sticker" if payload.get("sticker_id") is not None else kind, url))
        elif kind == "location":
            where = mapping(payload, "coordinates")
            lines.append(f"{title or 'Location'} ({number(where, 'lat')!r}, {number(where, 'long')!r})")
        else:
            lines.append(" ".join(part for part in (f"[{kind}]", title, url) if part))
    if kept:
        data["attachments"] = [dict(attachment) for attachment in kept]
    return lines, tuple(media)


def _postback(event: Mapping[str, Any], source: _Source) -> WebhookItem:
    postback = mapping(event, "postback")
    person = _person(event, "sender", source)
    data: dict[str, Any] = {"postback": True, **({"standby": True} if source.standby else {})}
    if postback.get("referral") is not None:
        data["referral"] = dict(mapping(postback, "referral"))
    return InboundMessage(
        channel=source.channel, account=source.account, sender=person,
        provider_id=text(postback, "mid") or f"postback:{person.value}:{_millis(event)}",
        sent_at=epoch(event, "timestamp", millis=True), text=text(postback, "title") or "",
        payload=text(postback, "payload"), data=data)


def _receipts(event: Mapping[str, Any], source: _Source) -> list[WebhookItem]:
    """``delivery``: every message to the person up to ``watermark`` is delivered (``mids`` name some of them);
    ``read``: every message up to ``watermark`` is read (Instagram names one ``mid`` instead)."""
    status = "delivered" if "delivery" in event else "read"
    receipt = mapping(event, "delivery" if status == "delivered" else "read")
    watermark = epoch(receipt, "watermark", millis=True) if receipt.get("watermark") is not None else None
    mids = [mid for mid in items(receipt, "mids") if isinstance(mid, str) and mid]
    mids += [mid for mid in [text(receipt, "mid")] if mid]
    if watermark is None and not mids:
        raise Malformed(f"a {status} receipt has neither a watermark nor a message id")
    at = epoch(event, "timestamp", millis=True) if event.get("timestamp") is not None else watermark
    if at is None:
        raise Malformed(f"a {status} receipt has neither a timestamp nor a watermark")
    person = _person(event, "sender", source)  # the person whose device received or read our messages
    named: list[str | None] = [*mids] or [None]
    return [StatusUpdate(channel=source.channel, account=source.account, status=status, at=at,
                         provider_id=mid, recipient=person, watermark=watermark) for mid in named]


def _reaction(event: Mapping[str, Any], source: _Source) -> WebhookItem:
    reaction = mapping(event, "reaction")
    target = text(reaction, "mid", required=True)
    action = text(reaction, "action") or "react"
    person = _person(event, "sender", source)
    emoji = text(reaction, "emoji") or ""
    return InboundMessage(
        channel=source.channel, account=source.account, sender=person,
        provider_id=f"reaction:{target}:{person.value}:{_millis(event)}:{action}",
        sent_at=epoch(event, "timestamp", millis=True), kind="reaction", target=target,
        data={"emoji": emoji, "reaction": text(reaction, "reaction"), "removed": action == "unreact"})


def _edit(event: Mapping[str, Any], source: _Source) -> WebhookItem:
    edit = mapping(event, "message_edit")
    mid = text(edit, "mid", required=True)
    return InboundMessage(
        channel=source.channel, account=source.account, sender=_person(event, "sender", source),
        provider_id=f"{mid}#edit:{text(edit, 'num_edit') or 0}", sent_at=epoch(event, "timestamp", millis=True),
        kind="edit", text=text(edit, "text") or "", target=mid)


def _person(event: Mapping[str, Any], side: str, source: _Source) -> Identity:
    return Identity(source.identity, text(mapping(event, side, required=True), "id", required=True) or "")


def _millis(event: Mapping[str, Any]) -> str:
    """The event's own timestamp as Meta wrote it (milliseconds), checked to be a time."""
    epoch(event, "timestamp", millis=True)
    return f"{number(event, 'timestamp'):.0f}"
