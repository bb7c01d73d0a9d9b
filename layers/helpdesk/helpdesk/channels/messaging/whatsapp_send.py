"""What the desk sends on WhatsApp Cloud: each builder returns ``(path, json_body)`` for
``POST {base}/{phone_number_id}/messages`` (the transport adds the base URL, by default
``https://graph.facebook.com/v21.0``, and the bearer token), with our correlation id in ``biz_opaque_callback_data``
so every status of the message names our comment even before the send's answer is stored. ``read_response`` says
what the answer means.

Limits checked here, as pywa's docstrings state them (``client.py``, ``types/callback.py``): a text of at most
4,096 characters, 1 to 3 reply buttons with titles of at most 20 characters and ids of at most 256, at most 512
characters of callback data; from Meta's reference [not re-read]: a button body and a caption of at most 1,024
(captions on images, videos and documents only). Titles and ids must also be unique: two equal buttons would be
ambiguous to the customer and to the survey that reads the answer. Error codes: Meta's "WhatsApp error codes" page
(developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes) and the Graph API's
rate-limiting page (codes 4 and 80007: throttled).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from helpdesk.channels.messaging.items import Identity
from helpdesk.channels.messaging.meta import SendResult, graph_failure
from helpdesk.domain.errors import InvalidInput

TEXT_LIMIT, BODY_LIMIT, CAPTION_LIMIT, CALLBACK_LIMIT = 4096, 1024, 1024, 512
MAX_BUTTONS, BUTTON_TITLE_LIMIT, BUTTON_ID_LIMIT = 3, 20, 256
MEDIA_KINDS = ("image", "video", "audio", "document", "sticker")
CAPTIONED = ("image", "video", "document")

WINDOW_CLOSED = ((131047, None),)  # re-engagement: more than 24 h since the customer's last message
RETRY_CODES = frozenset({130429, 131056, 131016, 131000, 80007, 4, 1, 2})  # throughput, pair rate, unavailable
REAUTHORISE_CODES = frozenset({190})  # the access token expired or was revoked

_BSUID = re.compile(r"[A-Z]{2}\.(ENT\.)?[0-9]+")  # business-scoped user id, as pywa's sent_update.py reads it
_ACCOUNT = re.compile(r"[0-9A-Za-z_-]{1,64}")

Request = tuple[str, dict[str, Any]]


def build_text(account: str, to: Identity, text: str, correlation: str | None, *,
               reply_to: str | None = None, preview_url: bool = False) -> Request:
    _within("text", text, TEXT_LIMIT)
    return _request(account, to, correlation, "text", {"body": text, "preview_url": preview_url}, reply_to)


def build_buttons(account: str, to: Identity, text: str, buttons: Sequence[tuple[str, str]],
                  correlation: str | None) -> Request:
    """Reply buttons: ``buttons`` are ``(id, title)`` pairs; the id comes back as the reply's payload."""
    _within("button text", text, BODY_LIMIT)
    if not 1 <= len(buttons) <= MAX_BUTTONS:
        raise InvalidInput(f"WhatsApp takes 1 to {MAX_BUTTONS} reply buttons, not {len(buttons)}")
    for button_id, title in buttons:
        _within("button id", button_id, BUTTON_ID_LIMIT)
        _within("button title", title, BUTTON_TITLE_LIMIT)
    for position, what in ((0, "ids"), (1, "titles")):
        if len({button[position] for button in buttons}) != len(buttons):
            raise InvalidInput(f"WhatsApp reply button {what} must be unique")
    action = {"buttons": [{"type": "reply", "reply": {"id": button_id, "title": title}}
                          for button_id, title in buttons]}
    return _request(account, to, correlation, "interactive",
                    {"type": "button", "body": {"text": text}, "action": action})


def build_template(account: str, to: Identity, name: str, language: str, parameters: Sequence[str],
                   correlation: str | None) -> Request:
    """An approved template (the only message allowed outside the 24 h window), its body's ``{{n}}`` filled
    with ``parameters`` in order."""
    _within("template name", name, 512)
    _within("template language", language, 15)
    for parameter in parameters:
        _within("template parameter", parameter, TEXT_LIMIT)
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    if parameters:
        template["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": value} for value in parameters]}]
    return _request(account, to, correlation, "template", template)


def build_media(account: str, to: Identity, kind: str, link: str, caption: str | None, correlation: str | None,
                *, filename: str | None = None) -> Request:
    """An image, video, audio, document or sticker that WhatsApp fetches from ``link`` (an https URL)."""
    if kind not in MEDIA_KINDS:
        raise InvalidInput(f"WhatsApp cannot send media of kind {kind!r}: one of {', '.join(MEDIA_KINDS)}")
    if not link.startswith("https://") or len(link) > 2048:
        raise InvalidInput("a WhatsApp media link must be an https URL of at most 2,048 characters")
    media: dict[str, Any] = {"link": link}
    if caption:
        if kind not in CAPTIONED:
            raise InvalidInput(f"a WhatsApp {kind} cannot carry a caption")
        _within("caption", caption, CAPTION_LIMIT)
        media["caption"] = caption
    if filename and kind == "document":
        media["filename"] = filename
    return _request(account, to, correlation, kind, media)


def read_response(status: int, body: object) -> SendResult:
    """What the answer to a send means: ``messages[0].id`` on success, else the outcome of Meta's error code."""
    if 200 <= status < 300:
        messages = body.get("messages") if isinstance(body, Mapping) else None
        first = messages[0] if isinstance(messages, list) and messages else None
        provider_id = first.get("id") if isinstance(first, Mapping) else None
        if isinstance(provider_id, str) and provider_id:
            return SendResult(provider_id, "sent")
        return SendResult(None, "failed", None, f"HTTP {status} without a message id")
    return graph_failure(status, body, window_closed=WINDOW_CLOSED, retry=RETRY_CODES, reauthorise=REAUTHORISE_CODES)


def recipient(to: Identity) -> dict[str, str]:
    """``{"recipient": <BSUID>}`` for a business-scoped user id, ``{"to": <digits>}`` for a wa_id or a phone."""
    value = to.value.strip()
    if to.kind == "whatsapp" and _BSUID.fullmatch(value):
        return {"recipient": value}
    digits = value[1:] if to.kind == "phone" and value.startswith("+") else value
    if to.kind in ("whatsapp", "phone") and digits.isascii() and digits.isdigit() and 6 <= len(digits) <= 15:
        return {"to": digits}
    raise InvalidInput(f"cannot send a WhatsApp message to {to.kind} {to.value!r}")


def _request(account: str, to: Identity, correlation: str | None, kind: str, content: dict[str, Any],
             reply_to: str | None = None) -> Request:
    if not _ACCOUNT.fullmatch(account):
        raise InvalidInput(f"not a WhatsApp phone number id: {account!r}")
    body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual", **recipient(to)}
    if reply_to:
        body["context"] = {"message_id": reply_to}
    if correlation:
        _within("correlation id", correlation, CALLBACK_LIMIT)
        body["biz_opaque_callback_data"] = correlation
    body.update({"type": kind, kind: content})
    return f"/{account}/messages", body


def _within(what: str, value: str, limit: int) -> None:
    if not value or not value.strip():
        raise InvalidInput(f"the WhatsApp {what} is empty")
    if len(value) > limit:
        raise InvalidInput(f"the WhatsApp {what} has {len(value)} characters, more than {limit}")
