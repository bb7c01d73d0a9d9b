"""Twilio SMS and WhatsApp webhooks (form-encoded), read into messaging items: inbound messages and the status
callbacks of the messages we sent. Pure: the caller verifies the signature (``twilio_signature``) first.

The channel account is ``<AccountSid>/<MessagingServiceSid>`` when a Messaging Service owns the number, else
``<AccountSid>/<our number>`` (E.164 or a short code, without ``whatsapp:``), for example ``AC…/MG…`` or
``AC…/+14155238886``. A status callback of a message sent through that same service or number (see
``account_parts``) gets the same account, so a customer's messages and the statuses of our replies share one
conversation. Twilio sends no time with either: the caller passes ``now``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from helpdesk.channels.messaging.items import Identity, Ignored, InboundMessage, Media, StatusUpdate, WebhookItem
from helpdesk.channels.messaging.twilio_signature import public_url
from helpdesk.domain.errors import InvalidInput

INBOUND_PATH = "/inbound/twilio"
STATUS_PATH = "/inbound/twilio/status"
CORRELATION_PARAM = "c"
MAX_FIELDS = 2000  # Twilio posts a few dozen; far more is not Twilio

# The shapes of Twilio's ids and addresses (shared with twilio_send).
SID = re.compile(r"[A-Z]{2}[0-9a-fA-F]{32}")
ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")
E164 = re.compile(r"\+[1-9][0-9]{1,14}")
NUMBER = re.compile(r"\+[1-9][0-9]{1,14}|[0-9]{3,8}")  # ours: E.164 or a short code
WA_ID = re.compile(r"[1-9][0-9]{1,14}")
BSUID = re.compile(r"[A-Z]{2}(?:\.[A-Za-z0-9]+)+")  # US.13491208655302741918, US.ENT.…
CORRELATION = re.compile(r"[A-Za-z0-9_-]{1,64}")
DELIVERY = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed", "undelivered": "failed"}
NOT_DELIVERY = frozenset({"queued", "sending", "accepted", "scheduled", "receiving", "received", "canceled",
                          "partially_delivered"})


class _Malformed(ValueError):
    """A form that cannot be read as a Twilio message; its text is the cause."""


class _Unanswerable(ValueError):
    """A readable message from a sender no reply can reach (an alphanumeric sender id, a short code)."""


def read_form(body: bytes) -> list[tuple[str, str]]:
    """Every pair of a form-encoded body, blanks and repeats kept (all of them are signed)."""
    try:
        return parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict", max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidInput(f"Twilio form body is unreadable: {error}") from error


def single_valued(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """The form as one value per field. A field repeated with different values is refused: the signature sorts
    repeated values, so which came first is not signed."""
    form: dict[str, str] = {}
    for key, value in pairs:
        if form.setdefault(key, value) != value:
            raise InvalidInput(f"Twilio form field {key!r} has more than one value")
    return form


def account_parts(account: str) -> tuple[str, str]:
    """``(AccountSid, sender)`` of a channel account: the sender is the ``MG…`` Messaging Service to send through,
    or our number (``From``)."""
    sid, _, sender = account.partition("/")
    if not (ACCOUNT_SID.fullmatch(sid) and (SERVICE_SID.fullmatch(sender) or NUMBER.fullmatch(sender))):
        raise ValueError(f"not a Twilio channel account: {account!r}")
    return sid, sender


def status_callback_url(public_base: str, correlation: str) -> str:
    """The ``StatusCallback`` to pass when sending: our status endpoint with our opaque ``correlation`` id (at most
    64 URL-safe characters) in the query, so a status maps even before the send's answer with the SID is stored."""
    if not CORRELATION.fullmatch(correlation):
        raise ValueError(f"correlation id {correlation!r} must be 1-64 characters of A-Z a-z 0-9 _ -")
    return public_url(public_base, STATUS_PATH, f"{CORRELATION_PARAM}={correlation}")


def parse_inbound(form: Mapping[str, str], now: datetime) -> list[WebhookItem]:
    """One item for a form posted to the inbound URL: the message, or why it is ignored (malformed: with the
    cause). The media URLs are Twilio's word, not checked here: fetch them with credentials only from Twilio's
    host."""
    channel, address = _channel(form.get("From", ""))
    if channel not in ("sms", "whatsapp"):
        return [Ignored("sms", f"Twilio channel {channel} is not served")]
    status = form.get("MessageStatus") or form.get("SmsStatus") or "received"
    if status != "received" and not _has_content(form):
        return [Ignored(channel, f"status callback ({status}) posted to the inbound URL")]
    try:
        return [_message(form, channel, address, now)]
    except _Malformed as error:
        return [Ignored(channel, str(error), malformed=True)]
    except _Unanswerable as error:
        return [Ignored(channel, str(error))]


def parse_status(form: Mapping[str, str], query: Mapping[str, str], now: datetime) -> list[WebhookItem]:
    """One item for a status callback: the delivery change, or why it is ignored. ``query`` is the callback URL's
    query; its ``c`` is our correlation id when it has the shape ``status_callback_url`` gives it."""
    channel, _ = _channel(form.get("From") or form.get("To") or "")
    if channel not in ("sms", "whatsapp"):
        return [Ignored("sms", f"Twilio channel {channel} is not served")]
    try:
        sid = _required(form, "MessageSid", SID)
        status = form.get("MessageStatus") or form.get("SmsStatus")
        if not status:
            raise _Malformed("Twilio status callback without MessageStatus")
        account = _account(form, "From")
    except _Malformed as error:
        return [Ignored(channel, str(error), malformed=True)]
    if status in NOT_DELIVERY:
        return [Ignored(channel, f"status {status} is not a delivery change")]
    if status not in DELIVERY:
        return [Ignored(channel, f"unknown MessageStatus {status[:40]!r}")]
    correlation = query.get(CORRELATION_PARAM)
    return [StatusUpdate(channel=channel, account=account, status=DELIVERY[status], at=now, provider_id=sid,
                         correlation=correlation if correlation and CORRELATION.fullmatch(correlation) else None,
                         recipient=_recipient(form, channel), error_code=form.get("ErrorCode") or None,
                         error_title=form.get("ErrorMessage") or None)]


