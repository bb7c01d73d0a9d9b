"""Support addresses (Zendesk's recipient addresses): the address a mail came in to chooses the ticket's brand
and group, and replies go out from it with its signature."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from helpdesk.domain.errors import InvalidRule
from helpdesk.domain.inputs import whole_number
from helpdesk.domain.mailboxes import unmailable_reason


@dataclass(frozen=True)
class RecipientAddress:
    id: int
    email: str
    name: str = "Support"
    brand_id: int | None = None
    group_id: int | None = None
    signature: str = ""
    default: bool = False

    @classmethod
    def from_api(cls, data: Mapping[str, Any], *, id: int) -> RecipientAddress:
        email = str(data.get("email") or "").strip().lower()
        if "@" not in email or " " in email:
            raise InvalidRule("a recipient address needs a valid email")
        if (reason := unmailable_reason(email)) is not None:  # replies are sent from it
            raise InvalidRule(f"a recipient address must be one SES can send from: {reason}")

        def optional_id(name: str) -> int | None:
            value = data.get(name)
            if value in (None, ""):
                return None
            number = whole_number(value)
            if number is None:
                raise InvalidRule(f"{name} must be a number")
            return number

        return cls(id=id, email=email, name=str(data.get("name") or "Support"), brand_id=optional_id("brand_id"),
                   group_id=optional_id("group_id"), signature=str(data.get("signature") or ""),
                   default=bool(data.get("default", False)))

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "email": self.email, "name": self.name, "brand_id": self.brand_id,
                "group_id": self.group_id, "signature": self.signature, "default": self.default,
                "forwarding_status": "verified"}


def route(addresses: Sequence[RecipientAddress], candidates: Iterable[str]) -> RecipientAddress | None:
    """The configured address among the mail's recipients (envelope first, then To and Cc), else the default."""
    by_email = {a.email: a for a in addresses}
    for candidate in candidates:
        found = by_email.get(candidate.strip().lower())
        if found is not None:
            return found
    return next((a for a in addresses if a.default), None)


def is_ours(addresses: Sequence[RecipientAddress], sender_address: str, email: str) -> bool:
    address = email.strip().lower()
    return address == sender_address.lower() or any(a.email == address for a in addresses)
