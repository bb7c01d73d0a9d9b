"""SLA warnings and escalation levels (Freshdesk's model on Zendesk's policies).

A policy's optional ``escalation``::

    {"warn_before_minutes": 30,
     "response": [{"after_minutes": 0, "notify": {"assignee": true, "agent_ids": [5], "group_id": 2,
                   "group_manager_of": 2}, "reassign_to": 9, "raise_priority": true}],
     "resolution": [{...level 1...}, {...}, {...}, {...level 4...}]}

``response`` (one level at most) escalates breaches of the reply and update metrics, ``resolution`` (four at
most) those of requester wait, agent work and total resolution. Level N runs at breach + its ``after_minutes``
(not decreasing from one level to the next); it mails the assignee, named agents, a group's members or a group's
manager, and may reassign the ticket or raise its priority. A warning goes ``warn_before_minutes`` before a
running target's due time, to the assignee (else the members of the ticket's group). Each runs once: the target
keeps ``warned`` and ``escalated`` (1 once its breach is handled, then one more per level run).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from helpdesk.domain.errors import InvalidRule
from helpdesk.domain.inputs import whole_number
from helpdesk.domain.tickets import SlaTarget

RESPONSE_METRICS = ("first_reply_time", "next_reply_time", "periodic_update_time", "pausable_update_time")
RESOLUTION_METRICS = ("requester_wait_time", "agent_work_time", "total_resolution_time")
MAX_LEVELS = {"response": 1, "resolution": 4}
MAX_MINUTES = 366 * 24 * 60


@dataclass(frozen=True)
class Level:
    after_minutes: int = 0
    notify_assignee: bool = True
    agent_ids: tuple[int, ...] = ()
    group_id: int | None = None  # mail the group's members
    group_manager_of: int | None = None  # mail this group's manager
    reassign_to: int | None = None
    raise_priority: bool = False

    def to_api(self) -> dict[str, Any]:
        return {"after_minutes": self.after_minutes, "notify": {
            "assignee": self.notify_assignee, "agent_ids": list(self.agent_ids), "group_id": self.group_id,
            "group_manager_of": self.group_manager_of}, "reassign_to": self.reassign_to,
            "raise_priority": self.raise_priority}


@dataclass(frozen=True)
class Escalation:
    warn_before_minutes: int | None = None
    response: tuple[Level, ...] = ()
    resolution: tuple[Level, ...] = ()

    def levels_for(self, metric: str) -> tuple[Level, ...]:
        return self.response if metric in RESPONSE_METRICS else self.resolution

    def to_api(self) -> dict[str, Any]:
        return {"warn_before_minutes": self.warn_before_minutes,
                "response": [lv.to_api() for lv in self.response],
                "resolution": [lv.to_api() for lv in self.resolution]}


def _id(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidRule(f"{where} must be an id")
    return value


def _minutes(value: Any, where: str) -> int:
    number = whole_number(value)
    if number is None or isinstance(value, bool) or not 0 <= number <= MAX_MINUTES:
        raise InvalidRule(f"{where} must be a whole number of minutes from 0 to {MAX_MINUTES}")
    return number


def _level(raw: Any, where: str) -> Level:
    if not isinstance(raw, Mapping):
        raise InvalidRule(f"{where} must be an object with after_minutes, notify, reassign_to, raise_priority")
    notify = raw.get("notify") or {}
    if not isinstance(notify, Mapping):
        raise InvalidRule(f"{where}.notify must be an object")
    agents = notify.get("agent_ids") or []
    if not isinstance(agents, list):
        raise InvalidRule(f"{where}.notify.agent_ids must be a list of agent ids")
    flags = {name: raw.get(name, False) for name in ("raise_priority",)} | {"assignee": notify.get("assignee", True)}
    if any(not isinstance(v, bool) for v in flags.values()):
        raise InvalidRule(f"{where}: notify.assignee and raise_priority must be true or false")
    level = Level(
        after_minutes=_minutes(raw.get("after_minutes", 0), f"{where}.after_minutes"),
        notify_assignee=bool(flags["assignee"]),
        agent_ids=tuple(_id(a, f"{where}.notify.agent_ids") or 0 for a in agents),
        group_id=_id(notify.get("group_id"), f"{where}.notify.group_id"),
        group_manager_of=_id(notify.get("group_manager_of"), f"{where}.notify.group_manager_of"),
        reassign_to=_id(raw.get("reassign_to"), f"{where}.reassign_to"),
        raise_priority=bool(flags["raise_priority"]),
    )
    if not (level.notify_assignee or level.agent_ids or level.group_id or level.group_manager_of
            or level.reassign_to or level.raise_priority):
        raise InvalidRule(f"{where} does nothing: notify someone, reassign or raise the priority")
    return level


def parse_escalation(raw: Any) -> Escalation | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise InvalidRule("escalation must be an object with warn_before_minutes, response and resolution")
    warn = raw.get("warn_before_minutes")
    parts: dict[str, tuple[Level, ...]] = {}
    for kind, most in MAX_LEVELS.items():
        levels = raw.get(kind) or []
        if not isinstance(levels, list) or len(levels) > most:
            raise InvalidRule(f"escalation.{kind} is a list of at most {most} level{'s' if most > 1 else ''}")
        parts[kind] = tuple(_level(lv, f"escalation.{kind}[{n}]") for n, lv in enumerate(levels))
        times = [lv.after_minutes for lv in parts[kind]]
        if times != sorted(times):
            raise InvalidRule(f"escalation.{kind}: each level's after_minutes must not come before the last's")
    warn_minutes = None if warn is None else _minutes(warn, "escalation.warn_before_minutes")
    if warn_minutes == 0:
        raise InvalidRule("escalation.warn_before_minutes must be at least 1 (or left out)")
    return Escalation(warn_minutes, parts["response"], parts["resolution"])


def warn_at(target: SlaTarget) -> datetime | None:
    """When the target's warning is due (None: no warning, already warned, paused, breached or met)."""
    if not target.warn_before_seconds or target.warned or not target.active or target.due_at is None:
        return None
    return target.due_at - timedelta(seconds=target.warn_before_seconds)


def next_level_at(target: SlaTarget) -> datetime | None:
    """When the target's next escalation level is due (after its breach was handled, while it is still open)."""
    if target.breached_at is None or not target.open or target.escalated < 1:
        return None
    done = target.escalated - 1
    if done >= len(target.level_minutes):
        return None
    return target.breached_at + timedelta(minutes=target.level_minutes[done])
