"""EventBridge publisher, SQS inbound queue, SES mailer, S3 raw-mail store, Secrets Manager secret."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from helpdesk.domain.bodies import EVENT_BUDGET
from helpdesk.domain.errors import HelpdeskError, InvalidInput
from helpdesk.domain.events import SOURCE, DomainEvent
from helpdesk.domain.mailboxes import ascii_address
from helpdesk.ports import EventPublisher, InboundQueue, Mailer, RawMailStore, SecretSource, TextStore

PUT_EVENTS_CHUNK = 10


class PublishFailed(HelpdeskError):
    """EventBridge refused some entries; the caller's retry re-publishes (consumers dedupe on event_id)."""


class EventBridgePublisher(EventPublisher):
    """Each event's large texts go out of line (helpdesk.domain.bodies): an entry stays under EventBridge's
    256 KB; consumers expand the detail (helpdesk.entrypoints.bus_event)."""

    def __init__(self, events_client: Any, bus_name: str, texts: TextStore) -> None:
        self._client = events_client
        self._bus = bus_name
        self._texts = texts

    def publish(self, events: Sequence[DomainEvent]) -> None:
        entries = [
            {"Source": SOURCE, "DetailType": e.detail_type, "EventBusName": self._bus,
             "Detail": json.dumps(self._texts.shrink(e.detail, e.ticket_id, budget=EVENT_BUDGET,
                                                     what=f"event {e.event_id}"), default=str)}
            for e in events
        ]
        for start in range(0, len(entries), PUT_EVENTS_CHUNK):
            response = self._client.put_events(Entries=entries[start:start + PUT_EVENTS_CHUNK])
            if response.get("FailedEntryCount"):
                failed = [e for e in response.get("Entries", []) if e.get("ErrorCode")]
                raise PublishFailed(f"{len(failed)} events were not published: {failed[:3]}")


class SqsInboundQueue(InboundQueue):
    def __init__(self, sqs_client: Any, queue_url: str) -> None:
        self._client = sqs_client
        self._url = queue_url

    def send(self, body: Mapping[str, Any], *, group_id: str, dedup_id: str) -> None:
        params: dict[str, Any] = {"QueueUrl": self._url, "MessageBody": json.dumps(body)}
        if self._url.endswith(".fifo"):
            params.update(MessageGroupId=group_id[:128], MessageDeduplicationId=dedup_id[:128])
        self._client.send_message(**params)


class SesMailer(Mailer):
    """SendRawEmail takes 7-bit addresses only: domains go IDNA-encoded; a local part that would need SMTPUTF8
    is refused here with the reason rather than by SES (callers check unmailable_reason before composing)."""

    def __init__(self, ses_client: Any) -> None:
        self._client = ses_client

    def send_raw(self, raw: bytes, *, sender: str, recipients: Sequence[str]) -> str:
        try:
            source, destinations = ascii_address(sender), [ascii_address(r) for r in recipients]
        except ValueError as error:
            raise InvalidInput(f"SES cannot send this mail: {error}") from error
        response = self._client.send_raw_email(Source=source, Destinations=destinations, RawMessage={"Data": raw})
        return str(response["MessageId"])


class S3RawMailStore(RawMailStore):
    def __init__(self, s3_client: Any, bucket: str) -> None:
        self._client = s3_client
        self._bucket = bucket

    def put(self, key: str, data: bytes, content_type: str = "message/rfc822") -> str:
        self._client.put_object(Bucket=self._bucket, Key=key, Body=data, ContentType=content_type)
        return key

    def get(self, key: str) -> bytes:
        return bytes(self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read())


class InboundCredentials:
    """The inbound webhooks' credentials: a JSON secret, read on first use and cached for the container."""

    def __init__(self, client: Any, secret_id: str) -> None:
        self._client = client
        self._id = secret_id
        self._cached: dict[str, str] | None = None

    def get(self) -> dict[str, str]:
        if self._cached is None:
            document = json.loads(self._client.get_secret_value(SecretId=self._id)["SecretString"])
            self._cached = {str(k): str(v) for k, v in document.items()}
        return self._cached

    def basic(self, provider: str) -> str:
        """``user:password`` for a provider posting with HTTP Basic; empty when it is not configured."""
        values = self.get()
        user, password = values.get(f"{provider}_user", ""), values.get("basic_auth_password", "")
        return f"{user}:{password}" if user and password else ""


class SecretsManagerSecret(SecretSource):
    def __init__(self, client: Any, secret_id: str) -> None:
        self._client = client
        self._id = secret_id
        self._cached: bytes | None = None

    def survey_secret(self) -> bytes:
        if self._cached is None:
            self._cached = str(self._client.get_secret_value(SecretId=self._id)["SecretString"]).encode()
        return self._cached
