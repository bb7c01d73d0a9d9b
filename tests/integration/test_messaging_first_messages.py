"""Four first messages of a new contact, delivered at once (an album, a burst of lines): one ticket, and its four
comments in the provider's order, by the provider's timestamp, ties kept in the order the provider gave them.

"At once" is one webhook body holding the four, or four webhook calls running at the same moment: their items
reach the ingest function in one batch, in whatever order the calls got through."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.integration.messaging_scenarios import (
    T0,
    T0_MS,
    comments,
    messenger,
    messenger_body,
    messenger_message,
    tickets,
    twilio,
    twilio_sms,
)
from tests.integration.messaging_support import Chat, whatsapp_body, whatsapp_message
from tests.support import Pipeline

LINES = ("Hello", "my order 1234", "arrived broken", "see the photos")
SHUFFLED = (2, 0, 3, 1)  # the order the provider's messages reach us in


def whatsapp_line(n: int, at: int | None = None) -> dict[str, Any]:
    return whatsapp_message(LINES[n], f"wamid.LINE{n}", at=T0 + n if at is None else at,
                            bsuid="US.13491208655302741918")


def messenger_line(n: int, at_ms: int | None = None) -> dict[str, Any]:
    return messenger_message(LINES[n], f"mid.LINE{n}", at_ms=T0_MS + 300 * n if at_ms is None else at_ms)


def one_ticket_with(p: Pipeline, lines: list[str]) -> None:
    p.dispatcher.drain()
    [ticket] = tickets(p)
    assert [c["body"] for c in comments(p, int(ticket["id"]))] == lines
    assert ticket["description"] == lines[0]


@pytest.mark.parametrize("provider", ["whatsapp", "messenger"])
def test_four_first_messages_in_one_body_are_one_ticket_in_the_providers_order(chat: Chat, provider: str) -> None:
    if provider == "whatsapp":
        chat.whatsapp(whatsapp_body(*(whatsapp_line(n) for n in SHUFFLED)))
    else:
        messenger(chat, messenger_body(*(messenger_line(n) for n in SHUFFLED)))
    one_ticket_with(chat.pipeline, list(LINES))


@pytest.mark.parametrize("provider", ["whatsapp", "messenger"])
def test_four_first_webhook_calls_arriving_out_of_order_are_one_ticket_in_the_providers_order(
        chat: Chat, provider: str) -> None:
    for n in SHUFFLED:
        if provider == "whatsapp":
            chat.whatsapp(whatsapp_body(whatsapp_line(n)))
        else:
            messenger(chat, messenger_body(messenger_line(n)))
    one_ticket_with(chat.pipeline, list(LINES))


def test_equal_provider_timestamps_keep_the_order_the_provider_gave(chat: Chat) -> None:
    """WhatsApp's timestamps are whole seconds: an album's messages share one; its body's order is the order."""
    chat.whatsapp(whatsapp_body(*(whatsapp_line(n, at=T0) for n in range(4))))
    one_ticket_with(chat.pipeline, list(LINES))


@pytest.mark.parametrize("provider", ["whatsapp", "messenger", "twilio"])
def test_four_concurrent_webhook_calls_make_one_ticket_with_four_comments(chat: Chat, provider: str) -> None:
    """Four threads post at the same moment, in whatever order they win. The Chalice app keeps the request it
    serves in one global (``app.current_request``), so each call holds a lock while the app serves it, as one
    Lambda instance serves one request at a time; the threads race for it as calls to several instances would.
    Twilio sends no time: its order is the order the calls got through."""
    from helpdesk.local.dispatcher import function_environment

    p, start, one_at_a_time = chat.pipeline, threading.Barrier(4), threading.Lock()
    failures: list[BaseException] = []

    def post(n: int) -> None:
        try:
            start.wait()
            with one_at_a_time:
                if provider == "whatsapp":
                    chat.whatsapp(whatsapp_body(whatsapp_line(n)))
                elif provider == "messenger":
                    messenger(chat, messenger_body(messenger_line(n)))
                else:
                    twilio(chat, twilio_sms(LINES[n], "SM" + f"{n:032x}"))
        except BaseException as error:  # reported by the test, below
            failures.append(error)

    threads = [threading.Thread(target=post, args=(n,)) for n in SHUFFLED]
    with function_environment(p.stack, p.stack.functions["ApiFunction"]):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    p.dispatcher.drain()
    [ticket] = tickets(p)
    found = [c["body"] for c in comments(p, int(ticket["id"]))]
    assert sorted(found) == sorted(LINES)
    if provider != "twilio":
        assert found == list(LINES)


def test_a_body_of_more_messages_than_a_batch_is_kept_in_the_providers_order(chat: Chat) -> None:
    """Twelve messages in one body go to the queue in more than one batch of ten: in the provider's order."""
    order = [11, 3, 7, 0, 9, 1, 5, 10, 2, 8, 4, 6]
    chat.whatsapp(whatsapp_body(*(whatsapp_message(f"line {n}", f"wamid.L{n}", at=T0 + n) for n in order)))
    one_ticket_with(chat.pipeline, [f"line {n}" for n in range(12)])
