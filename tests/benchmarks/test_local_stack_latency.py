"""The local stack end to end, as a user runs it (`helpdesk local` in a process of its own, over HTTP): how long a
mail posted to /inbound/email/raw takes to become a ticket, and how many tickets a second it keeps up with.

Two runs of 200 mails each, with the acknowledgement trigger on (each ticket also goes through trigger
evaluation and a notification mail):
- one at a time: post a mail, wait until its ticket answers, post the next: the time from post to ticket;
- streamed: one client posts 200 mails back to back; tickets a second from the first post until every queue is
  drained (all 200 tickets, triggers and acknowledgements done).
Wall-clock figures on a shared machine: read them with the load printed beside them.
"""

from __future__ import annotations

import json
import os
import statistics
import time
import uuid
from collections.abc import Iterator

import pytest

from tests.e2e.local_stack import ADMIN_EMAIL, ADMIN_TOKEN, LocalStackProcess, basic, start_local_stack
from tests.support import sample

MAILS = 200


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    running = start_local_stack(tmp_path_factory.mktemp("bench"))
    try:
        running.admin("POST", "/api/v2/triggers.json", json.loads(sample("api_trigger_acknowledge.json")), expect=201)
        yield running
    finally:
        running.stop()


def _mail(marker: str, index: int) -> bytes:
    return (f"From: Customer {index} <c{index}-{marker}@customer.example>\r\nTo: support@example.com\r\n"
            f"Subject: Order {marker} {index}\r\nMessage-ID: <{marker}-{index}@customer.example>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nWhere is my parcel?\r\n").encode()


def _post(stack: LocalStackProcess, mail: bytes) -> None:
    answer = stack.call("POST", "/inbound/email/raw", mail, auth=basic(ADMIN_EMAIL, ADMIN_TOKEN),
                        content_type="message/rfc822")
    assert answer.status == 202, answer.body


def _wait_for_ticket(stack: LocalStackProcess, ticket_id: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while stack.call("GET", f"/api/v2/tickets/{ticket_id}.json", auth=basic(ADMIN_EMAIL, ADMIN_TOKEN)).status != 200:
        assert time.monotonic() < deadline, f"ticket {ticket_id} never appeared"
        time.sleep(0.01)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@pytest.mark.benchmark
def test_a_mail_becomes_a_ticket_within_about_a_second(stack: LocalStackProcess) -> None:
    marker = uuid.uuid4().hex[:6]
    waits = []
    for index in range(MAILS):
        began = time.monotonic()
        _post(stack, _mail(marker, index))
        _wait_for_ticket(stack, index + 1)
        waits.append(time.monotonic() - began)
    p50, p99 = statistics.median(waits), _percentile(waits, 0.99)
    print(f"\nlocal stack, {MAILS} mails one at a time: post to ticket p50 {p50:.2f} s, p99 {p99:.2f} s, "
          f"max {max(waits):.2f} s (load average {os.getloadavg()[0]:.1f})")
    assert p50 < 2.0  # "within about a second on an idle stack", with room for a busy machine


@pytest.mark.benchmark
def test_tickets_a_second_end_to_end(stack: LocalStackProcess) -> None:
    marker = uuid.uuid4().hex[:6]
    first = max((t["id"] for t in stack.admin("GET", "/api/v2/tickets.json")["tickets"]), default=0)
    began = time.monotonic()
    for index in range(MAILS):
        _post(stack, _mail(marker, index))
    posted = time.monotonic() - began
    stack.admin("POST", "/_local/clock/advance", {"minutes": 1}, timeout=900)  # answers when the queues are drained
    _wait_for_ticket(stack, first + MAILS)
    total = time.monotonic() - began
    print(f"\nlocal stack, {MAILS} mails streamed by one client: posted at {MAILS / posted:.1f}/s, "
          f"{MAILS / total:.2f} tickets/s end to end ({total:.1f} s; load average {os.getloadavg()[0]:.1f})")
    assert MAILS / total > 1.0
