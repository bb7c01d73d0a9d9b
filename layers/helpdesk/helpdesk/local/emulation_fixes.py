"""Two costs of moto that grow with the data kept, removed inside the local stack's emulation process only.

1. ``TransactWriteItems`` deep-copies every table it touches before it starts, to roll back on failure: each
   ticket write cost O(all tickets, comments and users kept), 40% of the emulation's time after a few hundred
   tickets and rising. Here a transaction checks every condition first (nothing is written if one fails, as
   DynamoDB does), then applies its operations keeping a copy of each item it changes, and puts those back if an
   operation fails half-way (an item over 400 KB, say). The result is the same; the cost is the items touched.
   The emulation serves one request at a time (``SerialisedApp``), so nothing reads a half-applied transaction.
2. EventBridge's input paths are parsed with a fresh jsonpath parser (a yacc table build) for every target of
   every event; parsed paths are kept.

Both are checked against moto's own behaviour in ``tests/integration/test_emulation_fixes.py``.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

_applied = False


def apply() -> None:
    """Install both fixes (idempotent); call before the emulation serves requests."""
    global _applied
    if _applied:
        return
    import jsonpath_ng.ext
    from moto.dynamodb.models import DynamoDBBackend

    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
    paths: Any = jsonpath_ng.ext  # moto imports ``parse`` from here at each call
    paths.parse = functools.lru_cache(maxsize=256)(paths.parse)
    _applied = True


def _key_of(table: Any, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    attrs = op["Item"]
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


class _ConditionFailed(Exception):
    def __init__(self, item: dict[str, Any] | None) -> None:
        super().__init__("The conditional request failed")
        self.item = item


def _check(backend: Any, op: dict[str, Any], key: dict[str, Any]) -> None:
    """Check the operation's condition against the item as it is now (raises _ConditionFailed)."""
    from moto.dynamodb.comparisons import get_filter_expression

    current = backend.get_item(op["TableName"], key)
    condition = op.get("ConditionExpression")
    if condition is not None:
        check = get_filter_expression(condition, op.get("ExpressionAttributeNames"),
                                      op.get("ExpressionAttributeValues"))
        if not check.expr(current):
            old = None
            if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                old = current.to_json()["Attributes"]
            raise _ConditionFailed(old)


def _apply(backend: Any, op_type: str, op: dict[str, Any], key: dict[str, Any]) -> None:
    names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    if op_type == "Put":
        backend.put_item(op["TableName"], op["Item"], expression_attribute_names=names,
                         expression_attribute_values=values)
    elif op_type == "Delete":
        backend.delete_item(op["TableName"], key, expression_attribute_names=names,
                            expression_attribute_values=values)
    elif op_type == "Update":
        backend.update_item(op["TableName"], key, update_expression=op["UpdateExpression"],
                            expression_attribute_names=names, expression_attribute_values=values)


def _restore(table: Any, key: dict[str, Any], before: Any) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    hash_value = DynamoType(key[table.hash_key_attr])
    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr is not None else None
    if before is None:
        table.delete_item(hash_value, range_value)
    elif range_value is None:
        table.items[hash_value] = before
    else:
        table.items[hash_value][range_value] = before


Plan = list[tuple[str, dict[str, Any], dict[str, Any]]]  # (operation, its request, the item's key)


def _transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    from moto.dynamodb.exceptions import TooManyTransactionsException

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    _write(self, _plan(self, transact_items))


def _plan(backend: Any, transact_items: list[dict[str, Any]]) -> Plan:
    """Every operation checked against the items as they are; cancelled as a whole if one fails."""
    from moto.dynamodb.exceptions import (
        MockValidationException,
        MultipleTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    targets: set[tuple[str, str]] = set()
    plan: Plan = []
    errors: list[tuple[Any, Any, Any]] = []
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        try:
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")
            key = _key_of(backend.get_table(op["TableName"]), op_type, op)
            target = (str(op["TableName"]), str(dict(sorted(key.items()))))
            if target in targets:
                raise MultipleTransactionsException()
            targets.add(target)
            _check(backend, op, key)
            plan.append((op_type, op, key))
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            raise
        except _ConditionFailed as failed:
            errors.append(("ConditionalCheckFailed", str(failed), failed.item))
        except Exception as failed:  # as moto: any other problem cancels the transaction with its name
            errors.append((type(failed).__name__, str(failed), None))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)
    return plan


def _write(backend: Any, plan: Plan) -> None:
    """Apply the operations in order; if one fails, put back every item changed so far."""
    from moto.dynamodb.exceptions import MockValidationException, TransactionCanceledException

    done: list[tuple[Any, dict[str, Any], Any]] = []
    for index, (op_type, op, key) in enumerate(plan):
        table = backend.get_table(op["TableName"])
        before = copy.deepcopy(backend.get_item(op["TableName"], key))
        try:
            _apply(backend, op_type, op, key)
        except Exception as failed:
            for changed_table, changed_key, previous in [(table, key, before), *reversed(done)]:
                _restore(changed_table, changed_key, previous)
            if isinstance(failed, MockValidationException):
                raise
            reasons: list[tuple[Any, Any, Any]] = [(None, None, None)] * len(plan)
            reasons[index] = (type(failed).__name__, str(failed), None)
            raise TransactionCanceledException(reasons) from failed
        done.append((table, key, before))
