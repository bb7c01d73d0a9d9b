"""The local emulation's cheaper TransactWriteItems behaves as moto's own (and DynamoDB's): each scenario runs
against stock moto and against the fix, and both must give the same answers and leave the same items."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError


@pytest.fixture(params=["moto", "fixed"])
def dynamodb(request: pytest.FixtureRequest, aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import boto3
    from moto import mock_aws
    from moto.dynamodb.models import DynamoDBBackend

    from helpdesk.local import emulation_fixes

    if request.param == "fixed":
        monkeypatch.setattr(DynamoDBBackend, "transact_write_items", emulation_fixes._transact_write_items)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName="t", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            BillingMode="PAY_PER_REQUEST")
        client.create_table(TableName="r", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                                      {"AttributeName": "sk", "KeyType": "RANGE"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                  {"AttributeName": "sk", "AttributeType": "S"}],
                            BillingMode="PAY_PER_REQUEST")
        client.put_item(TableName="t", Item={"pk": {"S": "a"}, "v": {"N": "1"}})
        client.put_item(TableName="r", Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "v": {"N": "1"}})
        yield client


def _items(client: Any) -> dict[str, list[dict[str, Any]]]:
    return {name: sorted(client.scan(TableName=name)["Items"], key=str) for name in ("t", "r")}


def _outcome(client: Any, items: list[dict[str, Any]]) -> Any:
    try:
        client.transact_write_items(TransactItems=items)
        return "ok"
    except ClientError as error:
        reasons = error.response.get("CancellationReasons")
        return error.response["Error"]["Code"], [(r.get("Code"), r.get("Item")) for r in reasons or []]


def _put(table: str, pk: str, **extra: Any) -> dict[str, Any]:
    item = {"pk": {"S": pk}, **({"sk": {"S": "1"}} if table == "r" else {}), "v": {"N": "2"}, **extra}
    return {"Put": {"TableName": table, "Item": item}}


CASES: dict[str, list[dict[str, Any]]] = {
    "all applied": [
        _put("t", "b"),
        {"Update": {"TableName": "t", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "ADD v :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"Delete": {"TableName": "r", "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}}}},
    ],
    "a condition fails: nothing written": [
        _put("t", "b"),
        {"Update": {"TableName": "t", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET v = :two",
                    "ConditionExpression": "v = :nine", "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    "ExpressionAttributeValues": {":two": {"N": "2"}, ":nine": {"N": "9"}}}},
    ],
    "a condition check fails": [
        _put("r", "b"),
        {"ConditionCheck": {"TableName": "t", "Key": {"pk": {"S": "a"}},
                            "ConditionExpression": "attribute_not_exists(pk)"}},
    ],
    "an item too large, after one applied: rolled back": [
        {"Update": {"TableName": "t", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET v = :two",
                    "ExpressionAttributeValues": {":two": {"N": "2"}}}},
        _put("r", "a", big={"S": "x" * 420_000}),
    ],
    "the same item twice": [_put("t", "b"), _put("t", "b")],
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_fix_answers_and_writes_as_moto_does(dynamodb: Any, case: str) -> None:
    outcome = _outcome(dynamodb, CASES[case])
    after = _items(dynamodb)
    expected = EXPECTED[case]
    assert outcome == expected["outcome"]
    assert after == expected["items"]


_A = {"pk": {"S": "a"}, "v": {"N": "1"}}
_RA = {"pk": {"S": "a"}, "sk": {"S": "1"}, "v": {"N": "1"}}
EXPECTED: dict[str, dict[str, Any]] = {
    "all applied": {"outcome": "ok", "items": {
        "t": sorted([{"pk": {"S": "a"}, "v": {"N": "2"}}, {"pk": {"S": "b"}, "v": {"N": "2"}}], key=str), "r": []}},
    "a condition fails: nothing written": {
        "outcome": ("TransactionCanceledException", [("None", None), ("ConditionalCheckFailed", _A)]),
        "items": {"t": [_A], "r": [_RA]}},
    "a condition check fails": {
        "outcome": ("TransactionCanceledException", [("None", None), ("ConditionalCheckFailed", None)]),
        "items": {"t": [_A], "r": [_RA]}},
    "an item too large, after one applied: rolled back": {  # DynamoDB refuses the request as a whole
        "outcome": ("ValidationException", []), "items": {"t": [_A], "r": [_RA]}},
    "the same item twice": {"outcome": ("ValidationException", []), "items": {"t": [_A], "r": [_RA]}},
}


def test_a_transaction_copies_the_items_it_touches_not_the_tables(dynamodb: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import Item

    from helpdesk.local import emulation_fixes

    for index in range(300):
        dynamodb.put_item(TableName="t", Item={"pk": {"S": f"k{index}"}, "v": {"N": "1"}})
    copies: list[Any] = []
    original = Item.__deepcopy__

    def counted(self: Any, memo: Any) -> Any:
        copies.append(self)
        return original(self, memo)

    monkeypatch.setattr(Item, "__deepcopy__", counted)
    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", emulation_fixes._transact_write_items)
    assert _outcome(dynamodb, CASES["all applied"]) == "ok"
    assert len(copies) <= 3  # one per item written (moto itself copies all 301 items of "t" and the item of "r")
