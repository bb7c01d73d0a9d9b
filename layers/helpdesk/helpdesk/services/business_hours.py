"""Business-hours schedules: manage them, and answer what the rest of the product asks of them (the default
schedule, whether now is within business hours, the schedules SLA targets count in)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from helpdesk.bootstrap import Container
from helpdesk.domain.business_hours import Schedule, is_open
from helpdesk.domain.sla import SlaPolicy
from helpdesk.ports import RuleStore
from helpdesk.services.rule_crud import RuleCrud


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


CRUD: RuleCrud[Schedule] = RuleCrud("schedule", _store, Schedule.from_api, positioned=False)
create_schedule, update_schedule, delete_schedule = CRUD.create, CRUD.update, CRUD.delete
