"""Powertools logging and metrics, created on first use (never at import).

Every log line carries the function's service and, while a record is handled, the ticket id and the
correlation id (the SQS message id or the event id). Metrics are what users care about: tickets created,
triggers fired, breaches, surveys sent, emails sent.

Keys are appended per thread (Powertools' ``thread_safe_*``): in Lambda an invocation has the process to itself,
but the local stack runs every function and the API in threads of one process, and a line must carry its own
request's ticket, not another thread's.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
_creating = threading.Lock()


def logger() -> Any:
    with _creating:  # two threads building Powertools' Logger at once leave it without a formatter
        return _logger()


@functools.lru_cache(maxsize=1)
def _logger() -> Any:
    import logging
    import sys

    from aws_lambda_powertools import Logger

    # stderr: Lambda sends it to the function's log stream like stdout, and the local stack keeps stdout
    # for what the user asked for (the demo's table or JSON).
    return Logger(service=None, use_rfc3339=True, logger_handler=logging.StreamHandler(sys.stderr))


@functools.lru_cache(maxsize=1)
def metrics() -> Any:
    from aws_lambda_powertools import Metrics

    return Metrics()


def count(name: str, value: float = 1) -> None:
    from aws_lambda_powertools.metrics import MetricUnit

    metrics().add_metric(name=name, unit=MetricUnit.Count, value=value)


@contextmanager
def ticket_context(ticket_id: int | None = None, correlation_id: str | None = None) -> Iterator[None]:
    log = logger()
    keys = {k: v for k, v in {"ticket_id": ticket_id, "correlation_id": correlation_id}.items() if v is not None}
    log.thread_safe_append_keys(**keys)
    try:
        yield
    finally:
        log.thread_safe_remove_keys(list(keys))


def bind_ticket(ticket_id: int) -> None:
    logger().thread_safe_append_keys(ticket_id=ticket_id)


def forget_ticket() -> None:
    """A new request: the previous one's ticket id must not stay on this thread's lines (warm containers and the
    local stack's threads serve many requests)."""
    logger().thread_safe_remove_keys(["ticket_id"])


def _flush(function_name: str) -> None:
    import os
    import warnings

    m = metrics()
    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true":
        m.clear_metrics()  # the local stack keeps stdout for the user; nothing accumulates either
        return
    with warnings.catch_warnings():  # an invocation that counted nothing has nothing to publish
        warnings.simplefilter("ignore", UserWarning)
        m.add_dimension(name="function", value=function_name)
        m.flush_metrics(raise_on_empty_metrics=False)


def entrypoint(function_name: str) -> Callable[[F], F]:
    """Decorate a Lambda handler: context on every log line, metrics flushed at the end of each invocation."""

    def wrap(handler: F) -> F:
        @functools.wraps(handler)
        def invoke(event: Any, context: Any) -> Any:
            log = logger()
            log.thread_safe_append_keys(function=function_name)
            if context is not None and hasattr(context, "aws_request_id"):
                log.thread_safe_append_keys(request_id=context.aws_request_id)
            try:
                return handler(event, context)
            finally:
                log.thread_safe_remove_keys(["ticket_id", "correlation_id"])
                _flush(function_name)

        return invoke  # type: ignore[return-value]

    return wrap
