"""Rule statistics on the directory table: one counter item per rule and day, and rule deletion for imports.

A firing is one UpdateItem on ``stat#<kind>#<rule id>#d<epoch day>`` that adds 1 to the attribute
``h<epoch hour>`` (TTL 8 days after the day ends). Reading the usage of N rules over H hours is N x (H / 24 + 1)
keys in BatchGetItem requests of 100 keys: 8 keys a rule for Zendesk's 7-day window, where one item an hour took
168.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pynamodb.attributes import NumberAttribute
from pynamodb.expressions.operand import Path

from helpdesk.adapters.dynamo.models import DirectoryModel, RuleModel
from helpdesk.domain.inputs import ascii_digits
from helpdesk.domain.rule_stats import HOURS_A_DAY, expires_at
from helpdesk.ports import RuleRemover, RuleStatistics

BATCH_KEYS = 100  # DynamoDB's limit per BatchGetItem


def day_key(kind: str, rule_id: int, day: int) -> str:
    return f"stat#{kind}#{rule_id}#d{day}"


def _hour_attribute(hour: int) -> Path:
    attribute = NumberAttribute(attr_name=f"h{hour}")
    attribute.attr_name = f"h{hour}"  # a counter per hour of the day item; not a declared model attribute
    return Path(attribute)


def _rule_of(key: str) -> int:
    return int(key.split("#")[2])


class DynamoRuleStatistics(RuleStatistics):
    def record(self, kind: str, rule_ids: Sequence[int], hour: int) -> None:
        day = hour // HOURS_A_DAY
        for rule_id in rule_ids:
            DirectoryModel(day_key(kind, rule_id, day)).update(actions=[
                _hour_attribute(hour).add(1), DirectoryModel.expires_at.set(expires_at(day * HOURS_A_DAY + 23)),
            ])

    def hourly(self, kind: str, rule_ids: Sequence[int], hours: Sequence[int]) -> dict[int, dict[int, int]]:
        counts: dict[int, dict[int, int]] = {rule_id: {} for rule_id in rule_ids}
        wanted = set(hours)
        days = dict.fromkeys(hour // HOURS_A_DAY for hour in hours)
        keys = [{"pk": {"S": day_key(kind, r, d)}} for r in dict.fromkeys(rule_ids) for d in days]
        for item in _batch_get(keys):
            rule_id = _rule_of(item["pk"]["S"])
            for name, value in item.items():
                if name.startswith("h") and ascii_digits(name[1:]) and int(name[1:]) in wanted:
                    counts[rule_id][int(name[1:])] = int(value["N"])
        return counts


def _batch_get(keys: list[dict[str, Any]]) -> list[Mapping[str, Any]]:
    """Raw items (the hour counters are not model attributes), unprocessed keys asked again."""
    connection = DirectoryModel._get_connection()  # the table connection PynamoDB's own batch_get uses
    table = connection.table_name
    found: list[Mapping[str, Any]] = []
    for start in range(0, len(keys), BATCH_KEYS):
        pending: list[Any] = keys[start:start + BATCH_KEYS]
        while pending:
            answer = connection.batch_get_item(pending)
            found += answer.get("Responses", {}).get(table, [])
            pending = answer.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
    return found


class DynamoRuleRemover(RuleRemover):
    def remove(self, kind: str, rule_id: int) -> None:
        RuleModel(kind, rule_id).delete()
