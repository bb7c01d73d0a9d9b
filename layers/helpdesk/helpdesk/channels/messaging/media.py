"""Inbound media of the messaging channels, fetched into S3 by a step of its own: which URLs may carry a provider's
credentials, and whether the bytes are the ones the provider announced.

Credentials go to the provider's own hosts only: the host of the configured API base URL (on the local stack, the
fake providers on 127.0.0.1) and the hosts the provider documents for its media. Anything else a payload or a
redirect names (an attacker's ``MediaUrl0``, the storage Twilio redirects to) is fetched without them. Messenger and
Instagram media URLs are fetched without credentials wherever they point.

A provider gives the media's SHA-256 as hex (WhatsApp's media endpoint) or as base64 (WhatsApp's webhook); both
are read, and a digest that is neither cannot vouch for any bytes.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

MAX_MEDIA_BYTES = 25 * 1024 * 1024  # larger media are marked failed (too_large), never held whole in memory
WHATSAPP_MEDIA_HOSTS = ("lookaside.fbsbx.com",)  # where WhatsApp Cloud's media URLs point
TWILIO_API_HOSTS = ("api.twilio.com",)
DEFAULT_PORTS = {"http": 80, "https": 443}
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")
_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")

Origin = tuple[str, str, int]


def origin(url: str) -> Origin | None:
    """(scheme, host, port) of an http(s) URL; None for anything else: another scheme, no host, a bad port, user
    information (``https://lookaside.fbsbx.com@elsewhere/``) or characters that parsers read differently."""
    if any(c.isspace() or c == "\\" for c in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def may_carry_credentials(url: str, base_url: str, documented_hosts: Iterable[str], *, path_prefix: str = "") -> bool:
    """Whether a request to ``url`` may carry the credentials of the provider whose API is at ``base_url``: the
    same scheme, host and port as the base URL, or one of the provider's documented hosts over https on the
    standard port; and, when ``path_prefix`` is given, a path under it (Twilio: the account's own resources)."""
    found = origin(url)
    if found is None:
        return False
    scheme, host, port = found
    own = found == origin(base_url) or (scheme == "https" and port == 443 and host in set(documented_hosts))
    return own and urlsplit(url).path.startswith(path_prefix)


def claimed_digest(claim: str) -> bytes | None:
    """The 32 bytes of a SHA-256 digest given as hex or as base64 (standard or URL-safe, padded or not); None when
    the text is neither."""
    text = claim.strip()
    if _HEX_DIGEST.fullmatch(text):
        return bytes.fromhex(text)
    try:
        raw = base64.b64decode(text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


def sha256_matches(claim: str, digest: bytes) -> bool:
    """Whether the provider's ``claim`` names this ``digest`` (the SHA-256 of the bytes received)."""
    return claimed_digest(claim) == digest


def content_type(value: str | None, fallback: str | None = None) -> str:
    """The media type of a Content-Type header (parameters dropped, lower case), else ``fallback``, else
    ``application/octet-stream``: what a provider's header says is stored, never passed on unchecked."""
    for candidate in (value, fallback):
        found = (candidate or "").split(";", 1)[0].strip().lower()
        if _CONTENT_TYPE.fullmatch(found):
            return found
    return "application/octet-stream"
