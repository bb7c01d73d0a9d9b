"""Provision the translated template.yaml into moto (server mode and in-process) and check the wiring."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from helpdesk.local.provision import (
    LocalStack,
    Schedule,
    UnsupportedTemplate,
    provision,
    schedule_every_minutes,
)
from helpdesk.local.template import load_sam_template, translate_offline

REGION = "us-east-1"
ClientFactory = Callable[[str], Any]


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def translated() -> dict[str, Any]:
    return translate_offline(load_sam_template(repo_root() / "template.yaml"))


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def client(endpoint: str) -> ClientFactory:
    def make(service: str) -> Any:
        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return make


@pytest.fixture
def stack(endpoint: str, translated: dict[str, Any]) -> LocalStack:
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass
    return provision(translated, endpoint_url=endpoint)


def drain_bodies(sqs: Any, queue_url: str) -> list[str]:
    bodies: list[str] = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def drain(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """The EventBridge envelopes waiting in a queue."""
    return [json.loads(body) for body in drain_bodies(sqs, queue_url)]


def test_tables_have_their_keys_indexes_and_ttl(stack: LocalStack, client: ClientFactory) -> None:
    dynamodb = client("dynamodb")
    tickets = dynamodb.describe_table(TableName=stack.resources["TicketsTable"])["Table"]
    assert [k["AttributeName"] for k in tickets["KeySchema"]] == ["id"]
    indexes = {i["IndexName"]: [k["AttributeName"] for k in i["KeySchema"]] for i in tickets["GlobalSecondaryIndexes"]}
    assert indexes == {
        "sla_due": ["sla_bucket", "sla_due_at"],
        "survey_due": ["survey_bucket", "survey_due_at"],
        "by_updated": ["list_bucket", "updated_at"],
        "by_status": ["status", "status_updated_at"],
        "by_assignee": ["assignee_key", "status"],
        "by_requester": ["requester_key", "updated_at"],
        "by_organization": ["organization_key", "updated_at"],
        "by_external_id": ["external_key", "updated_at"],
        "by_rating": ["rating_score", "rating_at"],
    }
    activity = dynamodb.describe_table(TableName=stack.resources["ActivityTable"])["Table"]
    assert [k["AttributeName"] for k in activity["KeySchema"]] == ["ticket_id", "sk"]
    rules = dynamodb.describe_table(TableName=stack.resources["RulesTable"])["Table"]
    assert [k["AttributeName"] for k in rules["KeySchema"]] == ["kind", "id"]
    ttl = dynamodb.describe_time_to_live(TableName=stack.resources["DirectoryTable"])["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    assert stack.env["TICKETS_TABLE"] == stack.resources["TicketsTable"]


def test_queues_redrive_to_their_dead_letter_queues(stack: LocalStack, client: ClientFactory) -> None:
    sqs = client("sqs")
    for queue in ("InboundQueue", "TriggerQueue", "NotifyQueue", "SurveyQueue"):
        dlq = queue.replace("Queue", "DeadLetterQueue")
        attributes = sqs.get_queue_attributes(QueueUrl=stack.resources[queue], AttributeNames=["All"])["Attributes"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=stack.resources[dlq], AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        redrive = json.loads(attributes["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"] == dlq_arn
        assert int(redrive["maxReceiveCount"]) == 5
        assert attributes["VisibilityTimeout"] == "180"


def test_a_failing_message_ends_in_the_dead_letter_queue(stack: LocalStack, client: ClientFactory) -> None:
    sqs = client("sqs")
    queue = stack.resources["TriggerQueue"]
    sqs.send_message(QueueUrl=queue, MessageBody="poison")
    for _ in range(5):
        assert sqs.receive_message(QueueUrl=queue, VisibilityTimeout=0).get("Messages")
    assert not sqs.receive_message(QueueUrl=queue, VisibilityTimeout=0).get("Messages")
    dead = sqs.receive_message(QueueUrl=stack.resources["TriggerDeadLetterQueue"]).get("Messages", [])
    assert [m["Body"] for m in dead] == ["poison"]


def test_inbound_queue_is_fifo(stack: LocalStack, client: ClientFactory) -> None:
    sqs = client("sqs")
    url = stack.env["INBOUND_QUEUE_URL"]
    assert url == stack.resources["InboundQueue"] and url.endswith(".fifo")
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["FifoQueue"] == "true"
    assert attributes["ContentBasedDeduplication"] == "false"
    for _ in range(2):
        sqs.send_message(QueueUrl=url, MessageBody="m", MessageGroupId="thread-1", MessageDeduplicationId="d-1")
    assert drain_bodies(sqs, url) == ["m"]


FUNCTIONS = {
    "ApiFunction",
    "EmailIngestFunction",
    "TicketCreateFunction",
    "TriggerEvalFunction",
    "NotifyFunction",
    "CsatSurveyFunction",
    "SlaEscalationFunction",
    "AutomationsFunction",
    "MessagingIngestFunction",
    "MessagingSendFunction",
    "MessagingMediaFunction",
}
ROUTED_QUEUES = ("TriggerQueue", "NotifyQueue", "SurveyQueue", "MessagingOutboundQueue", "MessagingMediaQueue")


@pytest.mark.parametrize(
    ("detail_type", "extra", "queue"),
    [
        ("TicketCreated", {}, "TriggerQueue"),
        ("TicketUpdated", {}, "TriggerQueue"),
        ("ReplyPosted", {"messaging": False}, "NotifyQueue"),  # an email ticket's reply goes by mail
        ("ReplyPosted", {"messaging": True}, "MessagingOutboundQueue"),  # a chat's, on its channel
        ("NotificationRequested", {}, "NotifyQueue"),
        ("NotificationRequested", {"messaging": False}, "NotifyQueue"),
        ("NotificationRequested", {"messaging": True}, "MessagingOutboundQueue"),  # to a chat's requester
        ("WebhookRequested", {}, "NotifyQueue"),
        ("TicketSolved", {}, "SurveyQueue"),
        ("MediaRequested", {}, "MessagingMediaQueue"),
    ],
)
def test_bus_rules_deliver_to_their_queue(
    stack: LocalStack, client: ClientFactory, detail_type: str, extra: dict[str, bool], queue: str
) -> None:
    sqs = client("sqs")
    result = client("events").put_events(
        Entries=[
            {
                "Source": "helpdesk",
                "DetailType": detail_type,
                "Detail": json.dumps({"version": "1", "ticket_id": 42, **extra}),
                "EventBusName": stack.env["EVENT_BUS_NAME"],
            }
        ]
    )
    assert result["FailedEntryCount"] == 0
    received = {name: drain(sqs, stack.resources[name]) for name in ROUTED_QUEUES}
    delivered = received.pop(queue)
    assert [(e["detail-type"], e["detail"]["ticket_id"]) for e in delivered] == [(detail_type, 42)]
    assert received == {name: [] for name in received}


def test_events_from_another_source_are_not_routed(stack: LocalStack, client: ClientFactory) -> None:
    client("events").put_events(
        Entries=[
            {
                "Source": "somebody-else",
                "DetailType": "TicketCreated",
                "Detail": "{}",
                "EventBusName": stack.env["EVENT_BUS_NAME"],
            }
        ]
    )
    assert drain(client("sqs"), stack.resources["TriggerQueue"]) == []


def test_secret_bucket_and_sender_identity(stack: LocalStack, client: ClientFactory) -> None:
    secret = client("secretsmanager").get_secret_value(SecretId=stack.env["SURVEY_SECRET_ARN"])["SecretString"]
    assert len(secret) == 48 and secret.isalnum()
    client("s3").head_bucket(Bucket=stack.env["RAW_MAIL_BUCKET"])
    assert stack.env["RAW_MAIL_BUCKET"] == stack.resources["RawMailBucket"]
    identities = client("ses").list_identities()["Identities"]
    assert stack.env["SENDER_ADDRESS"] in identities


def test_functions_sources_and_schedules(stack: LocalStack) -> None:
    functions = stack.functions
    assert set(functions) == FUNCTIONS
    assert functions["ApiFunction"].code_uri == "functions/api"
    assert functions["ApiFunction"].handler == "app.app"
    assert functions["TicketCreateFunction"].code_uri == "functions/ticket_create"
    assert functions["TicketCreateFunction"].handler == "handler.handler"
    sources = {name: [s.queue_url for s in f.sqs_sources] for name, f in functions.items() if f.sqs_sources}
    assert sources == {
        "EmailIngestFunction": [stack.resources["SesInboundQueue"]],
        "TicketCreateFunction": [stack.resources["InboundQueue"]],
        "TriggerEvalFunction": [stack.resources["TriggerQueue"]],
        "NotifyFunction": [stack.resources["NotifyQueue"]],
        "CsatSurveyFunction": [stack.resources["SurveyQueue"]],
        "MessagingIngestFunction": [stack.resources["MessagingInboundQueue"]],
        "MessagingSendFunction": [stack.resources["MessagingOutboundQueue"]],
        "MessagingMediaFunction": [stack.resources["MessagingMediaQueue"]],
    }
    for function in functions.values():
        for source in function.sqs_sources:
            assert source.batch_size == 10
            assert source.report_batch_item_failures
    assert {name for name, f in functions.items() if f.serves_api} == {"ApiFunction"}
    assert not [f for f in functions.values() if f.s3_sources]  # SES notifies through SNS -> SQS, not S3 events
    assert functions["TicketCreateFunction"].env["RAW_MAIL_BUCKET"] == stack.resources["RawMailBucket"]
    schedules = {name: f.schedules for name, f in functions.items() if f.schedules}
    assert schedules == {
        "SlaEscalationFunction": [Schedule("rate(1 minute)", 1)],
        "AutomationsFunction": [Schedule("rate(1 hour)", 60)],
        "CsatSurveyFunction": [Schedule("rate(5 minutes)", 5)],
    }


def test_environment_is_resolved(stack: LocalStack) -> None:
    env = stack.env
    assert env["EVENT_BUS_NAME"] == stack.resources["HelpdeskBus"] == "helpdesk-local-bus"
    assert env["STAGE"] == "dev"
    assert env["SENDER_ADDRESS"] == "support@example.com"
    assert env["SURVEY_DELAY_MINUTES"] == "1440"
    assert env["POWERTOOLS_SERVICE_NAME"] == "helpdesk"
    assert env["LOG_LEVEL"] == "INFO"
    assert env["RAW_MAIL_BUCKET"] == "helpdesk-dev-raw-mail-123456789012-us-east-1"
    assert env["PUBLIC_API_URL"].startswith("https://") and env["PUBLIC_API_URL"].endswith("/dev")
    assert not any("${" in value for value in env.values())


def test_provisioning_again_finds_the_same_resources(
    stack: LocalStack, endpoint: str, translated: dict[str, Any]
) -> None:
    assert provision(translated, endpoint_url=endpoint) == stack


def test_parameter_overrides_reach_the_environment(endpoint: str, translated: dict[str, Any]) -> None:
    overridden = provision(
        translated, endpoint_url=endpoint, parameter_overrides={"Stage": "test", "LogLevel": "DEBUG"}
    )
    assert overridden.env["STAGE"] == "test"
    assert overridden.env["LOG_LEVEL"] == "DEBUG"
    assert overridden.env["RAW_MAIL_BUCKET"] == "helpdesk-test-raw-mail-123456789012-us-east-1"


def test_provisions_in_process_without_an_endpoint(translated: dict[str, Any]) -> None:
    with mock_aws():
        stack = provision(translated)
        sqs = boto3.client("sqs", region_name=REGION)
        boto3.client("events", region_name=REGION).put_events(
            Entries=[
                {
                    "Source": "helpdesk",
                    "DetailType": "TicketSolved",
                    "Detail": json.dumps({"ticket_id": 7}),
                    "EventBusName": stack.env["EVENT_BUS_NAME"],
                }
            ]
        )
        assert [e["detail"]["ticket_id"] for e in drain(sqs, stack.resources["SurveyQueue"])] == [7]
        assert len(stack.functions) == len(FUNCTIONS)


def test_schedule_expressions() -> None:
    assert schedule_every_minutes("rate(1 minute)") == 1
    assert schedule_every_minutes("rate(5 minutes)") == 5
    assert schedule_every_minutes("rate(2 hours)") == 120
    assert schedule_every_minutes("rate(1 day)") == 1440
    with pytest.raises(UnsupportedTemplate):
        schedule_every_minutes("cron(0 12 * * ? *)")
