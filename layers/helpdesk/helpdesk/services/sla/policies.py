"""SLA policy administration beyond create/show/update/delete: Zendesk's reorder and filter definitions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain import sla
from helpdesk.domain.errors import InvalidInput
from helpdesk.domain.sla import definitions as sla_definitions
from helpdesk.domain.users import User
from helpdesk.services.auth import require_admin


def reorder_policies(deps: Container, payload: Mapping[str, Any], caller: User) -> list[sla.SlaPolicy]:
    """``{"sla_policy_ids": [...]}`` lists every policy once; they get positions 1, 2, ... in that order."""
    require_admin(caller)
    if not isinstance(payload, Mapping) or "sla_policy_ids" not in payload:
        raise InvalidInput('the body must be {"sla_policy_ids": [id, ...]}')
    ordered = sla.reorder(deps.rules.sla_policies(), payload["sla_policy_ids"])
    for policy in ordered:
        deps.rules.put_sla_policy(policy)
    return ordered


def definitions(caller: User) -> dict[str, Any]:
    require_admin(caller)
    return sla_definitions.definitions()
