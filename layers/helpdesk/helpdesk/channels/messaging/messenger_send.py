"""What the desk sends on Messenger and Instagram DM: each builder returns ``(path, json_body)`` for
``POST {base}/{account}/messages`` (the Send API; the transport adds the base URL and the page token). ``account``
is the id the token speaks for: the page id for Messenger and for Instagram through Facebook Login, or ``me``.
Our correlation id rides in ``message.metadata`` and comes back on the echo, so the echo of our own send is
recognised even when it arrives before the send's answer.

``messaging_type`` is ``RESPONSE`` (inside the 24 h window) unless the caller asks for ``human_agent``: then
``MESSAGE_TAG`` with the ``HUMAN_AGENT`` tag (7 days, human replies only; the caller decides when it applies).

Limits [Send API reference, not re-read here]: a text of at most 2,000 characters, at most 13 quick replies with
titles of at most 20 characters and payloads of at most 1,000, metadata of at most 1,000.
Error codes, and where they come from: the "Messenger Platform: Common Error Codes" page (updated 2026-03-18;
the copy read here was cut after code 4): 190 an invalid or expired token, 2 "an unexpected error... retry your
request later", 4 the application request limit. The Graph API rate-limiting page: 4 (application), 17
(account), 32 (page) and 613 (custom) throttling. 10 with subcode 2018278, "This message is sent outside of
allowed window", is the well-known Messenger answer [M: on that page, past the cut]; Instagram answers the same
with subcode 2534022 (an IGApiException quoted in ComposioHQ/composio#3604). 1200 "Temporary send message
failure" [M].
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from helpdesk.channels.messaging.items import Identity
from helpdesk.channels.messaging.meta import SendResult, graph_failure
from helpdesk.domain.errors import InvalidInput

TEXT_LIMIT, METADATA_LIMIT = 2000, 1000
MAX_QUICK_REPLIES, QUICK_REPLY_TITLE_LIMIT, QUICK_REPLY_PAYLOAD_LIMIT = 13, 20, 1000
ATTACHMENT_KINDS = ("image", "video", "audio", "file")

WINDOW_CLOSED = ((10, 2018278), (10, 2534022))
RETRY_CODES = frozenset({1, 2, 4, 17, 32, 613, 1200})
REAUTHORISE_CODES = frozenset({190})

_ACCOUNT = re.compile(r"[0-9]{1,32}|me")
Request = tuple[str, dict[str, Any]]


def build_text(account: str, to: Identity, text: str, correlation: str | None, *,
               human_agent: bool = False) -> Request:
    _within("text", text, TEXT_LIMIT)
    return _request(account, to, {"text": text}, correlation, human_agent)


def build_quick_replies(account: str, to: Identity, text: str, replies: Sequence[tuple[str, str]],
                        correlation: str | None, *, human_agent: bool = False) -> Request:
    """A text with quick replies: ``replies`` are ``(payload, title)`` pairs; the payload comes back on the
    customer's answer (``message.quick_reply.payload``)."""
    _within("text", text, TEXT_LIMIT)
    if not 1 <= len(replies) <= MAX_QUICK_REPLIES:
        raise InvalidInput(f"Messenger takes 1 to {MAX_QUICK_REPLIES} quick replies, not {len(replies)}")
    for payload, title in replies:
        _within("quick reply payload", payload, QUICK_REPLY_PAYLOAD_LIMIT)
        _within("quick reply title", title, QUICK_REPLY_TITLE_LIMIT)
    if len({payload for payload, _title in replies}) != len(replies):
        raise InvalidInput("Messenger quick reply payloads must be unique")
    quick = [{"content_type": "text", "title": title, "payload": payload} for payload, title in replies]
    return _request(account, to, {"text": text, "quick_replies": quick}, correlation, human_agent)


def build_attachment(account: str, to: Identity, kind: str, url: str, correlation: str | None, *,
                     human_agent: bool = False) -> Request:
    """An image, video, audio or file that Meta fetches from ``url`` (an https URL)."""
    if kind not in ATTACHMENT_KINDS:
        raise InvalidInput(f"Messenger cannot send an attachment of kind {kind!r}: one of "
                           f"{', '.join(ATTACHMENT_KINDS)}")
    if not url.startswith("https://") or len(url) > 2048:
        raise InvalidInput("a Messenger attachment URL must be an https URL of at most 2,048 characters")
    attachment = {"type": kind, "payload": {"url": url, "is_reusable": False}}
    return _request(account, to, {"attachment": attachment}, correlation, human_agent)


def read_response(status: int, body: object) -> SendResult:
    """``message_id`` on success, else the outcome of the Graph error's code and subcode."""
    if 200 <= status < 300:
        provider_id = body.get("message_id") if isinstance(body, Mapping) else None
        if isinstance(provider_id, str) and provider_id:
            return SendResult(provider_id, "sent")
        return SendResult(None, "failed", None, f"HTTP {status} without a message id")
    return graph_failure(status, body, window_closed=WINDOW_CLOSED, retry=RETRY_CODES, reauthorise=REAUTHORISE_CODES)


def _request(account: str, to: Identity, message: dict[str, Any], correlation: str | None,
             human_agent: bool) -> Request:
    if not _ACCOUNT.fullmatch(account):
        raise InvalidInput(f"not a page or Instagram account id: {account!r}")
    if to.kind not in ("messenger", "instagram") or not to.value.isascii() or not to.value.isdigit():
        raise InvalidInput(f"cannot send a Messenger or Instagram message to {to.kind} {to.value!r}")
    if correlation:
        _within("metadata", correlation, METADATA_LIMIT)
        message = {**message, "metadata": correlation}
    body: dict[str, Any] = {"recipient": {"id": to.value}, "message": message}
    body.update({"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"} if human_agent
                else {"messaging_type": "RESPONSE"})
    return f"/{account}/messages", body


def _within(what: str, value: str, limit: int) -> None:
    if not value or not value.strip():
        raise InvalidInput(f"the Messenger {what} is empty")
    if len(value) > limit:
        raise InvalidInput(f"the Messenger {what} has {len(value)} characters, more than {limit}")
