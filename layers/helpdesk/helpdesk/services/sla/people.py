"""The requester and organization an SLA policy filter reads, read only when some filter asks about them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.errors import NotFound
from helpdesk.domain.sla import SlaPolicy, needs_people
from helpdesk.domain.tickets import Ticket


@dataclass(frozen=True)
class SlaPeople:
    requester: Mapping[str, Any] | None = None
    organization: Mapping[str, Any] | None = None


def sla_people(deps: Container, ticket: Ticket, policies: Sequence[SlaPolicy]) -> SlaPeople:
    wants_requester, wants_organization = needs_people(policies)
    if not (wants_requester or wants_organization):
        return SlaPeople()
    try:
        user = deps.users.get(ticket.requester_id)
    except NotFound:
        return SlaPeople()
    organization = None
    if wants_organization:
        from helpdesk.services.organizations import organization_of

        found = organization_of(deps, user)
        organization = found.view() if found is not None else None
    return SlaPeople(user.view(), organization)
