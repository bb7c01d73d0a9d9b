"""sqs_batch: every record it reports as failed is logged at error level with its message id and its cause,
whatever the body (a dead letter can always be traced to why it died)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from helpdesk.entrypoints import SKIPPED, sqs_batch, sqs_batch_attempts
from tests.support import LogLines


def _event(*bodies: str, group: str | None = None) -> dict[str, Any]:
    return {"Records": [
        {"messageId": f"m-{number}", "receiptHandle": "r", "body": body, "md5OfBody": "", "eventSource": "aws:sqs",
         "attributes": {"MessageGroupId": group or f"g-{number}"}, "messageAttributes": {},
         "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q", "awsRegion": "us-east-1"}
        for number, body in enumerate(bodies)]}


def _errors(log: LogLines) -> dict[str, str]:
    return {line["message_id"]: line["cause"] for line in log.lines() if line["level"] == "ERROR"}


@pytest.mark.parametrize(("body", "cause"), [
    ("null", "JSON NoneType, not an object"), ("[]", "JSON list, not an object"), ("42", "JSON int, not an object"),
    ('"x"', "JSON str, not an object"), ("{", "not valid JSON"), ("[" * 5000, "more than 20 levels deep"),
    ('{"ticket_id": NaN}', "NaN is not a JSON value"),
])
@pytest.mark.parametrize("fifo", [False, True])
def test_a_body_that_is_no_json_object_fails_with_its_cause_logged(body: str, cause: str, fifo: bool) -> None:
    handled: list[dict[str, Any]] = []
    with LogLines() as log:
        response = sqs_batch(_event(body, '{"ticket_id": "3"}'), None, handled.append, fifo=fifo)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}
    assert handled == [{"ticket_id": "3"}]
    errors = _errors(log)
    assert list(errors) == ["m-0"] and cause in errors["m-0"]


def test_a_handler_failure_is_logged_with_the_ticket_and_the_exception() -> None:
    def fail(body: dict[str, Any]) -> None:
        raise LookupError(f"ticket {body['detail']['ticket_id']} is gone")

    with LogLines() as log:
        response = sqs_batch(_event(json.dumps({"detail": {"ticket_id": 7}})), None, fail)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}
    [line] = [line for line in log.lines() if line["level"] == "ERROR"]
    assert (line["message_id"], line["ticket_id"], line["cause"]) == ("m-0", 7, "LookupError: ticket 7 is gone")
    assert "LookupError" in line["exception"]


@pytest.mark.parametrize("ticket_id", ["²", "٣", "9" * 5000, True, [1], None])
def test_an_odd_ticket_id_is_no_ticket_id_and_no_crash(ticket_id: Any) -> None:
    with LogLines() as log:
        response = sqs_batch(_event(json.dumps({"ticket_id": ticket_id})), None, lambda body: None)
    assert response == {"batchItemFailures": []}
    assert _errors(log) == {}


def test_records_skipped_behind_a_failure_in_their_fifo_group_say_so() -> None:
    handled: list[dict[str, Any]] = []
    with LogLines() as log:
        response = sqs_batch(_event("[]", '{"a": 1}', group="thread"), None, handled.append, fifo=True)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-0"}, {"itemIdentifier": "m-1"}]}
    assert handled == []
    errors = _errors(log)
    assert "not an object" in errors["m-0"] and errors["m-1"] == SKIPPED


@pytest.mark.parametrize(("count", "attempt"), [("1", 1), ("4", 4), ("", 1), ("x", 1), (None, 1), ("0", 1)])
def test_a_handler_that_counts_attempts_gets_the_records_receive_count(count: str | None, attempt: int) -> None:
    event = _event('{"ticket_id": 3}')
    if count is not None:
        event["Records"][0]["attributes"]["ApproximateReceiveCount"] = count
    seen: list[tuple[dict[str, Any], int]] = []
    response = sqs_batch_attempts(event, None, lambda body, attempt: seen.append((body, attempt)))
    assert response == {"batchItemFailures": []}
    assert seen == [({"ticket_id": 3}, attempt)]


def test_a_handler_that_counts_attempts_reports_its_failures_with_their_cause() -> None:
    def fail(body: dict[str, Any], attempt: int) -> None:
        raise TimeoutError(f"attempt {attempt}")

    event = _event('{"ticket_id": 3}')
    event["Records"][0]["attributes"]["ApproximateReceiveCount"] = "2"
    with LogLines() as log:
        response = sqs_batch_attempts(event, None, fail)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}
    assert _errors(log) == {"m-0": "TimeoutError: attempt 2"}
