"""A person's identities: the ways to reach them (an email address, a phone number, a WhatsApp business-scoped id,
a Messenger or Instagram id, a web chat visitor). The same person writing by email and by WhatsApp is one user when
an identity links them. Shown through the API as Zendesk's user identities."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from helpdesk.domain.errors import InvalidRecord

# our kinds -> Zendesk's identity types (its own names where Zendesk has one)
API_TYPES = {"email": "email", "phone": "phone_number", "whatsapp": "whatsapp", "messenger": "facebook",
             "instagram": "instagram", "webchat": "sdk"}
KINDS = {api: kind for kind, api in API_TYPES.items()} | {kind: kind for kind in API_TYPES}
MAX_IDENTITIES = 99  # identity ids are user id * 100 + a number below 100
_PHONE = re.compile(r"^\+[1-9][0-9]{6,15}$")


@dataclass(frozen=True)
class UserIdentity:
    id: int
    type: str  # one of API_TYPES' keys
    value: str
    primary: bool = False
    verified: bool = False
    created_at: str | None = None

    def to_api(self, user_id: int) -> dict[str, Any]:
        return {"id": self.id, "url": f"/api/v2/users/{user_id}/identities/{self.id}.json", "user_id": user_id,
                "type": API_TYPES.get(self.type, self.type), "value": self.value, "verified": self.verified,
                "primary": self.primary, "created_at": self.created_at, "updated_at": self.created_at}


def pointer_key(kind: str, value: str) -> str:
    """The Directory key that finds the user with this identity."""
    return f"email#{value}" if kind == "email" else f"ident#{kind}#{value}"


def normalised(kind: str, value: str) -> str:
    """The stored form: email lower case; a phone number in E.164 with its +; ids as given."""
    text = value.strip()
    if kind == "email":
        return text.lower()
    if kind == "phone":
        digits = re.sub(r"[\s().-]", "", text)
        return digits if digits.startswith("+") else f"+{digits}"
    return text


def from_api(data: Mapping[str, Any]) -> tuple[str, str]:
    """(kind, value) of Zendesk's ``{"identity": {"type": ..., "value": ...}}``, validated."""
    from helpdesk.domain.users import valid_email

    kind = KINDS.get(str(data.get("type", "")).strip().lower()) if isinstance(data.get("type"), str) else None
    if kind is None:
        raise InvalidRecord(f"Type: {data.get('type')!r} is not one of {', '.join(sorted(API_TYPES.values()))}")
    raw = data.get("value")
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 254:
        raise InvalidRecord("Value: is required (text of at most 254 characters)")
    if kind == "email":
        return kind, valid_email(raw)
    value = normalised(kind, raw)
    if kind == "phone" and not _PHONE.match(value):
        raise InvalidRecord(f"Value: {raw!r} is not a phone number in international form (+ and 7 to 16 digits)")
    return kind, value


def next_identity_id(user_id: int, identities: tuple[UserIdentity, ...]) -> int:
    used = {identity.id - user_id * 100 for identity in identities}
    free = next((n for n in range(1, MAX_IDENTITIES + 1) if n not in used), None)
    if free is None:
        raise InvalidRecord(f"a user has at most {MAX_IDENTITIES} identities")
    return user_id * 100 + free
