"""What providers say about the messages we sent moves their delivery forward only, whatever order it comes in,
and never touches the ticket.

- Every order of sent, delivered and read ends in read: WhatsApp and Twilio statuses, Messenger's delivery and read
  watermarks. Each order is also played with its first statuses arriving *before* the send's answer was recorded
  (the provider delivered and the person read while our send function was still writing): such a status is
  applied through our correlation id, or parked under the provider's id and applied when the send is recorded.
- A failure records the provider's code on the comment, visible through the API.
- 100 receipts (statuses, reactions, read watermarks) on solved tickets change nothing on them (updated_at,
  status, version, audits) and fire no trigger, though a trigger waits for any change.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from tests.integration.messaging_scenarios import (
    T0,
    T0_MS,
    agent_reply,
    comments,
    delivery,
    messenger,
    messenger_body,
    messenger_message,
    messenger_receipt,
    ticket,
    twilio,
    twilio_sms,
    twilio_status,
)
from tests.integration.messaging_support import Chat, whatsapp_body, whatsapp_message, whatsapp_status
from tests.support import Pipeline

ORDERS = list(itertools.permutations(("sent", "delivered", "read")))
Status = Callable[[str, str, str], None]  # (status, provider id, correlation) -> posted to the webhook


@contextmanager
def statuses_during_the_send(p: Pipeline, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Callable[..., None]]]:
    """Callables put in the yielded list run after the provider accepted the next send and before the send
    function records its answer (each gets the provider's id and our correlation id)."""
    from helpdesk.adapters.provider_http import HttpMessagingTransport

    real = HttpMessagingTransport.send
    waiting: list[Callable[..., None]] = []

    def send(self: HttpMessagingTransport, channel: str, account: str, to: tuple[str, str], message: Any) -> Any:
        result = real(self, channel, account, to, message)
        while waiting:
            waiting.pop(0)(result.provider_id, message.correlation)
        return result

    monkeypatch.setattr(HttpMessagingTransport, "send", send)
    yield waiting


def play_orders(p: Pipeline, monkeypatch: pytest.MonkeyPatch, post_status: Status, *,
                sent_is_our_record: bool = False, every_split: bool = True) -> list[str]:
    """Each order of sent, delivered and read, for a new agent reply, split at each point (or, without
    ``every_split``, at one point per order, all four points among the orders): the statuses before the point
    arrive while the send is being recorded, the others after. With ``sent_is_our_record`` (Messenger, which
    reports no "sent"), the send's record is the "sent" of the order. The final status of each reply."""
    finals = []
    if sent_is_our_record:
        plays = [(order, order.index("sent")) for order in ORDERS]
    elif every_split:
        plays = [(order, split) for order in ORDERS for split in range(4)]
    else:
        plays = [(order, n % 4) for n, order in enumerate(ORDERS)]
    with statuses_during_the_send(p, monkeypatch) as during:
        for n, (order, split) in enumerate(plays):
            before = [s for s in order[:split] if not sent_is_our_record or s != "sent"]
            after = [s for s in order[split:] if not sent_is_our_record or s != "sent"]
            # half the time the provider drops our correlation id: the status is parked under its message id
            keep = n % 2 == 0

            def early(provider_id: str, correlation: str, statuses: list[str] = before, keep: bool = keep) -> None:
                for status in statuses:
                    post_status(status, provider_id, correlation if keep else "")
                p.dispatcher.drain()  # handled (in the order posted) before the send function goes on

            during.append(early)
            agent_reply(p, 1, f"Reply {n}: {order} split at {split}")
            p.dispatcher.drain()
            shown = delivery(p, 1)
            for status in after:
                post_status(status, shown["provider_id"], shown["correlation"] if keep else "")
            p.dispatcher.drain()
            finals.append(delivery(p, 1)["status"])
            assert during == []
    return finals


def test_every_order_of_whatsapp_statuses_ends_in_read(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    p = chat.pipeline
    chat.whatsapp(whatsapp_body(whatsapp_message("Hello?", "wamid.IN", at=T0 - 60)))
    p.dispatcher.drain()
    moment = iter(range(T0, T0 + 10_000))

    def post(status: str, provider_id: str, correlation: str) -> None:
        chat.whatsapp(whatsapp_body(whatsapp_status(provider_id, status, at=next(moment),
                                                    correlation=correlation or None)))

    finals = play_orders(p, monkeypatch, post)
    assert finals == ["read"] * 24


def test_every_order_of_twilio_statuses_ends_in_read(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    p = chat.pipeline
    twilio(chat, twilio_sms("Hello?", "SM" + "1" * 32, prefix="whatsapp:"))
    p.dispatcher.drain()

    def post(status: str, provider_id: str, correlation: str) -> None:
        form, query = twilio_status(provider_id, status, correlation=correlation or None, prefix="whatsapp:")
        twilio(chat, form, status=True, query=query)

    finals = play_orders(p, monkeypatch, post, every_split=False)
    assert finals == ["read"] * 6


def test_every_order_of_messenger_watermarks_ends_in_read(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    """Messenger reports no "sent": the send's own record is it. Its watermarks cover every message sent to the
    person up to them, the one still being sent included."""
    p = chat.pipeline
    messenger(chat, messenger_body(messenger_message("Hello?", "mid.IN", at_ms=T0_MS - 60_000)))
    p.dispatcher.drain()
    moment = iter(range(T0_MS + 1000, T0_MS + 10_000_000, 1000))

    def post(status: str, provider_id: str, correlation: str) -> None:
        messenger(chat, messenger_body(messenger_receipt("delivery" if status == "delivered" else "read",
                                                         next(moment))))

    finals = play_orders(p, monkeypatch, post, sent_is_our_record=True)
    assert finals == ["read"] * 6


def test_a_messenger_delivery_naming_our_message_counts_whatever_our_clock_said(chat: Chat) -> None:
    """Meta's watermark is Meta's clock and our send time is ours: when the delivery names the message (``mids``),
    that is proof enough, even if our clock ran ahead of Meta's."""
    p = chat.pipeline
    messenger(chat, messenger_body(messenger_message("Hello?", "mid.IN", at_ms=T0_MS - 60_000)))
    p.dispatcher.drain()
    agent_reply(p, 1, "On its way.")
    p.dispatcher.drain()
    ours = delivery(p, 1)["provider_id"]
    messenger(chat, messenger_body(messenger_receipt("delivery", T0_MS - 2_000, mids=[ours])))
    p.dispatcher.drain()
    assert delivery(p, 1)["status"] == "delivered"


def test_a_failure_records_the_providers_code_on_the_comment(chat: Chat) -> None:
    p = chat.pipeline
    chat.whatsapp(whatsapp_body(whatsapp_message("Hello?", "wamid.IN", at=T0 - 60)))
    p.dispatcher.drain()
    agent_reply(p, 1, "On its way.")
    p.dispatcher.drain()
    sent = delivery(p, 1)
    failed = whatsapp_status(sent["provider_id"], "failed", at=T0 + 5, correlation=sent["correlation"])
    failed["statuses"][0]["errors"] = [{"code": 131026, "title": "Message undeliverable",
                                        "error_data": {"details": "Receiver is incapable of receiving"}}]
    chat.whatsapp(whatsapp_body(failed))
    p.dispatcher.drain()
    shown = comments(p, 1)[1]["metadata"]["delivery"]
    assert shown["status"] == "failed" and shown["error"]["code"] == "131026"
    assert "undeliverable" in shown["error"]["title"]
    chat.whatsapp(whatsapp_body(whatsapp_status(sent["provider_id"], "sent", at=T0 + 6)))  # a late "sent"
    p.dispatcher.drain()
    assert delivery(p, 1)["status"] == "failed"

    twilio(chat, twilio_sms("Hello?", "SM" + "2" * 32))
    p.dispatcher.drain()
    agent_reply(p, 2, "On its way by SMS.")
    p.dispatcher.drain()
    sms = delivery(p, 2)
    form, query = twilio_status(sms["provider_id"], "undelivered", correlation=sms["correlation"],
                                error_code="30003")
    twilio(chat, form, status=True, query=query)
    p.dispatcher.drain()
    shown = delivery(p, 2)
    assert shown["status"] == "failed" and shown["error"]["code"] == "30003"


# ---- receipts on solved tickets ---------------------------------------------------------------------------------

TOUCHED = {"trigger": {"title": "Any change", "conditions": {"all": [
    {"field": "update_type", "operator": "is", "value": "Change"}]},
    "actions": [{"field": "current_tags", "value": "touched"}]}}


def fired(p: Pipeline) -> int:
    return int({s["title"]: s for s in p.json("GET", "/api/v2/rule_stats/triggers.json")["rule_stats"]}[
        "Any change"]["usage_24h"])


def snapshot(p: Pipeline, number: int) -> tuple[dict[str, Any], int | None, int, str]:
    stored = p.deps().tickets.get(number)
    return ticket(p, number), stored.version, stored.audit_count, json.dumps(comments(p, number)[0])


def solved_conversations(chat: Chat) -> dict[str, int]:
    """A WhatsApp, a Messenger and a Twilio conversation, each answered by an agent and solved."""
    p = chat.pipeline
    chat.whatsapp(whatsapp_body(whatsapp_message("Hello?", "wamid.IN", at=T0 - 60)))
    messenger(chat, messenger_body(messenger_message("Hello?", "mid.IN", at_ms=T0_MS - 60_000)))
    twilio(chat, twilio_sms("Hello?", "SM" + "3" * 32))
    p.dispatcher.drain()
    numbers = {"whatsapp": 1, "messenger": 2, "twilio": 3}
    for number in numbers.values():
        agent_reply(p, number, "Done, have a good day.", status="solved")
        p.dispatcher.drain()
        assert ticket(p, number)["status"] == "solved"
    return numbers


def hundred_receipts(chat: Chat) -> Iterator[Callable[[], None]]:
    """Statuses of our replies, reactions to the person's and our messages, Messenger watermarks, Twilio
    callbacks: 100 of them."""
    p = chat.pipeline
    wa, fb, sms = (delivery(p, number) for number in (1, 2, 3))
    for n in range(100):
        kind = n % 5
        if kind == 0:
            status = ("delivered", "read", "sent", "failed")[n // 5 % 4]
            yield lambda s=status, n=n: chat.whatsapp(whatsapp_body(whatsapp_status(  # type: ignore[misc]
                wa["provider_id"], s, at=T0 + n, correlation=wa["correlation"])))
        elif kind == 1:
            target, emoji = ("wamid.IN", wa["provider_id"])[n % 2], ("👍", "", "❤️")[n % 3]
            reaction = {"type": "reaction", "reaction": {"message_id": target, "emoji": emoji}}
            yield lambda r=reaction, n=n: chat.whatsapp(whatsapp_body(whatsapp_message(  # type: ignore[misc]
                "", f"wamid.R{n}", at=T0 + n, extra=r)))
        elif kind == 2:
            receipt = messenger_receipt(("delivery", "read")[n % 2], T0_MS + 100_000 + n)
            yield lambda r=receipt: messenger(chat, messenger_body(r))  # type: ignore[misc]
        elif kind == 3:
            event = {"sender": {"id": "4288012345678901"}, "recipient": {"id": "1234567890"},
                     "timestamp": T0_MS + 100_000 + n, "reaction": {"mid": ("mid.IN", fb["provider_id"])[n % 2],
                                                                   "action": ("react", "unreact")[n % 2],
                                                                   "emoji": "\u2764", "reaction": "love"}}
            yield lambda e=event: messenger(chat, messenger_body(e))  # type: ignore[misc]
        else:
            status = ("sent", "delivered", "read", "undelivered")[n // 5 % 4]
            form, query = twilio_status(sms["provider_id"], status, correlation=sms["correlation"])
            yield lambda f=form, q=query: twilio(chat, f, status=True, query=q)  # type: ignore[misc]


def test_a_hundred_receipts_on_solved_tickets_change_nothing_and_fire_no_trigger(chat: Chat) -> None:
    p = chat.pipeline
    p.json("POST", "/api/v2/triggers.json", TOUCHED, expect=201)
    numbers = solved_conversations(chat)
    before = {number: snapshot(p, number) for number in numbers.values()}
    fired_before, evaluations = fired(p), p.dispatcher.invocations.get("TriggerEvalFunction", 0)
    posted = 0
    for receipt in hundred_receipts(chat):
        receipt()
        posted += 1
        p.clock.advance(timedelta(seconds=7))
        if posted % 10 == 0:
            p.dispatcher.drain()
    p.dispatcher.drain()
    assert posted == 100
    assert {number: snapshot(p, number) for number in numbers.values()} == before
    assert fired(p) == fired_before and p.dispatcher.invocations.get("TriggerEvalFunction", 0) == evaluations
    assert len(p.deps().tickets.message_events(1)) >= 10  # the reactions were kept, beside the ticket
    assert p.messages("MessagingInboundDeadLetterQueue") == []
    # the trigger does fire on a change: it was there all along
    p.json("PUT", "/api/v2/tickets/1.json", {"ticket": {"comment": {"body": "note", "public": False}}})
    p.dispatcher.drain()
    assert fired(p) == fired_before + 1
