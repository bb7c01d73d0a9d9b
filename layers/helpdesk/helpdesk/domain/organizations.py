"""Organizations: requesters belong to one; triggers and SLA filters read its fields (Zendesk semantics)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from helpdesk.domain.errors import InvalidRule
from helpdesk.domain.inputs import whole_number


@dataclass(frozen=True)
class Organization:
    id: int
    name: str
    domain_names: tuple[str, ...] = ()
    group_id: int | None = None
    organization_fields: dict[str, Any] = field(default_factory=dict)
    details: str = ""

    @classmethod
    def from_api(cls, data: Mapping[str, Any], *, id: int) -> Organization:
        name = str(data.get("name") or "").strip()
        if not name:
            raise InvalidRule("an organization needs a name")
        domains = data.get("domain_names") or []
        if not isinstance(domains, list) or not all(isinstance(d, str) and "." in d for d in domains):
            raise InvalidRule("domain_names must be a list of domains such as example.com")
        fields = data.get("organization_fields") or {}
        if not isinstance(fields, Mapping):
            raise InvalidRule("organization_fields must be an object")
        group = data.get("group_id")
        group_id = None if group in (None, "") else whole_number(group)
        if group not in (None, "") and group_id is None:
            raise InvalidRule("group_id must be a number")
        return cls(id=id, name=name, domain_names=tuple(d.strip().lower() for d in domains),
                   group_id=group_id,
                   organization_fields=dict(fields), details=str(data.get("details") or ""))

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Organization:
        return cls.from_api(doc, id=int(doc["id"]))

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "url": f"/api/v2/organizations/{self.id}.json", "name": self.name,
                "domain_names": list(self.domain_names), "group_id": self.group_id,
                "organization_fields": dict(self.organization_fields), "details": self.details,
                # Zendesk's other keys, at its defaults: the product keeps no times, tags or notes on organizations
                "created_at": None, "updated_at": None, "tags": [], "external_id": None, "notes": "",
                "shared_tickets": False, "shared_comments": False}

    def view(self) -> dict[str, Any]:
        """What rules see as the requester's organization."""
        return {"id": self.id, "name": self.name, "organization_fields": dict(self.organization_fields)}


def organization_for_email(organizations: list[Organization], email: str) -> Organization | None:
    """Zendesk maps a new user to the organization whose domain names include the address's domain."""
    domain = email.rsplit("@", 1)[-1].lower()
    return next((o for o in organizations if domain in o.domain_names), None)
