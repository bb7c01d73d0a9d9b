"""Webhooks on the rules table (kind ``webhook``), their recent invocations on the directory table, and the
trigger writes the rule repository lacks (delete, reorder)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactWrite

from helpdesk.adapters.dynamo.models import DirectoryModel, RuleModel
from helpdesk.domain.errors import NotFound
from helpdesk.domain.triggers import Trigger
from helpdesk.domain.webhooks import Webhook
from helpdesk.ports import TriggerStore, WebhookRepository

KIND = "webhook"
KEPT_INVOCATIONS = 50
TRANSACTION_ITEMS = 100  # DynamoDB's limit per TransactWriteItems


class DynamoWebhookRepository(WebhookRepository):
    def webhooks(self) -> list[Webhook]:
        return sorted((Webhook.from_doc(item.doc) for item in RuleModel.query(KIND)), key=lambda w: w.id)

    def get(self, webhook_id: int) -> Webhook:
        try:
            return Webhook.from_doc(RuleModel.get(KIND, webhook_id, consistent_read=True).doc)
        except DoesNotExist as exc:
            raise NotFound(f"webhook {webhook_id} does not exist") from exc

    def put(self, webhook: Webhook) -> None:
        RuleModel(KIND, webhook.id, doc=webhook.to_doc()).save()

    def delete(self, webhook_id: int) -> None:
        RuleModel(KIND, webhook_id).delete()

    def record_invocation(self, webhook_id: int, invocation_id: str, record: Mapping[str, Any]) -> None:
        """The last invocations of a webhook, newest first, on one item (a log: a lost race loses one line)."""
        key = f"webhook_invocations#{webhook_id}"
        try:
            kept = list((DirectoryModel.get(key).doc or {}).get("invocations") or [])
        except DoesNotExist:
            kept = []
        kept = [{"id": invocation_id, **record}, *(i for i in kept if i.get("id") != invocation_id)]
        DirectoryModel(key, doc={"invocations": kept[:KEPT_INVOCATIONS]}).save()

    def invocations(self, webhook_id: int, limit: int = 100) -> list[dict[str, Any]]:
        try:
            item = DirectoryModel.get(f"webhook_invocations#{webhook_id}", consistent_read=True)
        except DoesNotExist:
            return []
        return [dict(i) for i in (item.doc or {}).get("invocations") or []][:limit]


class DynamoTriggerStore(TriggerStore):
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def delete_trigger(self, trigger_id: int) -> None:
        RuleModel("trigger", trigger_id).delete()

    def put_triggers(self, triggers: Sequence[Trigger]) -> None:
        """All or nothing per 100 triggers (one transaction each)."""
        for start in range(0, len(triggers), TRANSACTION_ITEMS):
            with TransactWrite(connection=self._connection) as transaction:
                for trigger in triggers[start:start + TRANSACTION_ITEMS]:
                    transaction.save(RuleModel("trigger", trigger.id, position=trigger.position, doc=asdict(trigger)))
