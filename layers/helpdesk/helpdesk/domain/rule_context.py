"""What business rules know about the update being made (re-exported by ``helpdesk.domain.triggers``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class UpdateContext:
    """One create or change of a ticket, as triggers see it.

    ``previous`` is the full ticket snapshot before this update (None on Create); ``comment`` is the comment
    added by this update, if any: ``{"body": str, "public": bool, "author_id": int}``; ``requester`` is
    ``{"id", "email", "name", "role", "locale", "user_fields": {...}}``; ``organization`` is the requester's
    organization (``{"id", "name", "organization_fields": {...}}``) when known; ``in_business_hours`` says
    whether the update happens within the ticket's business hours (None: unknown, and the condition is false).
    """

    update_type: Literal["Create", "Change"]
    via: str
    actor_role: str
    actor_id: int | None
    comment: Mapping[str, Any] | None = None
    previous: Mapping[str, Any] | None = None
    requester: Mapping[str, Any] = field(default_factory=dict)
    organization: Mapping[str, Any] | None = None
    in_business_hours: bool | None = None
