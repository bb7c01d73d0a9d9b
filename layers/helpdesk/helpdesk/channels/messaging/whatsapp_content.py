"""What one WhatsApp Cloud message says, by its ``type``: the text a comment shows, the media it announces, the
payload of a button or list reply, the message a reaction, edit or deletion refers to. The envelope (who, when,
which account) is read by ``whatsapp``; this module only reads the content."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from helpdesk.channels.messaging.items import Media
from helpdesk.channels.messaging.payload import Malformed, items, mapping, number, text

MEDIA_TYPES = ("image", "video", "audio", "voice", "document", "sticker")


@dataclass(frozen=True)
class Content:
    kind: str = "message"
    text: str = ""
    media: tuple[Media, ...] = ()
    payload: str | None = None
    target: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


class NotActedOn(Exception):
    """A message this product deliberately does not handle (an identity event, a call permission answer): it
    becomes ``Ignored`` with this reason, not a comment."""


def read_content(kind: str, message: Mapping[str, Any], errors: Sequence[Any] = ()) -> Content:
    """The content of ``message`` of type ``kind``; Malformed when it cannot be read, NotActedOn when ignored.
    ``errors`` are the change's own ``value.errors``, used when the message carries none."""
    reader = _READERS.get(kind)
    if reader is None:
        return _unsupported(kind, message, errors)
    return reader(kind, message, errors)


def _text(kind: str, message: Mapping[str, Any], errors: Sequence[Any]) -> Content:
    return Content(text=text(mapping(message, "text", required=True), "body") or "")


def _media(kind: str, message: Mapping[str, Any], errors: Sequence[Any]) -> Content:
    body = mapping(message, kind, required=True)
    url = text(body, "url")
    ref = text(body, "id") or url
    if ref is None:
        raise Malformed(f"{kind} has neither an id nor a url")
    media_kind = "voice" if kind == "audio" and body.get("voice") is True else kind
    caption = text(body, "caption")
    media = Media(media_kind, ref, text(body, "mime_type"), text(body, "sha256"), text(body, "filename"), caption)
    return Content(text=caption or "", media=(media,), data={"media_url": url} if url else {})


def _location(kind: str, message: Mapping[str, Any], errors: Sequence[Any]) -> Content:
    body = mapping(message, "location", required=True)
    latitude, longitude = number(body, "latitude"), number(body, "longitude")
    if latitude is None or longitude is None:
        raise Malformed("location has no latitude or longitude")
    name, address, url = text(body, "name"), text(body, "address"), text(body, "url")
    place = ", ".join(part for part in (name, address) if part) or "Location"
    lines = [f"{place} ({latitude!r}, {longitude!r})"] + ([url] if url else [])
    where = {"latitude": latitude, "longitude": longitude, "name": name, "address": address, "url": url}
    return Content(text="\n".join(lines), data={"location": {k: v for k, v in where.items() if v is not None}})


def _contacts(kind: str, message: Mapping[str, Any], errors: Sequence[Any]) -> Content:
    cards = [card for card in items(message, "contacts") if isinstance(card, Mapping)]
    if not cards:
        raise Malformed("contacts has no contact card")
    lines = []
    for card in cards:
        name = text(mapping(card, "name"), "formatted_name") or "Contact"
        phones = [text(phone, "phone") or "" for phone in items(card, "phones") if isinstance(phone, Mapping)]
        emails = [text(email, "email") or "" for email in items(card, "emails") if isinstance(email, Mapping)]
        reach = ", ".join(value for value in (*phones, *emails) if value)
        lines.append(f"{name}: {reach}" if reach else name)
    return Content(text="\n".join(lines), data={"contacts": list(cards)})


