"""Users: end users (requesters), agents and admins; API tokens are kept as hashes only."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

ROLES = ("end-user", "agent", "admin")


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str
    role: str = "end-user"
    locale: str = "en-US"
    user_fields: dict[str, Any] = field(default_factory=dict)
    api_token_sha256: str | None = None
    bouncing: bool = False
    organization_id: int | None = None

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "email": self.email, "role": self.role.replace("-", "_"),
                "locale": self.locale, "user_fields": dict(self.user_fields), "organization_id": self.organization_id}

    def view(self) -> dict[str, Any]:
        return {"id": self.id, "email": self.email, "name": self.name, "role": self.role,
                "locale": self.locale, "user_fields": dict(self.user_fields), "organization_id": self.organization_id}

    def token_matches(self, token: str) -> bool:
        if not self.api_token_sha256:
            return False
        return hmac.compare_digest(self.api_token_sha256, hash_token(token))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def display_name(email: str, name: str | None) -> str:
    return (name or "").strip() or email.split("@", 1)[0]
