"""Mailboxes as we write them into mail: display names that cannot break a header, and addresses in the form
Amazon SES sends to.

SES takes 7-bit addresses only: a domain with non-ASCII labels is sent IDNA-encoded (``xn--``, the same mailbox),
but a local part with non-ASCII characters would need SMTPUTF8 (RFC 6531), which SES does not offer: the SES API
reference says so for SendRawEmail's Source and Destinations, and SES answers such a destination with
``InvalidParameterValue: Local address contains control or whitespace``. There is no ASCII spelling of such a
mailbox (punycode in a local part names another mailbox), so the help desk refuses these addresses where a person
types them in (users, requesters, support addresses) and, for a person who writes to us from one, keeps the ticket
and never tries to mail them (``unmailable_reason``).
"""

from __future__ import annotations

import re
import unicodedata

NAME_MAX_CHARS = 255
SMTPUTF8_REASON = (
    "has non-ASCII characters before the @; mail to it needs SMTPUTF8, which Amazon SES does not send")
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_ASCII_LOCAL = re.compile(r"^[!-~]{1,64}$")  # printable ASCII, no spaces


def clean_text(value: str, max_chars: int | None = None) -> str:
    """One line of header text: control characters (CR, LF, NUL, ...) and bidi overrides become spaces, runs of
    whitespace one space, the ends trimmed, the length bounded."""
    kept = "".join(" " if unicodedata.category(c) == "Cc" else c for c in _BIDI_CONTROLS.sub(" ", value))
    text = " ".join(kept.split())
    return text[:max_chars].rstrip() if max_chars is not None else text


def clean_name(value: str) -> str:
    """A display name safe to store and to put in a From/To/Cc header (at most 255 characters)."""
    return clean_text(value, NAME_MAX_CHARS)


def needs_smtputf8(address: str) -> bool:
    local, _, _ = address.rpartition("@")
    return not local.isascii()


def unmailable_reason(address: str) -> str | None:
    """Why we cannot send mail to this address through SES, or None when we can."""
    if needs_smtputf8(address):
        return f"{address} {SMTPUTF8_REASON}"
    try:
        ascii_address(address)
    except ValueError as error:
        return str(error)
    return None


def ascii_address(address: str) -> str:
    """``local@domain`` with the domain IDNA-encoded (``dana@bücher.example`` -> ``dana@xn--bcher-kva.example``);
    ValueError when the local part is not ASCII or the domain cannot be encoded."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"{address!r} is not an email address")
    if not local.isascii():
        raise ValueError(f"{address} {SMTPUTF8_REASON}")
    if not _ASCII_LOCAL.match(local):
        raise ValueError(f"{address!r} has spaces or control characters before the @, or more than 64 characters there")
    return f"{local}@{ascii_domain(domain)}"


def ascii_domain(domain: str) -> str:
    """The domain in its ASCII form: each non-ASCII label NFC-normalised, lower-cased and punycoded (IDNA 2008's
    mapping for the common case: ``straße`` stays ``xn--strae-oqa``, not ``strasse``)."""
    labels = unicodedata.normalize("NFC", domain.strip().rstrip(".")).lower().split(".")
    encoded = [label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii") for label in labels]
    if not all(_LABEL.match(label) for label in encoded) or len(".".join(encoded)) > 253:
        raise ValueError(f"{domain!r} is not a domain name mail can be sent to")
    return ".".join(encoded)
