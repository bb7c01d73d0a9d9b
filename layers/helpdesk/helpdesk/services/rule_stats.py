"""Rule statistics: count the triggers that fired, and report how often each fired in the last 24 hours and 7 days.

Counting happens once per ticket update, when trigger_eval's idempotent write of the update's TriggersFired
event succeeds (a redelivered event finds the write done and counts nothing). Reading costs N x 168 keys for N
rules, fetched 100 to a BatchGetItem request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain import rule_stats
from helpdesk.domain.rule_stats import RuleUsage
from helpdesk.ports import RuleStatistics

TRIGGER = "trigger"
SIDELOADS = tuple(rule_stats.WINDOWS)  # usage_24h, usage_7d


def _store(deps: Container) -> RuleStatistics:
    store: RuleStatistics = deps.rule_stats
    return store


def record_fired(deps: Container, fired: Sequence[int], kind: str = TRIGGER) -> None:
    """Count one firing of each rule, in the current hour."""
    if fired:
        _store(deps).record(kind, list(dict.fromkeys(fired)), rule_stats.hour_of(deps.clock.now()))


def usage(deps: Container, rule_ids: Sequence[int], kind: str = TRIGGER) -> dict[int, RuleUsage]:
    """Each rule's firings over the usage windows ending now."""
    now = deps.clock.now()
    widest = rule_stats.window(now, max(rule_stats.WINDOWS.values()))
    hourly = _store(deps).hourly(kind, rule_ids, widest) if rule_ids else {}
    return {rule_id: rule_stats.usage(rule_id, hourly.get(rule_id, {}), now) for rule_id in rule_ids}


def trigger_stats(deps: Container) -> dict[str, Any]:
    """``{"rule_stats": [{"id", "title", "usage_24h", "usage_7d"}]}`` for every trigger, in position order."""
    triggers = deps.rules.triggers()
    found = usage(deps, [t.id for t in triggers])
    return {"rule_stats": [{"id": t.id, "title": t.title, **found[t.id].fields()} for t in triggers]}


def sideloads(include: str | None) -> list[str]:
    """The usage fields asked for with Zendesk's ``?include=usage_24h,usage_7d``; other names are left to
    whoever handles them (Zendesk ignores sideloads it does not know)."""
    wanted = [name.strip() for name in (include or "").split(",")]
    return [name for name in dict.fromkeys(wanted) if name in SIDELOADS]


def with_usage(deps: Container, rules: Sequence[Mapping[str, Any]], include: str | None,
               kind: str = TRIGGER) -> list[dict[str, Any]]:
    """Rules in their API shape with the usage fields ``include`` asks for added to each (Zendesk's sideload)."""
    fields = sideloads(include)
    if not fields:
        return [dict(rule) for rule in rules]
    found = usage(deps, [int(rule["id"]) for rule in rules], kind)
    return [{**rule, **{name: found[int(rule["id"])].fields()[name] for name in fields}} for rule in rules]