def _message(form: Mapping[str, str], channel: str, address: str, now: datetime) -> InboundMessage:
    sid = _required(form, "MessageSid", SID)
    account = _account(form, "To")
    if not address:
        raise _Malformed("Twilio form without From")
    if channel == "sms":
        if not E164.fullmatch(address):
            raise _Unanswerable("SMS sender is not an E.164 phone number: it cannot be answered")
        sender, identities = Identity("phone", address), tuple[Identity, ...]()
    else:
        sender, identities = _whatsapp_sender(address, form.get("ExternalUserId", ""), form.get("WaId", ""))
    text, data = form.get("ButtonText") or form.get("Body") or "", _location(form)
    if data:
        place = data["location"]
        text = "\n".join(part for part in (text, place.get("name"), place.get("address"),
                                           f"{form['Latitude']}, {form['Longitude']}") if part)
    media = _media(form)
    if not text and not media and form.get("MessageType"):
        data = {"message_type": form["MessageType"]}
    return InboundMessage(channel=channel, account=account, sender=sender, provider_id=sid, sent_at=now,
                          kind="message" if text or media else "unsupported", text=text, identities=identities,
                          name=form.get("ProfileName") or None, media=media,
                          target=form.get("OriginalRepliedMessageSid") or None,
                          payload=form.get("ButtonPayload") or None, data=data)


def _channel(address: str) -> tuple[str, str]:
    """(channel, address without its prefix): ``whatsapp:+1…`` is WhatsApp, a bare number SMS."""
    prefix, colon, rest = address.partition(":")
    if not colon:
        return "sms", address
    return ("whatsapp", rest) if prefix == "whatsapp" else (prefix[:20] or "unknown", rest)


def _required(form: Mapping[str, str], name: str, shape: re.Pattern[str]) -> str:
    value = form.get(name)
    if not value:
        raise _Malformed(f"Twilio form without {name}")
    if not shape.fullmatch(value):
        raise _Malformed(f"Twilio {name} {value[:80]!r} is not a Twilio id")
    return value


def _account(form: Mapping[str, str], ours: str) -> str:
    """``AccountSid/MessagingServiceSid``, else ``AccountSid/<our number>`` (``To`` inbound, ``From`` in a status)."""
    sid = _required(form, "AccountSid", ACCOUNT_SID)
    if form.get("MessagingServiceSid"):
        return f"{sid}/{_required(form, 'MessagingServiceSid', SERVICE_SID)}"
    number = _channel(form.get(ours, ""))[1]
    if not NUMBER.fullmatch(number):
        raise _Malformed(f"Twilio form has neither MessagingServiceSid nor our number in {ours}: {number[:40]!r}")
    return f"{sid}/{number}"


def _whatsapp_sender(address: str, external_user_id: str, wa_id: str) -> tuple[Identity, tuple[Identity, ...]]:
    """Keyed on the business-scoped user id when Twilio gives one, else the wa_id; the phone number beside it."""
    external = _channel(external_user_id)[1]
    bsuid = next((value for value in (external, address) if BSUID.fullmatch(value)), None)
    if not WA_ID.fullmatch(wa_id):
        wa_id = address[1:] if E164.fullmatch(address) else ""
    phone = address if E164.fullmatch(address) else (f"+{wa_id}" if wa_id else None)
    key = bsuid or wa_id
    if not key:
        raise _Malformed(f"WhatsApp sender whatsapp:{address[:60]} is neither a number nor a business-scoped id")
    return Identity("whatsapp", key), ((Identity("phone", phone),) if phone else ())


def _recipient(form: Mapping[str, str], channel: str) -> Identity | None:
    address = _channel(form.get("To", ""))[1]
    if channel == "sms":
        return Identity("phone", address) if E164.fullmatch(address) else None
    try:
        return _whatsapp_sender(address, form.get("ExternalUserId", ""), "")[0]
    except _Malformed:
        return None


def _location(form: Mapping[str, str]) -> dict[str, Any]:
    if "Latitude" not in form and "Longitude" not in form:
        return {}
    latitude, longitude = _coordinate(form, "Latitude", 90), _coordinate(form, "Longitude", 180)
    place: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    place.update({key: form[name] for key, name in (("name", "Label"), ("address", "Address")) if form.get(name)})
    return {"location": place}


def _coordinate(form: Mapping[str, str], name: str, limit: float) -> float:
    try:
        value = float(form.get(name, ""))
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > limit:
        raise _Malformed(f"Twilio location has no valid {name}: {form.get(name, '')[:40]!r}")
    return value


def _media(form: Mapping[str, str]) -> tuple[Media, ...]:
    found = []
    for index in range(10):  # Twilio's limit per message
        url = form.get(f"MediaUrl{index}")
        if url:
            mime = form.get(f"MediaContentType{index}") or None
            found.append(Media(_media_kind(mime), url, mime))
    return tuple(found)


def _media_kind(mime: str | None) -> str:
    major = (mime or "").split("/")[0].lower()
    return {"image": "image", "video": "video", "audio": "audio", "application": "document",
            "text": "document"}.get(major, "file")


def _has_content(form: Mapping[str, str]) -> bool:
    return any(form.get(name) for name in ("Body", "ButtonText", "MediaUrl0", "Latitude", "Longitude"))
