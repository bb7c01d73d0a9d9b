"""The web chat widget's own protocol: who a visitor is, and what their message becomes.

A visitor needs no account. ``issue`` gives them a random visitor id inside a signed token (HMAC-SHA256 with the
widget key of the InboundProviderSecret), which the page keeps in its local storage and sends back in the
``X-Visitor-Token`` header (never a cookie, so any website can embed the widget and no other site's request carries
it). The token holds the widget key (the channel account: one per brand or site), the visitor id, and what the
visitor chose to give: a name, and an email address for follow-ups (it becomes the requester's email identity).
``read_token`` refuses a missing, malformed, forged, wrongly keyed or expired token with the reason.

A visitor's message becomes the same ``InboundMessage`` every other channel produces (channel ``web_widget``,
Zendesk's via id 48), so it takes the one conversation path: the FIFO inbound queue grouped by conversation, then
``receive_message``. Its provider id is the visitor id and the page's own message id: the page retries with the
same id, and one visitor cannot collide with another's ids.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from helpdesk.channels.messaging.items import Identity, InboundMessage
from helpdesk.domain.errors import ContentTooLarge, InvalidInput, VisitorTokenRejected

CHANNEL = "web_widget"
IDENTITY_KIND = "webchat"
TOKEN_HEADER = "X-Visitor-Token"
TOKEN_LIFETIME = timedelta(days=30)  # renewed each time the page starts the widget
MAX_TOKEN_CHARS = 1024
MAX_TEXT_CHARS = 4096  # as WhatsApp's longest text
MAX_NAME_CHARS = 100
_VERSION = "v1"
_WIDGET_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Visitor:
    id: str
    widget: str  # the widget key: the web_widget channel account
    expires_at: int  # epoch seconds
    email: str | None = None
    name: str | None = None

    @property
    def conversation(self) -> str:
        """The conversation key, as ``InboundMessage.conversation`` makes it for this visitor's messages."""
        return f"{CHANNEL}#{self.widget}#{IDENTITY_KIND}:{self.id}"


def widget_key(value: object) -> str:
    """A widget key as a page gives it (``data-widget``): letters, digits, ``_`` and ``-``, at most 64."""
    if not isinstance(value, str) or not _WIDGET_KEY.match(value):
        raise InvalidInput("widget: a widget key is 1 to 64 letters, digits, '_' or '-'")
    return value


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, signed: str) -> bytes:
    return hmac.new(key, signed.encode("ascii"), hashlib.sha256).digest()


def issue(key: bytes, widget: str, now: datetime, *, visitor_id: str | None = None, email: str | None = None,
          name: str | None = None) -> tuple[str, Visitor]:
    """A token for a new visitor of ``widget`` (or a renewed one for ``visitor_id``), valid TOKEN_LIFETIME."""
    if not key:
        raise VisitorTokenRejected("the web chat widget has no signing key (web_widget_secret)")
    visitor = Visitor(id=visitor_id or secrets.token_urlsafe(16), widget=widget_key(widget),
                      expires_at=int((now + TOKEN_LIFETIME).timestamp()), email=email or None,
                      name=(name or "").strip()[:MAX_NAME_CHARS] or None)
    claims = {"v": visitor.id, "w": visitor.widget, "x": visitor.expires_at}
    claims.update({k: v for k, v in (("e", visitor.email), ("n", visitor.name)) if v})
    body = _b64(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    signed = f"{_VERSION}.{body}"
    return f"{signed}.{_b64(_mac(key, signed))}", visitor


def read_token(key: bytes, token: str | None, now: datetime) -> Visitor:
    """The visitor a token was issued to; VisitorTokenRejected, with the reason, for anything else."""
    if not key:
        raise VisitorTokenRejected("the web chat widget has no signing key (web_widget_secret)")
    if token is None or not token.strip():
        raise VisitorTokenRejected(f"no visitor token: send it in the {TOKEN_HEADER} header")
    text = token.strip()
    parts = text.split(".")
    if len(text) > MAX_TOKEN_CHARS or len(parts) != 3 or parts[0] != _VERSION or not all(
            _B64URL.match(part) for part in parts[1:]):
        raise VisitorTokenRejected("the visitor token is malformed")
    try:
        given = _unb64(parts[2])
    except (binascii.Error, ValueError) as exc:
        raise VisitorTokenRejected("the visitor token is malformed") from exc
    if not hmac.compare_digest(given, _mac(key, f"{parts[0]}.{parts[1]}")):
        raise VisitorTokenRejected("the visitor token's signature does not verify (forged, or signed with "
                                   "another key)")
    visitor = _claims(parts[1])
    if visitor.expires_at <= now.timestamp():
        raise VisitorTokenRejected("the visitor token expired: start a new visitor")
    return visitor


def _claims(body: str) -> Visitor:
    try:
        claims = json.loads(_unb64(body))
        visitor = Visitor(id=str(claims["v"]), widget=str(claims["w"]), expires_at=int(claims["x"]),
                          email=claims.get("e"), name=claims.get("n"))
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise VisitorTokenRejected("the visitor token's claims are unreadable") from exc
    if not _VISITOR_ID.match(visitor.id) or not _WIDGET_KEY.match(visitor.widget):
        raise VisitorTokenRejected("the visitor token's claims are unreadable")
    return visitor


def client_message_id(value: object) -> str:
    if not isinstance(value, str) or not _CLIENT_ID.match(value):
        raise InvalidInput("id: the page's own message id is 8 to 64 letters, digits, '_' or '-' (a retry sends "
                           "the same id)")
    return value


def message_text(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput("text: a message's text is a string")
    if len(value) > MAX_TEXT_CHARS:
        raise ContentTooLarge(f"text: a message is at most {MAX_TEXT_CHARS} characters ({len(value)} given)")
    return value


def inbound_message(visitor: Visitor, client_id: str, text: str, now: datetime,
                    payload: str | None = None) -> InboundMessage:
    """What the visitor wrote (or pressed: a survey button's ``payload``), as every channel's messages are."""
    if not text.strip() and not payload:
        raise InvalidInput("text: an empty message (write something, or press a button)")
    if payload is not None and (not isinstance(payload, str) or len(payload) > 200):
        raise InvalidInput("payload: a button's payload is a string of at most 200 characters")
    extra = (Identity("email", visitor.email),) if visitor.email else ()
    return InboundMessage(channel=CHANNEL, account=visitor.widget, sender=Identity(IDENTITY_KIND, visitor.id),
                          provider_id=f"{visitor.id}.{client_message_id(client_id)}", sent_at=now, text=text,
                          identities=extra, name=visitor.name, payload=payload)


def client_id_of(message_ref: str | None, visitor: Visitor) -> str | None:
    """The page's id of one of this visitor's messages, from the comment's message reference."""
    prefix = f"{CHANNEL}:{visitor.widget}:{visitor.id}."
    return message_ref[len(prefix):] if message_ref and message_ref.startswith(prefix) else None
