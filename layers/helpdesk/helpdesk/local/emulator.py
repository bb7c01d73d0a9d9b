"""The embedded AWS emulation: moto's server in a child process of its own, one request at a time.

moto is not safe for concurrent requests (eight threads running TransactWriteItems against its server got HTTP 500
on 5 of 300), while the local stack is used by concurrent clients and feeds its queues from several threads. So
every request runs under one lock, as if the emulation were single-threaded. SQS long polls are the exception
that makes this work: a ReceiveMessage with ``WaitTimeSeconds`` is answered by short polls under the lock, and
between them the poller waits, without the lock, until another request has changed something (or its time is up).

The child process uses the second core (the product's handlers and botocore stay in the parent), writes its
request log to the log file it is given, and exits when its parent does. ``GET /_emulator/ses/sent?start=N`` lists
the raw mails SES accepted from the N-th on, for the local stack's outbox; ``GET /_emulator/sqs/backlog`` gives
each queue's message count (visible, in flight and delayed) in one request, for the dispatcher to tell when the
queues are drained.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, urlencode

ACCOUNT_ID = "123456789012"  # moto's default account, which provision.py addresses
SENT_PATH = "/_emulator/ses/sent"
BACKLOG_PATH = "/_emulator/sqs/backlog"
MAX_WAIT_SECONDS = 20  # SQS's own ceiling for WaitTimeSeconds

StartResponse = Callable[..., Any]
Wsgi = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class SerialisedApp:
    """WSGI middleware: one request at a time through moto, long polls waiting outside the lock."""

    def __init__(self, app: Wsgi, region: str = "us-east-1") -> None:
        self._app = app
        self._region = region
        self._lock = threading.Lock()
        self._changed = threading.Condition()
        self._generation = 0

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == SENT_PATH:
            return self._answer(start_response, {"raw": self._sent(environ)})
        if environ.get("PATH_INFO") == BACKLOG_PATH:
            return self._answer(start_response, self._backlog())
        receive = _receive(environ)
        if receive is None:
            return self._once(environ, start_response, changes=_may_feed_a_queue(environ))
        seconds, queue, rewrite = receive
        if seconds <= 0:
            return self._once(environ, start_response, changes=False)
        deadline = time.monotonic() + min(seconds, MAX_WAIT_SECONDS)
        while True:
            with self._changed:
                seen = self._generation
            status, headers, answer = self._short_poll(rewrite())
            left = deadline - time.monotonic()
            if left <= 0 or not status.startswith("200") or _has_messages(answer):
                start_response(status, headers)
                return answer
            while True:  # a change since the empty poll that left a message to take (or the time is up)
                seen = self._wait_for_change(seen, left)
                left = deadline - time.monotonic()
                if left <= 0 or self._visible(queue):
                    break

    def _short_poll(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], list[bytes]]:
        captured: list[tuple[str, list[tuple[str, str]]]] = []
        answer = self._once(environ, lambda status, headers, *_: captured.append((status, headers)), changes=False)
        return captured[0][0], captured[0][1], answer

    def _wait_for_change(self, seen: int, timeout: float) -> int:
        with self._changed:
            self._changed.wait_for(lambda: self._generation != seen, timeout=timeout)
            return self._generation

    def _visible(self, queue: str) -> bool:
        """Whether the queue holds a message a receive could take (without a request through moto's routing, as
        every change wakes every long poll)."""
        from moto.sqs.models import sqs_backends

        with self._lock:
            found = sqs_backends[ACCOUNT_ID][self._region].queues.get(queue)
            return found is None or any(m.visible and not m.delayed for m in found._messages)

    def _once(self, environ: dict[str, Any], start_response: StartResponse, *, changes: bool = True) -> list[bytes]:
        """Run one request under the lock; unless it only reads a queue, wake the long polls waiting."""
        with self._lock:
            result = self._app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        if changes:
            with self._changed:
                self._generation += 1
                self._changed.notify_all()
        return [body]

    def _sent(self, environ: dict[str, Any]) -> list[str | None]:
        from moto.ses.models import ses_backends

        start = parse_qs(environ.get("QUERY_STRING", "")).get("start", ["0"])[0]
        with self._lock:
            sent = ses_backends[ACCOUNT_ID][self._region].sent_messages[int(start) if start.isdecimal() else 0:]
            return [getattr(message, "raw_data", None) for message in sent]

    def _backlog(self) -> dict[str, int]:
        from moto.sqs.models import sqs_backends

        with self._lock:
            return {name: len(queue._messages) for name, queue in sqs_backends[ACCOUNT_ID][self._region].queues.items()}

    @staticmethod
    def _answer(start_response: StartResponse, document: Any) -> list[bytes]:
        body = json.dumps(document).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


_QUEUE_READS = frozenset({"ReceiveMessage", "DeleteMessage", "DeleteMessageBatch", "GetQueueAttributes",
                          "GetQueueUrl", "ListQueues"})


def _may_feed_a_queue(environ: dict[str, Any]) -> bool:
    """Whether a request can make a message visible in some queue (so long polls should look again): not a read,
    not DynamoDB (the bulk of the traffic), not an SQS call that only takes messages away."""
    if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
        return False
    service, _, action = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")
    return not service.startswith("DynamoDB") and not (service == "AmazonSQS" and action in _QUEUE_READS)


def _has_messages(answer: list[bytes]) -> bool:
    data = b"".join(answer)
    try:
        return bool(json.loads(data).get("Messages"))
    except (ValueError, AttributeError):  # the query protocol answers XML
        return b"<Message>" in data


def _receive(environ: dict[str, Any]) -> tuple[float, str, Callable[[], dict[str, Any]]] | None:
    """For an SQS ReceiveMessage: the seconds it may wait, the queue's name, and a maker of the same request with
    no wait."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    is_json = target == "AmazonSQS.ReceiveMessage"
    if not is_json and not (environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded")):
        return None
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(raw)
    try:
        if is_json:
            request = json.loads(raw or b"{}")
            wait = float(request.get("WaitTimeSeconds") or 0)
            queue = str(request.get("QueueUrl", "")).rsplit("/", 1)[-1]
            short = json.dumps({**request, "WaitTimeSeconds": 0}).encode()
        else:
            form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            if form.get("Action") != "ReceiveMessage":
                return None
            wait = float(form.get("WaitTimeSeconds") or 0)
            queue = form.get("QueueUrl", "").rsplit("/", 1)[-1]
            short = urlencode({**form, "WaitTimeSeconds": "0"}).encode()
    except ValueError:
        return None
    def rewrite() -> dict[str, Any]:
        return {**environ, "wsgi.input": io.BytesIO(short), "CONTENT_LENGTH": str(len(short))}

    return wait, queue, rewrite


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def _access_log(app: Wsgi) -> Wsgi:
    """One line per request in the log file: method, path, AWS operation, status, milliseconds."""
    import logging

    log = logging.getLogger("emulation")

    def logged(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        began = time.monotonic()
        status: list[str] = []

        def remember(code: str, headers: Any, *rest: Any) -> Any:
            status.append(code)
            return start_response(code, headers, *rest)

        try:
            return app(environ, remember)
        finally:
            log.info("%s %s %s %s %.0f ms", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"),
                     environ.get("HTTP_X_AMZ_TARGET", "-"), (status or ["-"])[0].split(" ")[0],
                     (time.monotonic() - began) * 1000)

    return logged


def main(argv: list[str] | None = None) -> None:
    """Serve moto with waitress: HTTP/1.1 keep-alive and a fixed pool of threads (werkzeug's development server
    closes the connection after every request and starts a thread for each, which cost more than the work)."""
    import logging

    import waitress
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from helpdesk.local import emulation_fixes

    parser = argparse.ArgumentParser(prog="helpdesk-emulator")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--parent", type=int, required=True)
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args(argv)
    threading.Thread(target=_exit_with_parent, args=(args.parent,), daemon=True).start()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    emulation_fixes.apply()
    app = _access_log(SerialisedApp(DomainDispatcherApplication(create_backend_app), args.region))
    print(f"emulation listening on 127.0.0.1:{args.port}", flush=True)
    # long polls wait in a thread each (one per queue worker), so the pool is larger than the work in flight
    waitress.serve(app, host="127.0.0.1", port=args.port, threads=48, channel_timeout=120, _quiet=True)


class Emulator:
    """The child process, seen from the local stack."""

    def __init__(self, port: int, log: IO[str], region: str = "us-east-1") -> None:
        self.port = port
        self.endpoint = f"http://127.0.0.1:{port}"
        self._process = subprocess.Popen(
            [sys.executable, "-m", "helpdesk.local.emulator", "--port", str(port), "--parent", str(os.getpid()),
             "--region", region],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=Path.cwd())

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the AWS emulation exited with {self._process.returncode} (see the log file)")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"the AWS emulation did not listen on {self.endpoint} within {timeout:.0f} s")

    def sent_mail(self, start: int) -> list[str | None]:
        return list(self._get(f"{SENT_PATH}?start={start}")["raw"])

    def backlog(self) -> dict[str, int]:
        """Messages in each queue by name (visible, in flight and delayed)."""
        return {str(name): int(count) for name, count in self._get(BACKLOG_PATH).items()}

    def _get(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.endpoint}{path}", timeout=30) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


if __name__ == "__main__":
    main()
