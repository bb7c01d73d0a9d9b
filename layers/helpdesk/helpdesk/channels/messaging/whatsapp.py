"""WhatsApp Cloud API: a webhook body becomes one item per message, status or ignored event, over every
``entry[] -> changes[] -> value.messages[] / value.statuses[]`` (never only the first); one unreadable item becomes
``Ignored(malformed=True)`` and the others are still returned. The outbound builders live in ``whatsapp_send``.

Identity (2026): the person is keyed on the business-scoped user id (``messages[].from_user_id`` or
``contacts[].user_id``) when Meta gives one, else on the ``wa_id`` (``from``); the wa_id and the phone number
(``+<digits>``) are further identities of the same person, so the conversation path can merge them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from helpdesk.channels.messaging.items import Identity, Ignored, InboundMessage, StatusUpdate, WebhookItem
from helpdesk.channels.messaging.payload import Malformed, each_object, epoch, items, mapping, text
from helpdesk.channels.messaging.whatsapp_content import NotActedOn, read_content
from helpdesk.channels.messaging.whatsapp_send import (
    build_buttons,
    build_media,
    build_template,
    build_text,
    read_response,
)

__all__ = ["CHANNEL", "build_buttons", "build_media", "build_template", "build_text", "parse", "read_response"]

CHANNEL = "whatsapp"
OBJECT = "whatsapp_business_account"
STATUSES = ("sent", "delivered", "read", "played", "failed")


def parse(body: Mapping[str, Any]) -> list[WebhookItem]:
    """Every message and status of the body, in order; never raises."""
    if not isinstance(body, Mapping):
        return [_malformed(f"the body is a {type(body).__name__}, not an object")]
    if body.get("object") != OBJECT:
        return [Ignored(CHANNEL, f"object:{body.get('object')!s:.60}")]
    try:
        entries = items(body, "entry")
    except Malformed as error:
        return [_malformed(str(error))]
    found: list[WebhookItem] = []
    for entry in each_object(entries, "entry"):
        if isinstance(entry, Malformed):
            found.append(_malformed(str(entry)))
            continue
        try:
            changes = items(entry, "changes")
        except Malformed as error:
            found.append(_malformed(f"entry: {error}"))
            continue
        for change in each_object(changes, "change"):
            found.extend([_malformed(str(change))] if isinstance(change, Malformed) else _change(change))
    return found or [Ignored(CHANNEL, "no entry")]


def _change(change: Mapping[str, Any]) -> list[WebhookItem]:
    field = change.get("field")
    if field == "smb_message_echoes":
        return _echoes(change)
    if field != "messages":
        return [Ignored(CHANNEL, f"field:{field!s:.60}")]
    try:
        value = mapping(change, "value", required=True)
        account = text(mapping(value, "metadata", required=True), "phone_number_id", required=True)
        contacts = [contact for contact in items(value, "contacts") if isinstance(contact, Mapping)]
        messages, statuses, errors = items(value, "messages"), items(value, "statuses"), items(value, "errors")
    except Malformed as error:
        return [_malformed(f"change: {error}")]
    assert account is not None
    found: list[WebhookItem] = [
        _malformed(str(message)) if isinstance(message, Malformed) else _message(message, account, contacts, errors)
        for message in each_object(messages, "message")]
    found += [_malformed(str(status)) if isinstance(status, Malformed) else _status(status, account, contacts)
              for status in each_object(statuses, "status")]
    return found or [Ignored(CHANNEL, "errors" if errors else "empty change")]


def _message(message: Mapping[str, Any], account: str, contacts: Sequence[Mapping[str, Any]],
             errors: Sequence[Any]) -> WebhookItem:
    try:
        if message.get("group_id") is not None:
            return Ignored(CHANNEL, "group message")
        provider_id = text(message, "id", required=True)
        assert provider_id is not None
        sent_at = epoch(message, "timestamp")
        sender, identities, name, username = _person(message, contacts)
        kind = text(message, "type") or "unknown"
        try:
            content = read_content(kind, message, errors)
        except NotActedOn as skipped:
            return Ignored(CHANNEL, str(skipped))
        context = mapping(message, "context")
        data = {**content.data, **_context_flags(context), **_referral(message)}
        if username:
            data["username"] = username
        target = content.target or (text(context, "id") if content.kind == "message" else None)
        return InboundMessage(
            channel=CHANNEL, account=account, sender=sender, provider_id=provider_id, sent_at=sent_at,
            kind=content.kind, text=content.text, identities=identities, name=name, media=content.media,
            target=target, payload=content.payload, data=data)
    except Malformed as error:
        return _malformed(f"message {message.get('id') or '(no id)'!s:.80}: {error}")


def _echoes(change: Mapping[str, Any]) -> list[WebhookItem]:
    """Messages the business sent from the WhatsApp Business app on a number shared with the Cloud API
    (coexistence): each is an agent's message from outside the help desk, addressed to the customer."""
    try:
        value = mapping(change, "value", required=True)
        account = text(mapping(value, "metadata", required=True), "phone_number_id", required=True)
        contacts = [contact for contact in items(value, "contacts") if isinstance(contact, Mapping)]
        echoes = items(value, "message_echoes")
    except Malformed as error:
        return [_malformed(f"change: {error}")]
    assert account is not None
    found = [_malformed(str(echo)) if isinstance(echo, Malformed) else _echo(echo, account, contacts)
             for echo in each_object(echoes, "message echo")]
    return found or [Ignored(CHANNEL, "empty change")]


