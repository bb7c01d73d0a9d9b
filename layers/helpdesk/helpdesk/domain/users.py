"""Users: end users (requesters), agents and admins; API tokens are kept as hashes only."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from helpdesk.domain.errors import InvalidRecord
from helpdesk.domain.identities import UserIdentity
from helpdesk.domain.inputs import whole_number
from helpdesk.domain.mailboxes import (
    NAME_MAX_CHARS,
    SMTPUTF8_REASON,
    ascii_address,
    clean_name,
    clean_text,
    needs_smtputf8,
)

ROLES = ("end-user", "agent", "admin")
_ROLE_NAMES = {"end-user": "end-user", "end_user": "end-user", "enduser": "end-user", "agent": "agent",
               "admin": "admin"}
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^[^@\s<>()\[\],;:\"]+@{_LABEL}(?:\.{_LABEL})+$")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True)
class User:
    """``email`` is the primary address ("" for a person met on a messaging channel who gave none); every other
    way to reach the user (a phone number, a WhatsApp id, another address...) is one of ``identities``."""

    id: int
    email: str
    name: str
    role: str = "end-user"
    locale: str = "en-US"
    user_fields: dict[str, Any] = field(default_factory=dict)
    api_token_sha256: str | None = None
    bouncing: bool = False
    complained: bool = False  # reported our mail as abuse or spam: nothing automatic is sent again
    soft_bounces: int = 0  # temporary delivery failures in a row; the second marks the address bouncing
    organization_id: int | None = None
    active: bool = True
    created_at: str | None = None
    updated_at: str | None = None
    identities: tuple[UserIdentity, ...] = ()
    version: int | None = field(default=None, compare=False)  # optimistic locking; None until first saved

    def to_api(self) -> dict[str, Any]:
        phone = next((i.value for i in self.identities if i.type == "phone"), None)
        return {"id": self.id, "url": f"/api/v2/users/{self.id}.json", "name": self.name,
                "email": self.email or None, "phone": phone,
                "role": self.role.replace("-", "_"), "locale": self.locale, "user_fields": dict(self.user_fields),
                "organization_id": self.organization_id, "active": self.active, "created_at": self.created_at,
                "updated_at": self.updated_at, **self._zendesk_keys()}

    def _zendesk_keys(self) -> dict[str, Any]:
        """Zendesk's other user keys: from what the product keeps (verified: an address or identity confirmed;
        restricted and moderator by role), the rest at Zendesk's defaults for what it does not keep."""
        verified = bool(self.email) or any(i.verified for i in self.identities)
        agent = self.role in ("agent", "admin")
        return {"time_zone": "UTC", "iana_time_zone": "Etc/UTC", "tags": [], "notes": "", "details": "",
                "external_id": None, "suspended": False, "verified": verified, "last_login_at": None,
                "alias": "", "chat_only": False, "custom_role_id": None, "locale_id": 1, "moderator": agent,
                "only_private_comments": False, "photo": None, "restricted_agent": not agent, "shared": False,
                "shared_agent": False, "signature": None, "ticket_restriction": None if agent else "requested",
                "two_factor_auth_enabled": False, "default_group_id": None, "report_csv": self.role == "admin",
                "shared_phone_number": None}

    def all_identities(self) -> tuple[UserIdentity, ...]:
        """The primary address (identity number 0) and the other identities, as the identities API lists them."""
        primary = (UserIdentity(self.id * 100, "email", self.email, primary=True, verified=True,
                                created_at=self.created_at),) if self.email else ()
        return (*primary, *self.identities)

    def identity_keys(self) -> set[tuple[str, str]]:
        return {(i.type, i.value) for i in self.all_identities()}

    def view(self) -> dict[str, Any]:
        return {"id": self.id, "email": self.email, "name": self.name, "role": self.role,
                "locale": self.locale, "user_fields": dict(self.user_fields), "organization_id": self.organization_id}

    def token_matches(self, token: str) -> bool:
        if not self.api_token_sha256:
            return False
        return hmac.compare_digest(self.api_token_sha256, hash_token(token))

    @property
    def refuses_mail(self) -> bool:
        """Automatic mail is never sent to this user: the address bounces, or its owner complained."""
        return self.bouncing or self.complained

    @property
    def is_agent(self) -> bool:
        return self.role in ("agent", "admin")

    def changed_by(self, data: Mapping[str, Any], now_iso: str) -> User:
        """This user with the writable fields of an API payload applied (validated); ``user_fields`` are merged
        key by key as in Zendesk, a ``null`` value clearing that key. Other attributes of Zendesk's user object
        (read-only ones such as ``id`` or ``url``, and ones this help desk does not keep, such as ``phone``) are
        ignored, as Zendesk ignores what it does not let a client write, so a client may send back what it
        read."""
        changes: dict[str, Any] = {"updated_at": now_iso}
        if "name" in data:
            changes["name"] = _name(data["name"])
        if "email" in data:
            changes["email"] = valid_email(data["email"])
        if "role" in data:
            changes["role"] = role_name(data["role"])
        if "locale" in data:
            changes["locale"] = _locale(data["locale"])
        if "organization_id" in data:
            changes["organization_id"] = _optional_id(data["organization_id"], "organization_id")
        if "user_fields" in data:
            merged = {**self.user_fields, **_user_fields(data["user_fields"])}
            changes["user_fields"] = {k: v for k, v in merged.items() if v is not None}
        return replace(self, **changes)


