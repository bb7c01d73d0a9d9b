"""Business-hours schedules: manage them, and answer what the rest of the product asks of them (the default
schedule, whether now is within business hours, the schedules SLA targets count in)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.business_hours import Schedule, is_open
from helpdesk.domain.clock import iso
from helpdesk.domain.sla import SlaPolicy
from helpdesk.domain.users import User
from helpdesk.ports import RuleStore
from helpdesk.services.auth import require_admin


def _inner(payload: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    inner = payload.get(key)
    return inner if isinstance(inner, Mapping) else payload


def _store(deps: Container) -> RuleStore[Schedule]:
    store: RuleStore[Schedule] = deps.schedules
    return store


def list_schedules(deps: Container) -> list[Schedule]:
    return sorted(_store(deps).all(), key=lambda s: s.id)


def default_schedule(deps: Container) -> Schedule | None:
    """The account's default schedule: the first one created (lowest id), or None without schedules."""
    found = list_schedules(deps)
    return found[0] if found else None


def schedules_for_sla(deps: Container, policies: Sequence[SlaPolicy]) -> list[Schedule]:
    """The schedules ``apply_sla`` needs: none unless a policy counts business hours (no read then)."""
    return list_schedules(deps) if any(p.uses_business_hours for p in policies) else []


def in_business_hours(deps: Container, at: datetime) -> bool | None:
    """Whether ``at`` is within the default schedule's business hours; None when there is no schedule."""
    schedule = default_schedule(deps)
    return None if schedule is None else is_open(schedule, at)


def create_schedule(deps: Container, payload: Mapping[str, Any], caller: User) -> Schedule:
    require_admin(caller)
    schedule = Schedule.from_api(payload, id=deps.rules.allocate_id("schedule"), now_iso=iso(deps.clock.now()) or "")
    _store(deps).put(schedule)
    return schedule


def update_schedule(deps: Container, schedule_id: int, payload: Mapping[str, Any], caller: User) -> Schedule:
    require_admin(caller)
    current = _store(deps).get(schedule_id)
    changes = _inner(payload, "schedule")
    merged = {**current.to_api(), **dict(changes), "created_at": current.created_at}
    updated = Schedule.from_api(merged, id=schedule_id, now_iso=iso(deps.clock.now()) or "")
    _store(deps).put(updated)
    return updated


def delete_schedule(deps: Container, schedule_id: int, caller: User) -> None:
    require_admin(caller)
    _store(deps).delete(schedule_id)
