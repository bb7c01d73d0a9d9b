"""Schedules, automations and rule sets in the RulesTable (kinds ``schedule``, ``automation``, ``rule_set``),
and the tickets automations read through the ``by_status`` index of the TicketsTable."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from pynamodb.exceptions import DoesNotExist

from helpdesk.adapters.dynamo.mapping import ticket_from_doc
from helpdesk.adapters.dynamo.models import RuleModel, TicketModel
from helpdesk.domain.api_tokens import ApiToken
from helpdesk.domain.automations import Automation
from helpdesk.domain.business_hours import Schedule
from helpdesk.domain.channel_accounts import ChannelAccount
from helpdesk.domain.clock import to_epoch
from helpdesk.domain.errors import NotFound
from helpdesk.domain.organizations import Organization
from helpdesk.domain.rule_sets import RuleSet
from helpdesk.domain.tickets import Ticket
from helpdesk.ports import RuleStore, TextStore, TicketsByStatus


class _Stored(Protocol):
    @property
    def id(self) -> int: ...

    def to_api(self) -> dict[str, Any]: ...


S = TypeVar("S", bound=_Stored)


class DynamoRuleStore(RuleStore[S], Generic[S]):
    def __init__(self, kind: str, label: str, load: Callable[[Mapping[str, Any]], S],
                 dump: Callable[[S], dict[str, Any]] | None = None) -> None:
        self._kind, self._label, self._load = kind, label, load
        self._dump: Callable[[S], dict[str, Any]] = dump or (lambda rule: rule.to_api())

    def all(self) -> list[S]:
        found = [self._load(item.doc) for item in RuleModel.query(self._kind)]
        return sorted(found, key=lambda rule: (getattr(rule, "position", 0), rule.id))

    def get(self, rule_id: int) -> S:
        try:
            return self._load(RuleModel.get(self._kind, rule_id, consistent_read=True).doc)
        except DoesNotExist as exc:
            raise NotFound(f"{self._label} {rule_id} does not exist") from exc

    def put(self, rule: S) -> None:
        RuleModel(self._kind, rule.id, position=getattr(rule, "position", 0), doc=self._dump(rule)).save()

    def delete(self, rule_id: int) -> None:
        self.get(rule_id)
        RuleModel(self._kind, rule_id).delete()


def schedule_store() -> DynamoRuleStore[Schedule]:
    return DynamoRuleStore("schedule", "schedule", Schedule.from_doc)


def automation_store() -> DynamoRuleStore[Automation]:
    return DynamoRuleStore("automation", "automation", Automation.from_doc)


def organization_store() -> DynamoRuleStore[Organization]:
    return DynamoRuleStore("organization", "organization", Organization.from_doc)


def api_token_store() -> DynamoRuleStore[ApiToken]:
    return DynamoRuleStore("api_token", "API token", ApiToken.from_doc, dump=ApiToken.to_doc)


def rule_set_store() -> DynamoRuleStore[RuleSet]:
    return DynamoRuleStore("rule_set", "rule set", RuleSet.from_doc)


class DynamoTicketsByStatus(TicketsByStatus):
    def __init__(self, texts: TextStore) -> None:
        self._texts = texts

    def with_status(self, status: str, set_after: datetime | None = None, set_before: datetime | None = None, *,
                    sweep: str | None = None,
                    unreadable: Callable[[int, Exception], None] | None = None) -> Iterator[Ticket]:
        key = TicketModel.status_updated_at
        condition: Any = None
        if set_after is not None and set_before is not None:
            condition = key.between(to_epoch(set_after), to_epoch(set_before))
        elif set_before is not None:
            condition = key <= to_epoch(set_before)
        elif set_after is not None:
            condition = key >= to_epoch(set_after)
        for item in TicketModel.by_status.query(status, condition):
            if sweep is not None and item.parked and sweep in item.parked:
                continue
            try:
                ticket = ticket_from_doc(self._texts.expand(item.doc), item.version)
            except Exception as exc:  # a stored document this code cannot read: the caller decides
                if unreadable is None:
                    raise
                unreadable(int(item.id), exc)
                continue
            yield ticket


def channel_account_store() -> DynamoRuleStore[ChannelAccount]:
    return DynamoRuleStore("channel_account", "channel account",
                           lambda doc: ChannelAccount.from_api(doc, id=int(doc["id"]),
                                                               now_iso=str(doc.get("updated_at") or "")))