def _echo(echo: Mapping[str, Any], account: str, contacts: Sequence[Mapping[str, Any]]) -> WebhookItem:
    try:
        provider_id = text(echo, "id", required=True)
        assert provider_id is not None
        addressed = {"from_user_id": text(echo, "to_user_id"), "from": text(echo, "to")}
        customer, identities, _, _ = _person({k: v for k, v in addressed.items() if v}, contacts)
        kind = text(echo, "type") or "unknown"
        try:
            content = read_content(kind, echo, [])
        except NotActedOn as skipped:
            return Ignored(CHANNEL, f"echo: {skipped}")
        if content.kind != "message":
            return Ignored(CHANNEL, f"echo of a {content.kind}")
        return InboundMessage(
            channel=CHANNEL, account=account, sender=customer, provider_id=provider_id,
            sent_at=epoch(echo, "timestamp"), kind="echo", text=content.text, identities=identities,
            media=content.media, data=dict(content.data))
    except Malformed as error:
        return _malformed(f"message echo {echo.get('id') or '(no id)'!s:.80}: {error}")


def _person(message: Mapping[str, Any], contacts: Sequence[Mapping[str, Any]]
            ) -> tuple[Identity, tuple[Identity, ...], str | None, str | None]:
    """The sender, the sender's other identities, the profile name and username."""
    user_id, wa_id = text(message, "from_user_id"), text(message, "from")
    contact = _contact_of(contacts, user_id, wa_id)
    user_id = user_id or text(contact, "user_id")
    wa_id = wa_id or text(contact, "wa_id")
    if not (user_id or wa_id):
        raise Malformed("the sender has neither from nor from_user_id")
    others: list[Identity] = []
    if user_id and wa_id:
        others.append(Identity(CHANNEL, wa_id))
    if wa_id and wa_id.isascii() and wa_id.isdigit():
        others.append(Identity("phone", f"+{wa_id}"))
    profile = mapping(contact, "profile")
    return Identity(CHANNEL, user_id or wa_id or ""), tuple(others), text(profile, "name"), text(profile, "username")


def _contact_of(contacts: Sequence[Mapping[str, Any]], user_id: str | None, wa_id: str | None) -> Mapping[str, Any]:
    """The contact the message is from: the one with its user id or wa_id; the only one when the message names
    neither. A contact naming someone else is not taken (a batch may carry several people)."""
    for contact in contacts:
        if (user_id and contact.get("user_id") == user_id) or (wa_id and contact.get("wa_id") == wa_id):
            return contact
    return contacts[0] if len(contacts) == 1 and not (user_id or wa_id) else {}


def _context_flags(context: Mapping[str, Any]) -> dict[str, Any]:
    return {flag: True for flag in ("forwarded", "frequently_forwarded") if context.get(flag) is True}


def _referral(message: Mapping[str, Any]) -> dict[str, Any]:
    """A Click-to-WhatsApp ad's referral, kept as metadata of the message."""
    referral = mapping(message, "referral")
    return {"referral": dict(referral)} if referral else {}


def _status(status: Mapping[str, Any], account: str, contacts: Sequence[Mapping[str, Any]]) -> WebhookItem:
    try:
        if status.get("recipient_type") == "group":
            return Ignored(CHANNEL, "group status")
        state = text(status, "status", required=True)
        if state not in STATUSES:
            return Ignored(CHANNEL, f"status:{state!s:.40}")
        user_id, wa_id = text(status, "recipient_user_id"), text(status, "recipient_id")
        recipient = user_id or text(_contact_of(contacts, None, wa_id), "user_id") or wa_id
        code, title = _first_error(items(status, "errors"))
        return StatusUpdate(
            channel=CHANNEL, account=account, status=state, at=epoch(status, "timestamp"),
            provider_id=text(status, "id", required=True), correlation=text(status, "biz_opaque_callback_data"),
            recipient=Identity(CHANNEL, recipient) if recipient else None, error_code=code, error_title=title)
    except Malformed as error:
        return _malformed(f"status {status.get('id') or '(no id)'!s:.80}: {error}")


def _first_error(errors: Sequence[Any]) -> tuple[str | None, str | None]:
    for error in errors:
        if isinstance(error, Mapping):
            title = text(error, "title") or text(error, "message")
            details = text(mapping(error, "error_data"), "details")
            return text(error, "code"), f"{title}: {details}" if title and details and details != title else (
                title or details)
    return None, None


def _malformed(cause: str) -> Ignored:
    return Ignored(CHANNEL, cause, malformed=True)
