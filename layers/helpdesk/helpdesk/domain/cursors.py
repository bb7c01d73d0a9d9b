"""Opaque, signed pagination cursors: what a listing hands out as ``after_cursor`` (and in ``links.next``), and
reads back. A cursor names the listing it belongs to and the position it continues from; it is base64url JSON with
an HMAC-SHA256 tag, so a client cannot forge a position or carry a cursor from one listing to another: anything
but a cursor the API gave is an InvalidInput (400), never a database key handed to the store as written."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from helpdesk.domain.errors import InvalidInput

TAG_BYTES = 12
MAX_CURSOR_CHARS = 1024


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _tag(key: bytes, scope: str, body: str) -> bytes:
    return hmac.new(key, f"{scope}\n{body}".encode("ascii"), hashlib.sha256).digest()[:TAG_BYTES]


def cursor_key(secret: bytes) -> bytes:
    """The key cursors are signed with, derived from the deployment's signing secret (never the secret itself)."""
    return hmac.new(secret, b"helpdesk list cursors", hashlib.sha256).digest()


def seal(key: bytes, scope: str, position: Mapping[str, Any]) -> str:
    """The cursor continuing listing ``scope`` at ``position`` (a small JSON object)."""
    body = _b64(json.dumps(dict(position), separators=(",", ":"), sort_keys=True).encode("utf-8"))
    return f"{body}.{_b64(_tag(key, scope, body))}"


def unseal(key: bytes, scope: str, cursor: str, name: str = "page[after]") -> dict[str, Any]:
    """The position a cursor of listing ``scope`` continues from; InvalidInput for anything this API did not give
    out for this listing (tampered, truncated, from another listing, or made up)."""
    refused = InvalidInput(f"{name} must be a cursor this listing gave (meta.after_cursor or links.next)")
    if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR_CHARS or cursor.count(".") != 1:
        raise refused
    body, tag = cursor.split(".")
    try:
        given = _unb64(tag)
        if not body.isascii() or not hmac.compare_digest(given, _tag(key, scope, body)):
            raise refused
        position = json.loads(_unb64(body))
    except (ValueError, binascii.Error) as exc:
        raise refused from exc
    if not isinstance(position, dict):
        raise refused
    return position
