"""Rule statistics on the directory table: one counter item per rule and hour, and rule deletion for imports.

A firing is one UpdateItem on ``stat#<kind>#<rule id>#<epoch hour>`` (ADD 1, TTL 8 days after the hour);
reading the usage of N rules over H hours is N x H keys in BatchGetItem requests of 100 keys.
"""

from __future__ import annotations

from collections.abc import Sequence

from helpdesk.adapters.dynamo.models import DirectoryModel, RuleModel
from helpdesk.domain.rule_stats import expires_at
from helpdesk.ports import RuleRemover, RuleStatistics

BATCH_KEYS = 100  # DynamoDB's limit per BatchGetItem


def bucket_key(kind: str, rule_id: int, hour: int) -> str:
    return f"stat#{kind}#{rule_id}#{hour}"


def _parse(key: str) -> tuple[int, int]:
    _, _, rule_id, hour = key.split("#")
    return int(rule_id), int(hour)


class DynamoRuleStatistics(RuleStatistics):
    def record(self, kind: str, rule_ids: Sequence[int], hour: int) -> None:
        for rule_id in rule_ids:
            DirectoryModel(bucket_key(kind, rule_id, hour)).update(actions=[
                DirectoryModel.value.add(1), DirectoryModel.expires_at.set(expires_at(hour)),
            ])

    def hourly(self, kind: str, rule_ids: Sequence[int], hours: Sequence[int]) -> dict[int, dict[int, int]]:
        counts: dict[int, dict[int, int]] = {rule_id: {} for rule_id in rule_ids}
        keys = [bucket_key(kind, r, h) for r in dict.fromkeys(rule_ids) for h in dict.fromkeys(hours)]
        for start in range(0, len(keys), BATCH_KEYS):
            # PynamoDB's batch_get retries the unprocessed keys DynamoDB hands back
            for item in DirectoryModel.batch_get(keys[start:start + BATCH_KEYS], attributes_to_get=["pk", "value"]):
                rule_id, hour = _parse(item.pk)
                counts[rule_id][hour] = int(item.value or 0)
        return counts


class DynamoRuleRemover(RuleRemover):
    def remove(self, kind: str, rule_id: int) -> None:
        RuleModel(kind, rule_id).delete()
