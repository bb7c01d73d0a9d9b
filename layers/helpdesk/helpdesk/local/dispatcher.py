"""The local stand-in for Lambda's event source mappings and EventBridge schedules.

Each SQS source of template.yaml is handed to its mapped handler as a real SQS event; records the handler
reports as failed (or all of them, if it raises) are made visible again, so moto's redrive policy moves a poison
message to its dead-letter queue after maxReceiveCount receives. Schedules fire from the stack's clock, which the
local stack can advance; a schedule whose run fails is recorded and moves on to its next time, as EventBridge's
would.

Two ways to run: ``start(stop)`` gives every queue a worker thread that long-polls it (the local stack: a mail
becomes a ticket as soon as its queue is read, whatever the other queues hold), and ``drain()`` / ``advance()``
wait until every queue is empty and every worker idle. Without workers (the in-process tests), ``drain()`` polls
the queues itself, one after another, in the caller's thread.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
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
LONG_POLL_SECONDS = 2  # a worker's ReceiveMessage waits this long for a message (answered as soon as one lands)
SETTLE_TIMEOUT_SECONDS = 300
_BACKLOG = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed")


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
        self._observing = threading.Lock()
        self._busy = 0
        self._batches = 0  # batches received by workers so far
        self._idle = threading.Condition()
        self.backlog: Callable[[], Mapping[str, int]] | None = None  # queue name -> messages, in one request
        self._workers: list[threading.Thread] = []
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
            self.observe()
        return handled

    @contextmanager
    def held(self, function: str) -> Iterator[None]:
        """Leave the queues of ``function`` unread while the block runs (``drain`` does not wait for them): a test
        sees the state before that step, as a user would while it is still to run. In-process polling only: the
        workers of ``start`` read every queue."""
        with self.lock:
            kept = [source for source in self._sources if source[0] == function]
            self._sources = [source for source in self._sources if source[0] != function]
        try:
            yield
        finally:
            with self.lock:
                self._sources += kept

    def observe(self) -> None:
        """Run the observers (the local stack's event tap and outbox), one caller at a time."""
        with self._observing:
            for observer in self.observers:
                try:
                    observer()
                except Exception as exc:  # an observer's failure must not stop the queues
                    self.failures.append(f"observer: {type(exc).__name__}: {exc}")

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
        """Poll until every queue is empty (or a pass limit guards against a loop); with workers running, wait
        until they have emptied every queue."""
        if self._workers:
            self.settle()
            self.observe()
            return 0
        total = 0
        for _ in range(MAX_DRAIN_PASSES):
            handled = self.poll_once()
            total += handled
            if handled == 0:
                return total
        raise RuntimeError("queues did not drain: a message loop between functions?")

    def fire_due_schedules(self) -> int:
        """Run every schedule that is due; a run that fails is recorded and the schedule moves to its next time
        all the same (EventBridge does not replay a failed scheduled invocation every 0.2 s)."""
        fired = 0
        with self.lock:
            now = self._clock.now()
            for timer in self._timers:
                if timer.next_at <= now:
                    try:
                        self._invoke(timer.function, {
                            "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
                            "source": "aws.events", "account": ACCOUNT_ID, "time": iso(now),
                            "region": self._region, "resources": [timer.rule_arn], "detail": {},
                        })
                    except Exception as exc:
                        self.failures.append(f"{timer.function} (schedule): {type(exc).__name__}: {exc}")
                    finally:
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
                if self._workers:
                    self.settle()  # the observers run once, at the end
                else:
                    self.drain()
            self._clock.advance(max(target - self._clock.now(), timedelta(0)))
            self.drain()
            return self._clock.now()

    def start(self, stop: threading.Event, *, observe_every: float = 0.5) -> list[threading.Thread]:
        """A worker thread per queue, one for the schedules and one for the observers, until ``stop`` is set."""
        for function, url, batch_size in self._sources:
            name = f"queue-{url.rsplit('/', 1)[-1]}"
            self._workers.append(threading.Thread(target=self._work, args=(function, url, batch_size, stop),
                                                  name=name, daemon=True))
        self._workers.append(threading.Thread(target=self._keep_time, args=(stop,), name="schedules", daemon=True))
        self._workers.append(threading.Thread(target=self._keep_observing, args=(stop, observe_every),
                                              name="observers", daemon=True))
        for worker in self._workers:
            worker.start()
        return list(self._workers)

    def _work(self, function: str, url: str, batch_size: int, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                received = self._sqs.receive_message(
                    QueueUrl=url, MaxNumberOfMessages=min(batch_size, 10), WaitTimeSeconds=LONG_POLL_SECONDS,
                    AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
                if not received:
                    continue
                with self._idle:
                    self._busy += 1
                    self._batches += 1
                try:
                    self._deliver(function, url, received)
                finally:
                    with self._idle:
                        self._busy -= 1
                        self._idle.notify_all()
            except Exception as exc:  # the emulation went away, or a delete failed: keep the worker alive
                if not stop.is_set():
                    self.failures.append(f"{function} (queue): {type(exc).__name__}: {exc}")
                    stop.wait(1)

    def _keep_time(self, stop: threading.Event) -> None:
        while not stop.wait(0.5):
            self.fire_due_schedules()

    def _keep_observing(self, stop: threading.Event, every: float) -> None:
        while not stop.wait(every):
            self.observe()

    def settle(self, timeout: float = SETTLE_TIMEOUT_SECONDS) -> None:
        """Wait until every queue is empty (visible, in flight and delayed) with no worker handling a batch.

        A queue is only fed by a handler (a worker's, counted in ``_batches``), a schedule (fired by the caller
        before it settles) or a client of the API; so no batch received while the queues were read, and none
        being handled after, means nothing is left to do."""
        deadline = time.monotonic() + timeout
        while True:
            with self._idle:
                if not self._idle.wait_for(lambda: self._busy == 0, timeout=max(deadline - time.monotonic(), 0)):
                    raise RuntimeError("queues did not settle: a message loop between functions?")
                batches = self._batches
            empty = self._queues_empty()
            with self._idle:
                if empty and self._busy == 0 and self._batches == batches:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("queues did not settle: a message loop between functions?")
            time.sleep(0.01)

    def _queues_empty(self) -> bool:
        names = [url.rsplit("/", 1)[-1] for _, url, _ in self._sources]
        if self.backlog is not None:
            counts = self.backlog()
            return not any(counts.get(name, 0) for name in names)
        for _, url, _ in self._sources:
            found = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(_BACKLOG))["Attributes"]
            if any(int(found.get(name, 0)) for name in _BACKLOG):
                return False
        return True


def dump(obj: Any) -> str:
    return json.dumps(obj, indent=2, default=str)
