"""The local stand-in for Lambda's event source mappings and EventBridge schedules.

Each SQS source of template.yaml is polled and its messages are handed to the mapped handler as a real SQS
event; records the handler reports as failed (or all of them, if it raises) are made visible again, so
moto's redrive policy moves a poison message to its dead-letter queue after maxReceiveCount receives.
Schedules fire from the stack's clock, which the local stack can advance.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from helpdesk.domain.clock import AdvanceableClock, iso
from helpdesk.local.provision import ACCOUNT_ID, FunctionSpec, LocalStack

Handler = Callable[[dict[str, Any], Any], Any]
MAX_DRAIN_PASSES = 200


@dataclass
class LambdaContext:
    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@contextmanager
def function_environment(stack: LocalStack, spec: FunctionSpec) -> Iterator[None]:
    """Only this function's variables of the template (plus what is not the stack's, such as AWS credentials),
    as in its own Lambda environment; restored afterwards. A variable the template forgot fails here."""
    saved = dict(os.environ)
    for key in stack.env:
        os.environ.pop(key, None)
    os.environ.update(spec.env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def load_handler(root: Path, spec: FunctionSpec) -> Any:
    """Import functions/<dir>/<module>.py by file (no sys.path edits) and return the handler object."""
    module_name, _, attribute = spec.handler.rpartition(".")
    path = root / spec.code_uri / f"{module_name.replace('.', '/')}.py"
    loader = importlib.util.spec_from_file_location(f"helpdesk_function_{spec.logical_id}", path)
    if loader is None or loader.loader is None:
        raise FileNotFoundError(f"cannot load {path}")
    module: ModuleType = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    return getattr(module, attribute)


@dataclass
class _Timer:
    function: str
    every: timedelta
    next_at: datetime
    rule_arn: str


class Dispatcher:
    def __init__(self, root: Path, stack: LocalStack, sqs: Any, clock: AdvanceableClock, region: str, *,
                 isolate_env: bool = False) -> None:
        self._stack = stack
        self._isolate_env = isolate_env  # tests: each function sees only its own variables (single-threaded use)
        self._sqs = sqs
        self._clock = clock
        self._region = region
        self.lock = threading.RLock()
        self.handlers: dict[str, Handler] = {}
        self.invocations: dict[str, int] = {}
        self.failures: list[str] = []
        self._sources: list[tuple[str, str, int]] = []
        self._timers: list[_Timer] = []
        self.observers: list[Callable[[], None]] = []
        now = clock.now()
        for spec in stack.functions.values():
            if not spec.sqs_sources and not spec.schedules:
                continue
            self.handlers[spec.logical_id] = load_handler(root, spec)
            for source in spec.sqs_sources:
                self._sources.append((spec.logical_id, source.queue_url, source.batch_size))
            for schedule in spec.schedules:
                every = timedelta(minutes=schedule.every_minutes)
                self._timers.append(_Timer(spec.logical_id, every, now + every,
                                           f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{spec.logical_id}"))

    def _invoke(self, function: str, event: dict[str, Any]) -> Any:
        self.invocations[function] = self.invocations.get(function, 0) + 1
        scope = (function_environment(self._stack, self._stack.functions[function]) if self._isolate_env
                 else nullcontext())
        with scope:
            return self.handlers[function](event, LambdaContext(function))

    def _record(self, url: str, message: dict[str, Any]) -> dict[str, Any]:
        name = url.rsplit("/", 1)[-1]
        return {
            "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"], "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}), "md5OfBody": message.get("MD5OfBody"),
            "eventSource": "aws:sqs", "eventSourceARN": f"arn:aws:sqs:{self._region}:{ACCOUNT_ID}:{name}",
            "awsRegion": self._region,
        }

    def poll_once(self) -> int:
        """One receive on every queue; returns how many messages were handed to functions."""
        handled = 0
        with self.lock:
            for function, url, batch_size in self._sources:
                received = self._sqs.receive_message(
                    QueueUrl=url, MaxNumberOfMessages=min(batch_size, 10), WaitTimeSeconds=0,
                    AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
                if received:
                    handled += len(received)
                    self._deliver(function, url, received)
            for observer in self.observers:
                observer()
        return handled

    def _deliver(self, function: str, url: str, messages: list[dict[str, Any]]) -> None:
        records = [self._record(url, m) for m in messages]
        try:
            response = self._invoke(function, {"Records": records}) or {}
            failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        except Exception as exc:  # the whole batch failed: as Lambda, every record returns to the queue
            self.failures.append(f"{function}: {type(exc).__name__}: {exc}")
            failed = {r["messageId"] for r in records}
        for message in messages:
            if message["MessageId"] in failed:
                self._sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"],
                                                    VisibilityTimeout=0)
            else:
                self._sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def drain(self) -> int:
        """Poll until every queue is empty (or a pass limit guards against a loop)."""
        total = 0
        for _ in range(MAX_DRAIN_PASSES):
            handled = self.poll_once()
            total += handled
            if handled == 0:
                return total
        raise RuntimeError("queues did not drain: a message loop between functions?")

    def fire_due_schedules(self) -> int:
        fired = 0
        with self.lock:
            now = self._clock.now()
            for timer in self._timers:
                if timer.next_at <= now:
                    self._invoke(timer.function, {
                        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
                        "source": "aws.events", "account": ACCOUNT_ID, "time": iso(now), "region": self._region,
                        "resources": [timer.rule_arn], "detail": {},
                    })
                    while timer.next_at <= now:
                        timer.next_at += timer.every
                    fired += 1
        return fired

    def advance(self, minutes: float) -> datetime:
        """Move the clock forward, firing every schedule at each of its due times on the way and draining
        the queues after each, as the deployed system would have done in that time."""
        with self.lock:
            target = self._clock.now() + timedelta(minutes=minutes)
            while True:
                upcoming = min((t.next_at for t in self._timers), default=target)
                if upcoming > target:
                    break
                self._clock.advance(max(upcoming - self._clock.now(), timedelta(0)))
                self.fire_due_schedules()
                self.drain()
            self._clock.advance(max(target - self._clock.now(), timedelta(0)))
            self.drain()
            return self._clock.now()

    def run_forever(self, stop: threading.Event, interval: float = 0.2) -> None:
        while not stop.is_set():
            try:
                self.fire_due_schedules()
                if self.poll_once() == 0:
                    stop.wait(interval)
            except Exception as exc:  # keep the local stack alive; the failure is shown to the user
                self.failures.append(f"dispatcher: {type(exc).__name__}: {exc}")
                stop.wait(interval)


def dump(obj: Any) -> str:
    return json.dumps(obj, indent=2, default=str)
