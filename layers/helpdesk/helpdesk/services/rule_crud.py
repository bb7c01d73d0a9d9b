"""Admin create/update/delete for the rule kinds kept in the RulesTable (schedules, automations, rule sets):
the envelope, a new id, the next position when none is given, merge-on-update keeping created_at."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from helpdesk.bootstrap import Container
from helpdesk.domain.clock import iso
from helpdesk.domain.users import User
from helpdesk.ports import RuleStore
from helpdesk.services.auth import require_admin


class _Rule(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def created_at(self) -> str: ...

    def to_api(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=_Rule)


@dataclass(frozen=True)
class RuleCrud(Generic[R]):
    kind: str  # the id counter and the API envelope ("automation" for {"automation": {...}})
    store: Callable[[Container], RuleStore[R]]
    build: Callable[..., R]  # Cls.from_api(data, id=..., now_iso=...)
    positioned: bool = True  # give a new rule the next position when the body has none
    read_body: Callable[[Mapping[str, Any]], dict[str, Any]] = dict  # the body as the rule's from_api reads it

    def _inner(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        inner = payload.get(self.kind)
        return dict(inner if isinstance(inner, Mapping) else payload)

    def create(self, deps: Container, payload: Mapping[str, Any], caller: User) -> R:
        require_admin(caller)
        data = self._inner(payload)
        if self.positioned and "position" not in data:
            data["position"] = max((getattr(r, "position", 0) for r in self.store(deps).all()), default=0) + 1
        rule = self.build(data, id=deps.rules.allocate_id(self.kind), now_iso=iso(deps.clock.now()) or "")
        self.store(deps).put(rule)
        return rule

    def update(self, deps: Container, rule_id: int, payload: Mapping[str, Any], caller: User) -> R:
        require_admin(caller)
        current = self.store(deps).get(rule_id)
        merged = {**current.to_api(), **self.read_body(self._inner(payload)), "created_at": current.created_at}
        rule = self.build(merged, id=rule_id, now_iso=iso(deps.clock.now()) or "")
        self.store(deps).put(rule)
        return rule

    def delete(self, deps: Container, rule_id: int, caller: User) -> None:
        require_admin(caller)
        self.store(deps).delete(rule_id)