def new_user(data: Mapping[str, Any], *, id: int, now_iso: str) -> User:
    """A user from an API payload (``name`` and ``email`` required; role end-user unless given)."""
    if not isinstance(data.get("email"), str) or not data["email"].strip():
        raise InvalidRecord("Email: is required (this help desk identifies users by email address)")
    if "name" not in data:
        raise InvalidRecord("Name: is required")
    blank = User(id=id, email="", name="", created_at=now_iso)
    return blank.changed_by(data, now_iso)


def valid_email(value: Any) -> str:
    """An address we can send to: internationalised domains are taken (SES gets them IDNA-encoded), a local part
    that needs SMTPUTF8 is refused with the reason (see helpdesk.domain.mailboxes)."""
    text = value.strip() if isinstance(value, str) else ""
    if "@" in text and needs_smtputf8(text):
        raise InvalidRecord(f"Email: {text} cannot be used: it {SMTPUTF8_REASON}")
    try:
        wire = ascii_address(text)
    except ValueError:
        wire = ""
    if not _EMAIL.match(wire) or len(wire) > 254:
        raise InvalidRecord(f"Email: {value!r} is not a valid email address")
    return text.lower()


def role_name(value: Any) -> str:
    role = _ROLE_NAMES.get(str(value).strip().lower()) if isinstance(value, str) else None
    if role is None:
        raise InvalidRecord(f"Role: {value!r} is not one of end-user, agent, admin")
    return role


def _name(value: Any) -> str:
    """The name on one line (line breaks and other control characters become spaces)."""
    text = clean_text(value) if isinstance(value, str) else ""
    if not text:
        raise InvalidRecord("Name: cannot be blank")
    if len(text) > NAME_MAX_CHARS:
        raise InvalidRecord(f"Name: is longer than {NAME_MAX_CHARS} characters")
    return text


def _locale(value: Any) -> str:
    if not isinstance(value, str) or not _LOCALE.match(value.strip()):
        raise InvalidRecord(f"Locale: {value!r} is not a locale such as en-US or fr")
    return value.strip()


def _optional_id(value: Any, name: str) -> int | None:
    if value is None:
        return None
    number = whole_number(value)
    if number is None or number < 1:
        raise InvalidRecord(f"{name}: {value!r} is not an id")
    return number


def _user_fields(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidRecord("user_fields: must be an object of field keys to values")
    for key, item in value.items():
        if not isinstance(key, str) or not key.strip():
            raise InvalidRecord("user_fields: keys must be non-empty text")
        if item is not None and not isinstance(item, str | int | float | bool):
            raise InvalidRecord(f"user_fields.{key}: must be text, a number, true/false or null")
    return dict(value)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def display_name(email: str, name: str | None) -> str:
    """The name to store for a user met by email: the given name made safe, else the address's local part."""
    return clean_name(name or "") or clean_name(email.split("@", 1)[0])
