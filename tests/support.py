"""Test support: paths, the Pipeline handle the fixtures yield, and builders of sample input."""

from __future__ import annotations

import base64
import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
# Real inputs nobody on the team wrote live beside the repository (../shared/corpora), never in it; a clone on its
# own has none, and HELPDESK_CORPORA points elsewhere (CI runs the suite once with it pointing nowhere).
CORPORA = Path(os.environ.get("HELPDESK_CORPORA") or ROOT.parent / "shared" / "corpora")
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ADMIN_EMAIL = "admin@example.com"
ADMIN_TOKEN = "test-admin-token"


@dataclass
class Pipeline:
    """The provisioned stack, its dispatcher (queues and schedules), the clock and an API client."""

    stack: Any
    dispatcher: Any
    clock: Any
    api: Any
    sqs: Any

    @property
    def auth(self) -> dict[str, str]:
        token = base64.b64encode(f"{ADMIN_EMAIL}/token:{ADMIN_TOKEN}".encode()).decode()
        return {"Authorization": f"Basic {token}", "Content-Type": "application/json"}

    def deps(self) -> Any:
        from helpdesk.bootstrap import container

        return container()

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        """A request to the API, run with only ApiFunction's variables of the template (as in Lambda)."""
        from helpdesk.local.dispatcher import function_environment

        data = body if isinstance(body, bytes | str) or body is None else json.dumps(body)
        send = getattr(self.api.http, method.lower())
        with function_environment(self.stack, self.stack.functions["ApiFunction"]):
            return send(path, headers=self.auth if headers is None else headers, body=data)

    def json(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        response = self.call(method, path, body)
        assert response.status_code == expect, response.body
        return json.loads(response.body)

    def email(self, raw: bytes) -> Any:
        headers = {**self.auth, "Content-Type": "message/rfc822"}
        response = self.call("POST", "/inbound/email/raw", raw, headers)
        assert response.status_code == 202, response.body
        return json.loads(response.body)

    def queue_url(self, logical_id: str) -> str:
        return str(self.stack.resources[logical_id])

    def messages(self, logical_id: str) -> list[dict[str, Any]]:
        url = self.queue_url(logical_id)
        found = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
        return list(found.get("Messages", []))


class LogLines:
    """The JSON lines the Powertools logger writes while the block runs."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()

    def __enter__(self) -> LogLines:
        from helpdesk.observability import logger

        self.handler = logger().registered_handler
        self.previous = self.handler.setStream(self.buffer)
        return self

    def __exit__(self, *exc: object) -> None:
        self.handler.setStream(self.previous)

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.buffer.getvalue().splitlines() if line.startswith("{")]


MAX_KEY_BYTES = 2048  # DynamoDB's limit on a partition key value; moto checks it on writes only


def _keys(operation: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    if operation in ("GetItem", "DeleteItem", "UpdateItem"):
        return [params.get("Key") or {}]
    if operation == "BatchGetItem":
        return [key for request in (params.get("RequestItems") or {}).values() for key in request.get("Keys", [])]
    if operation in ("TransactGetItems", "TransactWriteItems"):
        return [action.get("Key") or {} for item in params.get("TransactItems", []) for action in item.values()]
    return []


@contextmanager
def dynamodb_key_limits() -> Iterator[None]:
    """Refuse reads by a key DynamoDB would refuse (moto does not), as DynamoDB does: a ValidationException."""
    from botocore import client as botocore_client
    from botocore.exceptions import ClientError

    base: Any = botocore_client.BaseClient
    real = base._make_api_call

    def checked(self: Any, operation: str, params: dict[str, Any]) -> Any:
        for key in _keys(operation, params) if self.meta.service_model.service_name == "dynamodb" else []:
            for value in key.values():
                if len(str(value.get("S", "")).encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
                    error: Any = {"Code": "ValidationException", "Message": "Size of hashkey has exceeded the limit"}
                    raise ClientError({"Error": error}, operation)
        return real(self, operation, params)

    base._make_api_call = checked
    try:
        yield
    finally:
        base._make_api_call = real


def sample(name: str) -> bytes:
    return (EVENTS / name).read_bytes()


def make_email(*, message_id: str, sender: str = "dana@customer.example", subject: str = "Help with my order",
               body: str = "My parcel has not arrived.", in_reply_to: str | None = None,
               references: str | None = None, extra: str = "") -> bytes:
    lines = [f"From: Dana <{sender}>", "To: support@example.com", f"Subject: {subject}",
             "Date: Mon, 23 Nov 2026 08:00:00 +0000", f"Message-ID: <{message_id}>"]
    if in_reply_to:
        lines.append(f"In-Reply-To: <{in_reply_to}>")
    if references:
        lines.append(f"References: {references}")
    if extra:
        lines.append(extra)
    lines += ["MIME-Version: 1.0", 'Content-Type: text/plain; charset="utf-8"', "", body, ""]
    return "\r\n".join(lines).encode()


def ses_receipt_event(key: str, **verdicts: str) -> dict[str, Any]:
    """events/sqs_ses_receipt_s3.json for the mail SES stored under ``key``, with the given verdicts changed
    (``spam="FAIL"``, ``dmarc="FAIL"``, ...)."""
    event = json.loads((EVENTS / "sqs_ses_receipt_s3.json").read_text())
    envelope = json.loads(event["Records"][0]["body"])
    notification = json.loads(envelope["Message"])
    notification["receipt"]["action"]["objectKey"] = key
    for name, status in verdicts.items():
        notification["receipt"][f"{name}Verdict"] = {"status": status}
    envelope["Message"] = json.dumps(notification)
    event["Records"][0]["body"] = json.dumps(envelope)
    return dict(event)


def corpus(*parts: str) -> Path:
    """A file or folder of the shared corpora; the calling test is skipped, with the reason, when it is absent."""
    import pytest

    path = CORPORA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"corpus {'/'.join(parts)} not found at {path}: the corpora live in ../shared/corpora beside "
                    "the repository (or where HELPDESK_CORPORA points)")
    return path