def _interactive(kind: str, message: Mapping[str, Any], errors: Sequence[Any]) -> Content:
    body = mapping(message, "interactive")
    reply_type = text(body, "type")
    if reply_type in ("button_reply", "list_reply"):
        reply = mapping(body, reply_type, required=True)
        description = text(reply, "description")
        return Content(text=text(reply, "title") or "", payload=text(reply, "id", required=True),
                       data={"reply_type": reply_type, **({"description": description} if description else {})})
    if reply_type == "nfm_reply":
        reply = mapping(body, "nfm_reply", required=True)
        return Content(text=text(reply, "body") or "", payload=text(reply, "response_json"),
                       data={"reply_type": reply_type, "flow": text(reply, "name")})
    if reply_type == "call_permission_reply":
        raise NotActedOn("interactive:call_permission_reply")
    return _unsupported(f"interactive:{reply_type}" if reply_type else "interactive", message, errors)


def _button(kind: str, message: Mapping[str, Any], errors: Sequence[Any]) -> Content:
    body = mapping(message, "button", required=True)
    return Content(text=text(body, "text") or "", payload=text(body, "payload"), data={"reply_type": "button"})


def _reaction(kind: str, message: Mapping[str, Any], errors: Sequence[Any]) -> Content:
    body = mapping(message, "reaction", required=True)
    emoji = text(body, "emoji") or ""
    return Content(kind="reaction", target=text(body, "message_id", required=True),
                   data={"emoji": emoji, "removed": not emoji})


def _order(kind: str, message: Mapping[str, Any], errors: Sequence[Any]) -> Content:
    body = mapping(message, "order", required=True)
    lines = [f"Order from catalog {text(body, 'catalog_id') or '?'}:"]
    for product in items(body, "product_items"):
        if isinstance(product, Mapping):
            price, currency = number(product, "item_price"), text(product, "currency") or ""
            each = f" at {price:g} {currency}".rstrip() if price is not None else ""
            lines.append(f"{number(product, 'quantity') or 0:g} x {text(product, 'product_retailer_id') or '?'}{each}")
    note = text(body, "text")
    return Content(text="\n".join([*lines, *([note] if note else [])]), data={"order": dict(body)})


def _system(kind: str, message: Mapping[str, Any], errors: Sequence[Any]) -> Content:
    raise NotActedOn(f"system:{text(mapping(message, 'system'), 'type') or 'unknown'}")


def _edit(kind: str, message: Mapping[str, Any], errors: Sequence[Any]) -> Content:
    body = mapping(message, "edit", required=True)
    target = text(body, "original_message_id", required=True)
    edited = mapping(body, "message", required=True)
    edited_kind = text(edited, "type") or "unknown"
    if edited_kind in ("edit", "revoke"):  # never nested: a crafted body must not recurse without end
        raise Malformed(f"an edit cannot carry a {edited_kind}")
    try:
        content = read_content(edited_kind, edited)
    except NotActedOn as skipped:
        raise Malformed(f"an edit cannot carry a {skipped}") from skipped
    return Content(kind="edit", text=content.text, media=content.media, payload=content.payload, target=target,
                   data={**content.data, "edited_type": edited_kind})


def _revoke(kind: str, message: Mapping[str, Any], errors: Sequence[Any]) -> Content:
    body = mapping(message, "revoke", required=True)
    return Content(kind="delete", target=text(body, "original_message_id", required=True))


def _unsupported(kind: str, message: Mapping[str, Any], errors: Sequence[Any]) -> Content:
    """A placeholder comment, so the customer's message is seen and the channel keeps working (Zammad #5439)."""
    detail = text(mapping(message, "unsupported"), "type") if kind == "unsupported" else None
    found = [error for error in (items(message, "errors") or errors) if isinstance(error, Mapping)]
    return Content(kind="unsupported", text=f"[unsupported WhatsApp message: {detail or kind}]",
                   data={"type": kind, **({"errors": found} if found else {})})


_Reader = Callable[[str, Mapping[str, Any], Sequence[Any]], Content]
_READERS: dict[str, _Reader] = {
    "text": _text, "location": _location, "contacts": _contacts, "interactive": _interactive,
    "button": _button, "reaction": _reaction, "order": _order, "system": _system, "edit": _edit,
    "revoke": _revoke, **{media: _media for media in MEDIA_TYPES},
}
