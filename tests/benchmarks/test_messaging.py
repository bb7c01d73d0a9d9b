"""Messaging channels, measured (issue 7): DynamoDB requests per inbound message counted per function (a count
that does not depend on the machine), the new handlers' import cost as a ratio to `import boto3` plus one client
(interleaved runs, medians), and how fast the local stack answers a signed WhatsApp webhook (wall clock over real
HTTP: read it with the load printed beside it). Run with `make bench`."""

from __future__ import annotations

import json
import os
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.benchmarks.test_cold_start import BASELINE, RUNS, _loader, _time
from tests.benchmarks.test_local_stack_latency import _percentile
from tests.e2e.local_stack import LocalStackProcess, meta_signature, start_local_stack
from tests.integration.messaging_support import PHONE_NUMBER_ID, Chat, whatsapp_body, whatsapp_message, whatsapp_status
from tests.integration.messaging_support import chat as chat  # the fixture
from tests.support import START

IMPORT_LIMIT = 1.15
REQUESTS_PER_MESSAGE = 6
NEW_HANDLERS = {
    "messaging_ingest": ("functions/messaging_ingest/handler.py", "handler"),
    "messaging_send": ("functions/messaging_send/handler.py", "handler"),
    "messaging_media": ("functions/messaging_media/handler.py", "handler"),
}
T0 = int(START.timestamp())


class PerFunction:
    """DynamoDB requests by operation, attributed to the function that made them."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = {}
        self.current = "outside any function"

    def wrap(self, name: str, handler: Callable[..., Any]) -> Callable[..., Any]:
        def counted(event: Any, context: Any) -> Any:
            self.current = name
            try:
                return handler(event, context)
            finally:
                self.current = "outside any function"

        return counted

    def total(self, name: str) -> int:
        return sum(self.counts.get(name, Counter()).values())


@pytest.fixture
def per_function(chat: Chat) -> Iterator[PerFunction]:
    from botocore import client as botocore_client

    found = PerFunction()
    dispatcher = chat.pipeline.dispatcher
    dispatcher.handlers = {name: found.wrap(name, h) for name, h in dispatcher.handlers.items()}
    base: Any = botocore_client.BaseClient
    real = base._make_api_call

    def counted(self: Any, operation: str, params: Any) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            found.counts.setdefault(found.current, Counter())[operation] += 1
        return real(self, operation, params)

    base._make_api_call = counted
    try:
        yield found
    finally:
        base._make_api_call = real


def _measure(chat: Chat, per_function: PerFunction, body: dict[str, Any]) -> dict[str, Counter[str]]:
    per_function.counts.clear()
    chat.whatsapp(body)
    chat.pipeline.dispatcher.drain()
    return {name: Counter(counts) for name, counts in per_function.counts.items()}


@pytest.mark.benchmark
def test_dynamodb_requests_per_inbound_message(chat: Chat, per_function: PerFunction) -> None:
    ingest = "MessagingIngestFunction"
    chat.pipeline.json("POST", "/api/v2/channel_accounts.json", {"channel_account": {  # configured, as deployed
        "channel": "whatsapp", "account": PHONE_NUMBER_ID}}, expect=201)
    chat.whatsapp(whatsapp_body(whatsapp_message("Hi", "wamid.0", sender="15550000000", at=T0 - 100)))
    chat.pipeline.dispatcher.drain()  # another contact first: the function has read its accounts (once a minute)
    stages = {
        "first message (new contact)": whatsapp_body(whatsapp_message("Where is my order?", "wamid.1", at=T0 - 90)),
        "second message (threads)": whatsapp_body(whatsapp_message("Order 1234", "wamid.2", at=T0 - 80)),
        "the same message again": whatsapp_body(whatsapp_message("Order 1234", "wamid.2", at=T0 - 80)),
        "a reaction": whatsapp_body(whatsapp_message("", "wamid.3", at=T0 - 70, extra={
            "type": "reaction", "reaction": {"message_id": "wamid.1", "emoji": "👍"}})),
    }
    measured = {name: _measure(chat, per_function, body) for name, body in stages.items()}
    chat.pipeline.json("PUT", "/api/v2/tickets/2.json", {"ticket": {"comment": {"body": "On its way."}}})
    chat.pipeline.dispatcher.drain()
    [sent] = chat.pipeline.json("GET", "/api/v2/tickets/2/comments.json")["comments"][2:]
    wamid = sent["metadata"]["delivery"]["provider_id"]
    measured["a delivery status"] = _measure(chat, per_function, whatsapp_body(
        whatsapp_status(wamid, "delivered", at=T0, correlation=f"t2c{sent['id']}")))
    print("\nDynamoDB requests per inbound WhatsApp message, by function")
    for stage, functions in measured.items():
        for name, counts in sorted(functions.items()):
            print(f"  {stage:<28} {name:<28} {sum(counts.values()):3d}  {dict(sorted(counts.items()))}")
    for stage, functions in measured.items():
        made = sum(functions.get(ingest, Counter()).values())
        assert made <= REQUESTS_PER_MESSAGE, f"{stage}: the ingest made {made} DynamoDB requests"
        assert all(counts["Scan"] == 0 for counts in functions.values())
        assert sum(functions.get("outside any function", Counter()).values()) == 0  # the webhook reads no table


@pytest.mark.benchmark
def test_new_handlers_import_within_1_15_boto3_cold_starts() -> None:
    samples: dict[str, list[float]] = {"baseline": [], **{name: [] for name in NEW_HANDLERS}}
    for _ in range(RUNS):  # interleaved, so drift on a shared machine hits every column alike
        samples["baseline"].append(_time(BASELINE))
        for name, (path, attribute) in NEW_HANDLERS.items():
            samples[name].append(_time(_loader(path, attribute)))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    baseline = medians["baseline"]
    print(f"\nbaseline (import boto3 + one client): median {baseline * 1000:.0f} ms over {RUNS} runs")
    for name in NEW_HANDLERS:
        print(f"  {name:<17} {medians[name] * 1000:7.0f} ms   ratio {medians[name] / baseline:.2f}")
    over = {name: round(medians[name] / baseline, 2) for name in NEW_HANDLERS
            if medians[name] / baseline > IMPORT_LIMIT}
    assert not over, f"handlers over {IMPORT_LIMIT}x the baseline: {over}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    running = start_local_stack(tmp_path_factory.mktemp("bench-messaging"))
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.benchmark
def test_webhook_answer_time_on_the_local_stack(stack: LocalStackProcess) -> None:
    """200 signed WhatsApp webhooks, one at a time, each from a new contact: the time to the 200 answer (the
    provider's clock: Meta retries a webhook not answered in time)."""
    seconds = []
    now = int(time.time())
    for index in range(200):
        raw = json.dumps(whatsapp_body(whatsapp_message(f"Message {index}", f"wamid.bench{index}",
                                                        sender=f"1555{index:07d}", at=now))).encode()
        started = time.perf_counter()
        answer = stack.call("POST", "/inbound/whatsapp", raw, auth=None, content_type="application/json",
                            headers={"X-Hub-Signature-256": meta_signature(raw)})
        seconds.append(time.perf_counter() - started)
        assert answer.status == 200, answer.body
    p50, p99 = _percentile(seconds, 0.5), _percentile(seconds, 0.99)
    print(f"\nwebhook answer on the local stack: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms over "
          f"{len(seconds)} posts (load {os.getloadavg()[0]:.1f})")
    assert p50 < 1.0  # far inside the provider's timeout even on a loaded machine
