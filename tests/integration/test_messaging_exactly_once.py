"""The same WhatsApp, Messenger and Twilio message, delivered again and again, is one comment; a message whose
first handling crashed before anything was written still arrives.

Providers deliver at least once and the queue does too, so one message reaches the ingest function several times:
twice in one webhook body (Meta batches; Twilio posts it again), again after SQS's five-minute de-duplication
window (a copy queued under another de-duplication id, in the same batch), again when the function's
acknowledgement is lost (the record is not deleted and comes back), and again when the function crashed between
the write and the acknowledgement (the publish after the transaction fails: the email path's fault, reused). A
crash *before* the write (the transaction fails once) must not lose the message: nothing is claimed before the
write, so the retry writes it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.messaging_scenarios import (
    comments,
    messenger,
    messenger_body,
    messenger_message,
    tickets,
    twilio,
    twilio_sms,
)
from tests.integration.messaging_support import Chat, whatsapp_body, whatsapp_message
from tests.support import LogLines, Pipeline

SID = "SM" + "7e" * 16
PROVIDERS = ("whatsapp", "messenger", "twilio")


def deliver(chat: Chat, provider: str) -> None:
    """The provider's webhook with the message in it twice (Meta: one body; Twilio: two posts)."""
    if provider == "whatsapp":
        value = whatsapp_message("My parcel has not arrived", "wamid.ONCE")
        chat.whatsapp(whatsapp_body(value, value))
    elif provider == "messenger":
        event = messenger_message("My parcel has not arrived", "mid.ONCE")
        messenger(chat, messenger_body(event, event))
    else:
        for _ in range(2):
            twilio(chat, twilio_sms("My parcel has not arrived", SID))


def requeue_after_dedup_window(p: Pipeline) -> None:
    """Another copy of each queued item, as the provider's redelivery after SQS's de-duplication window: same
    body and group, another de-duplication id, in the same batch as the first."""
    url = p.queue_url("MessagingInboundQueue")
    found = p.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert found, "the webhook queued nothing"
    for message in found:
        group = message["Attributes"]["MessageGroupId"]
        p.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
        p.sqs.send_message(QueueUrl=url, MessageBody=message["Body"], MessageGroupId=group,
                           MessageDeduplicationId=f"later-{message['MessageId']}")


def lose_the_first_acknowledgement(p: Pipeline, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The first record the ingest function finishes is not deleted: it comes back, as after a timeout."""
    url, real = p.queue_url("MessagingInboundQueue"), p.sqs.delete_message
    lost: list[str] = []

    def delete(**kwargs: Any) -> Any:
        if kwargs["QueueUrl"] == url and not lost:
            lost.append(kwargs["ReceiptHandle"])
            return p.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=kwargs["ReceiptHandle"],
                                                   VisibilityTimeout=0)
        return real(**kwargs)

    monkeypatch.setattr(p.sqs, "delete_message", delete)
    return lost


def crash_once(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, why: str) -> list[str]:
    """``owner.name`` raises the first time it is called, then works."""
    real: Callable[..., Any] = getattr(owner, name)
    crashed: list[str] = []

    def flaky(*args: Any, **kwargs: Any) -> Any:
        if not crashed:
            crashed.append(why)
            raise RuntimeError(why)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, flaky)
    return crashed


def receipts(log: LogLines) -> list[dict[str, Any]]:
    return [line for line in log.lines() if line.get("message") == "message received"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_same_message_delivered_again_and_again_is_one_comment(
        chat: Chat, provider: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk.adapters.eventbridge import EventBridgePublisher

    p = chat.pipeline
    crashed = crash_once(monkeypatch, EventBridgePublisher, "publish", "crash after the write, before the ack")
    lost = lose_the_first_acknowledgement(p, monkeypatch)
    deliver(chat, provider)
    requeue_after_dedup_window(p)
    with LogLines() as log:
        p.dispatcher.drain()
    assert crashed and lost  # both faults happened
    handled = receipts(log)  # the deliveries after the one that wrote and crashed
    assert len(handled) >= 3 and all(line["duplicate"] for line in handled), handled
    [ticket] = tickets(p)
    [comment] = comments(p, int(ticket["id"]))
    assert comment["body"] == "My parcel has not arrived"
    assert p.deps().tickets.get(int(ticket["id"])).audit_count == 1
    assert p.messages("MessagingInboundDeadLetterQueue") == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_crash_before_the_write_loses_nothing(chat: Chat, provider: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk.adapters.dynamo.repositories import DynamoTicketRepository

    p = chat.pipeline
    crashed = crash_once(monkeypatch, DynamoTicketRepository, "save", "crash before the write")
    deliver(chat, provider)
    p.dispatcher.drain()
    assert crashed
    [ticket] = tickets(p)
    assert [c["body"] for c in comments(p, int(ticket["id"]))] == ["My parcel has not arrived"]
    assert json.dumps(p.messages("MessagingInboundDeadLetterQueue")) == "[]"
