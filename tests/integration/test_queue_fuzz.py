"""Property-based: every queue-fed function, handed batches of generated records, either handles a record or
reports it as failed, and every failed record is logged at error level with its message id and its cause (so a
dead letter can always be traced to why it died). A record whose body is not a JSON object always fails.

The records start from what the pipeline really queues (read off the queues after one ticket's life through
the API), broken in a few places, besides bodies that are not JSON objects at all.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import DataObject

from tests.fuzz_inputs import broken, deeply_nested, json_values
from tests.support import LogLines, Pipeline, dynamodb_key_limits, make_email, sample, ses_receipt_event

FUZZ = settings(max_examples=25, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
QUEUE_OF = {"EmailIngestFunction": "SesInboundQueue", "TicketCreateFunction": "InboundQueue",
            "TriggerEvalFunction": "TriggerQueue", "NotifyFunction": "NotifyQueue",
            "CsatSurveyFunction": "SurveyQueue"}
NOT_OBJECTS = ("null", "[]", "42", '"x"', "true", "1.5", "[{}]", "", "{", "NaN", "\udcff", '{"a": 1}{')


@pytest.fixture(scope="module", autouse=True)
def strict_keys() -> Iterator[None]:
    """DynamoDB's key limits on reads too, as the real service has them."""
    with dynamodb_key_limits():
        yield


@pytest.fixture(scope="module")
def queued(module_pipeline: Pipeline) -> dict[str, list[Any]]:
    """What each function's queue really carries: one ticket mailed in, answered by an agent and solved."""
    p = module_pipeline
    p.json("POST", "/api/v2/triggers.json", json.loads(sample("api_trigger_acknowledge.json")), expect=201)
    p.email(make_email(message_id="fuzz-1@customer.example"))
    samples = {"InboundQueue": peek(p, "InboundQueue")}
    p.dispatcher.poll_once()  # ticket_create makes the ticket; its events wait on the rule queues
    p.json("PUT", "/api/v2/tickets/1.json", {"ticket": {"status": "solved", "comment": {"body": "Done."}}})
    for queue in ("TriggerQueue", "NotifyQueue", "SurveyQueue"):
        samples[queue] = peek(p, queue)
    samples["SesInboundQueue"] = [json.loads(ses_receipt_event("inbound/ses/fuzz")["Records"][0]["body"])]
    assert all(samples.values()), {queue: len(found) for queue, found in samples.items()}
    return samples


def peek(p: Pipeline, queue: str) -> list[Any]:
    """The bodies waiting on a queue, left there for whoever polls next."""
    found = p.sqs.receive_message(QueueUrl=p.queue_url(queue), MaxNumberOfMessages=10, VisibilityTimeout=0)
    return [json.loads(message["Body"]) for message in found.get("Messages", [])]


@st.composite
def record_bodies(draw: st.DrawFn, samples: list[Any]) -> str:
    choice = draw(st.integers(0, 5))
    if choice == 0:
        return draw(st.sampled_from(NOT_OBJECTS))
    if choice == 1:
        return json.dumps(draw(json_values))
    if choice == 2:
        return draw(st.sampled_from((40, 20_000)).flatmap(deeply_nested))
    return json.dumps(draw(broken(draw(st.sampled_from(samples)))), allow_nan=True)


def is_json_object(body: str) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except (ValueError, RecursionError):
        return False


def invoke(p: Pipeline, function: str, records: list[dict[str, Any]]) -> Any:
    from helpdesk.local.dispatcher import LambdaContext, function_environment

    with function_environment(p.stack, p.stack.functions[function]):
        return p.dispatcher.handlers[function]({"Records": records}, LambdaContext(function))


@pytest.mark.parametrize("function", sorted(QUEUE_OF))
@FUZZ
@given(data=st.data())
def test_every_record_is_handled_or_failed_with_its_cause_logged(module_pipeline: Pipeline,
                                                                 queued: dict[str, list[Any]], function: str,
                                                                 data: DataObject) -> None:
    bodies = data.draw(st.lists(record_bodies(queued[QUEUE_OF[function]]), min_size=1, max_size=3))
    ids = [str(uuid.uuid4()) for _ in bodies]
    records = [{"messageId": message_id, "receiptHandle": "r", "body": body, "md5OfBody": "",
                "attributes": {"MessageGroupId": data.draw(st.sampled_from(("a", "b"))),
                               "ApproximateReceiveCount": "1"},
                "messageAttributes": {}, "eventSource": "aws:sqs", "awsRegion": "us-east-1",
                "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{QUEUE_OF[function]}"}
               for message_id, body in zip(ids, bodies, strict=True)]
    with LogLines() as log:
        response = invoke(module_pipeline, function, records)
    failed = {failure["itemIdentifier"] for failure in response["batchItemFailures"]}
    assert failed <= set(ids)
    causes = {line["message_id"]: line.get("cause") for line in log.lines()
              if line.get("level") == "ERROR" and line.get("message_id") in ids}
    for message_id, body in zip(ids, bodies, strict=True):
        if not is_json_object(body):
            assert message_id in failed, body[:200]
        if message_id in failed:
            assert causes.get(message_id), (body[:300], log.lines()[-3:])
