"""Account API tokens (Zendesk's /api/v2/api_tokens): an admin creates one, and any active agent then signs in
as ``their-email/token:TOKEN``. The token is shown once, at creation; only its SHA-256 and last four characters
are kept."""

from __future__ import annotations

import hmac
import secrets
import string
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from helpdesk.domain.errors import InvalidRecord
from helpdesk.domain.users import hash_token

_ALPHABET = string.ascii_letters + string.digits


def new_secret() -> str:
    """40 characters of letters and digits, as Zendesk's tokens look (238 bits)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(40))


@dataclass(frozen=True)
class ApiToken:
    id: int
    token_sha256: str
    token_hint: str
    description: str
    created_at: str
    created_by: int
    active: bool = True

    @classmethod
    def issue(cls, data: Mapping[str, Any], *, id: int, now_iso: str, by: int) -> tuple[ApiToken, str]:
        description = data.get("description", "")
        if not isinstance(description, str) or len(description) > 255:
            raise InvalidRecord("description: must be text of at most 255 characters")
        secret = new_secret()
        token = cls(id=id, token_sha256=hash_token(secret), token_hint=secret[-4:], description=description.strip(),
                    created_at=now_iso, created_by=by)
        return token, secret

    def matches(self, secret: str) -> bool:
        return self.active and hmac.compare_digest(self.token_sha256, hash_token(secret))

    def to_api(self, secret: str | None = None) -> dict[str, Any]:
        """Zendesk's api_token object; the full token only in the answer to its creation."""
        shown = secret if secret is not None else f"...{self.token_hint}"
        return {"id": self.id, "url": f"/api/v2/api_tokens/{self.id}.json", "description": self.description,
                "token": shown, "active": self.active, "created_at": self.created_at}

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> ApiToken:
        return cls(**{k: v for k, v in doc.items() if k in cls.__dataclass_fields__})
