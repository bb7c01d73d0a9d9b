"""Every payload of the shared WhatsApp and Messenger corpora, signed with the test app secret and posted to its
webhook, is answered 200 with nothing dead-lettered and no function failing; each message becomes a comment and
each status moves the delivery of the message it names.

The corpora repeat message ids across files and payloads (pywa's ``wamid.xyzxyz``, botman's ``mid.1480...``): each
payload's ids get a suffix naming its file and payload, so one store sees every message as the distinct message it
stands for. A status names a message we sent: before it is posted, an agent's reply on that person's conversation
is answered by the fake provider with the status's message id, so the status has a comment to move. What a
payload must do is worked out here from the documented format (every ``messages[]`` / ``messaging[]`` item), not
from the product's parser. The six Twilio signature vectors are checked in
``tests/unit/channels/messaging/test_twilio_signature.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.messaging_scenarios import T0, agent_reply, comments, messenger_body, tickets
from tests.integration.messaging_support import Chat, whatsapp_body
from tests.support import LogLines, Pipeline, corpus

NOT_COMMENTS = ("reaction", "edit", "revoke", "system")  # message events and identity events, never comments
STATUSES = ("sent", "delivered", "read", "played", "failed")
PLACEHOLDER_PSID = "7000000000000001"


@dataclass
class Expected:
    """What the payloads posted so far must have left in the store."""

    comments: dict[str, str] = field(default_factory=dict)  # message ref -> the payload it came in
    # (payload, (ticket, comment), status, error code): the delivery a status must have left on our comment
    statuses: list[tuple[str, tuple[int, int], str, str | None]] = field(default_factory=list)
    outside_echoes: dict[str, str] = field(default_factory=dict)
    senders: set[tuple[str, str]] = field(default_factory=set)  # (account, person) who wrote


def payloads(folder: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, body) of every webhook body of the folder: a file holding one body, or pywa's files holding several
    named bodies. Other files (the signature vector) are not bodies."""
    for path in sorted(corpus(folder).glob("*.json")):
        document = json.loads(path.read_text())
        if "object" in document:
            yield path.stem, document
        elif all(isinstance(body, Mapping) and "object" in body for body in document.values()):
            for name, body in document.items():
                yield f"{path.stem}.{name}", body


def post(chat: Chat, path: str, body: dict[str, Any], label: str) -> dict[str, Any]:
    answer = chat.post_meta(path, json.dumps(body, ensure_ascii=True).encode())
    assert answer.status_code == 200, (label, answer.status_code, answer.body)
    summary = dict(json.loads(answer.body))
    assert summary["malformed"] == 0, (label, summary)
    return summary


def all_comments(p: Pipeline) -> dict[str, list[dict[str, Any]]]:
    """Every comment of every ticket by the provider message id it carries."""
    found: dict[str, list[dict[str, Any]]] = {}
    for number in (int(t["id"]) for t in tickets(p)):
        for comment in comments(p, number):
            ref = comment.get("metadata", {}).get("message_id")
            if ref:
                found.setdefault(ref, []).append({**comment, "ticket_id": number})
    return found


def check(p: Pipeline, expected: Expected, log: LogLines) -> None:
    assert p.dispatcher.failures == []
    assert any(line.get("message") == "message received" for line in log.lines())  # the log was read
    errors = [line for line in log.lines() if line.get("level") == "ERROR"]
    assert errors == [], errors[:3]
    for name in ("MessagingInboundDeadLetterQueue", "MessagingOutboundDeadLetterQueue"):
        assert p.messages(name) == [], name
    found = all_comments(p)
    missing = {ref: label for ref, label in expected.comments.items() if len(found.get(ref, [])) != 1}
    assert missing == {}, f"messages that did not become exactly one comment: {missing}"
    requesters = {int(t["id"]): int(t["requester_id"]) for t in tickets(p)}
    for ref in expected.comments:
        [comment] = found[ref]
        assert comment["author_id"] == requesters[comment["ticket_id"]] and comment["public"]
    for ref, label in expected.outside_echoes.items():
        [comment] = found.get(ref, [{}])
        assert comment and comment["author_id"] != requesters[comment["ticket_id"]], label
    extra = set(found) - set(expected.comments) - set(expected.outside_echoes)
    assert extra == set(), f"comments no payload asked for: {extra}"


# ---- WhatsApp ---------------------------------------------------------------------------------------------------

def unique_whatsapp_ids(body: dict[str, Any], label: str) -> dict[str, Any]:
    copy = json.loads(json.dumps(body))
    for entry in copy.get("entry", []):
        for change in entry.get("changes", []):
            value = change.get("value", {})
            for item in (*value.get("messages", []), *value.get("statuses", [])):
                if isinstance(item.get("id"), str):
                    item["id"] = f"{item['id']}~{label}"
    return dict(copy)


def whatsapp_items(body: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
    """("message" | "status", item, the change's value) of every item a ``messages`` change carries."""
    for entry in body.get("entry", []):
        for change in entry.get("changes", []):
            if change.get("field") != "messages":
                continue
            value = change.get("value", {})
            yield from (("message", message, value) for message in value.get("messages", []))
            yield from (("status", status, value) for status in value.get("statuses", []))


def is_comment(message: Mapping[str, Any]) -> bool:
    kind = message.get("type")
    if kind in NOT_COMMENTS or message.get("group_id"):
        return False
    return not (kind == "interactive" and message.get("interactive", {}).get("type") == "call_permission_reply")


def whatsapp_person(status: Mapping[str, Any], value: Mapping[str, Any]) -> dict[str, Any]:
    """The message fields naming the person a status is about (their business-scoped id when known)."""
    wa_id = status.get("recipient_id")
    contact: Mapping[str, Any] = next((c for c in value.get("contacts", []) if c.get("wa_id") == wa_id), {})
    user_id = status.get("recipient_user_id") or contact.get("user_id")
    person: dict[str, Any] = {"from": wa_id} if wa_id else {}
    if user_id:
        person["from_user_id"] = user_id
    return person


def reply_accepted_as(chat: Chat, channel: str, account: str, first: dict[str, Any], provider_id: str,
                      label: str) -> tuple[int, int]:
    """The person writes (``first``, a webhook body), an agent answers, the provider accepts the answer as
    ``provider_id``: (the ticket, the comment)."""
    p = chat.pipeline
    if channel == "whatsapp":
        post(chat, "/inbound/whatsapp", first, label)
        ref = f"whatsapp:{account}:{first['entry'][0]['changes'][0]['value']['messages'][0]['id']}"
        chat.providers.answer_next("whatsapp", 200, {"messaging_product": "whatsapp",
                                                     "messages": [{"id": provider_id}]})
    else:
        post(chat, "/inbound/messenger", first, label)
        ref = f"facebook:{account}:{first['entry'][0]['messaging'][0]['message']['mid']}"
        chat.providers.answer_next("messenger", 200, {"recipient_id": "x", "message_id": provider_id})
    p.dispatcher.drain()
    number = p.deps().tickets.ticket_for_message_ids([ref])
    assert number is not None, label
    agent_reply(p, number, f"About {label}: on its way.")
    p.dispatcher.drain()
    reply = comments(p, number)[-1]
    assert reply["metadata"]["delivery"].get("provider_id") == provider_id, (label, reply)
    return int(number), int(reply["id"])


def play_whatsapp(chat: Chat, folder: str) -> Expected:
    p, expected = chat.pipeline, Expected()
    for label, original in payloads(folder):
        body = unique_whatsapp_ids(original, label)
        for kind, item, value in whatsapp_items(body):
            account = value["metadata"]["phone_number_id"]
            if kind == "message" and is_comment(item):
                expected.comments[f"whatsapp:{account}:{item['id']}"] = label
            elif kind == "status" and item.get("status") in STATUSES and item.get("recipient_type") != "group":
                first = {"from": item["recipient_id"], "id": f"wamid.first~{label}", "timestamp": str(T0),
                         "type": "text", "text": {"body": "Hello"}, **whatsapp_person(item, value)}
                opening = whatsapp_body({**value, "messages": [first], "statuses": []})
                expected.comments[f"whatsapp:{account}:{first['id']}"] = label
                reply = reply_accepted_as(chat, "whatsapp", account, opening, item["id"], label)
                code = str(item["errors"][0]["code"]) if item.get("errors") else None
                expected.statuses.append((label, reply, item["status"], code))
        post(chat, "/inbound/whatsapp", body, label)
        p.dispatcher.drain()
    return expected


def check_statuses(p: Pipeline, expected: Expected) -> None:
    for label, (number, comment_id), status, code in expected.statuses:
        [shown] = [c["metadata"]["delivery"] for c in comments(p, number) if c["id"] == comment_id]
        # a later read watermark of the same person (Messenger) covers an earlier delivered message too
        assert shown["status"] == status or (status, shown["status"]) == ("delivered", "read"), (label, shown)
        assert (shown.get("error") or {}).get("code") == code, (label, shown)


@pytest.mark.corpus
def test_every_whatsapp_update_of_the_pywa_corpus_is_answered_and_acted_on(chat: Chat) -> None:
    with LogLines() as log:
        expected = play_whatsapp(chat, "whatsapp_updates")
    assert len(expected.comments) >= 30 and len(expected.statuses) >= 5  # the corpus was read, not skipped over
    check(chat.pipeline, expected, log)
    check_statuses(chat.pipeline, expected)


@pytest.mark.corpus
def test_every_meta_bsuid_example_is_answered_and_acted_on(chat: Chat) -> None:
    with LogLines() as log:
        expected = play_whatsapp(chat, "whatsapp_cloud_examples")
    assert len(expected.statuses) == 3
    check(chat.pipeline, expected, log)
    check_statuses(chat.pipeline, expected)
    identities = chat.pipeline.json("GET", f"/api/v2/users/{tickets(chat.pipeline)[0]['requester_id']}"
                                           "/identities.json")["identities"]
    assert any(i["type"] == "whatsapp" and i["value"].startswith("US.") for i in identities)


# ---- Messenger --------------------------------------------------------------------------------------------------

def unique_messenger_ids(body: dict[str, Any], label: str) -> dict[str, Any]:
    """The mids made unique, and botman's placeholder person ``USER_ID`` made a page-scoped id as Meta writes one
    (digits), so our reply to that person can be addressed."""
    copy = json.loads(json.dumps(body).replace('"USER_ID"', f'"{PLACEHOLDER_PSID}"'))
    for entry in copy.get("entry", []):
        for event in entry.get("messaging", []):
            message = event.get("message")
            if isinstance(message, dict) and isinstance(message.get("mid"), str):
                message["mid"] = f"{message['mid']}~{label}"
            receipt = event.get("delivery")
            if isinstance(receipt, dict) and receipt.get("mids"):
                receipt["mids"] = [f"{mid}~{label}" for mid in receipt["mids"]]
    return dict(copy)


def messenger_order(label: str) -> tuple[int, str]:
    """People's messages first, then echoes and receipts of what was said to them, then the rest."""
    return (0 if label.startswith(("message", "postback")) else 1, label)


def play_messenger(chat: Chat) -> Expected:
    p, expected = chat.pipeline, Expected()
    for label, original in sorted(payloads("messenger_webhooks"), key=lambda pair: messenger_order(pair[0])):
        body = unique_messenger_ids(original, label)
        for entry in body["entry"]:
            page = entry["id"]
            for event in entry.get("messaging", []):
                message, person = event.get("message") or {}, str((event.get("sender") or {}).get("id"))
                if message.get("is_echo"):
                    to = (event.get("recipient") or {}).get("id")
                    if (page, to) in expected.senders:
                        expected.outside_echoes[f"facebook:{page}:{message['mid']}"] = label
                elif message:
                    expected.comments[f"facebook:{page}:{message['mid']}"] = label
                    expected.senders.add((page, person))
                elif "postback" in event:
                    expected.comments[f"facebook:{page}:postback:{person}:{event['timestamp']}"] = label
                    expected.senders.add((page, person))
                elif "delivery" in event or "read" in event:
                    expected.statuses.append(messenger_receipt(chat, expected, page, event, label))
        post(chat, "/inbound/messenger", body, label)
        p.dispatcher.drain()
    return expected


def messenger_receipt(chat: Chat, expected: Expected, page: str, event: Mapping[str, Any],
                      label: str) -> tuple[str, tuple[int, int], str, str | None]:
    """Our reply to the person, sent just before the receipt's watermark (the corpus's receipts are of 2016): the
    clock is set there for the reply and put back after."""
    p, kind = chat.pipeline, "delivery" if "delivery" in event else "read"
    receipt, person = event[kind], event["sender"]["id"]
    watermark = datetime.fromtimestamp(receipt["watermark"] / 1000, UTC)
    back = p.clock.now() - (watermark - timedelta(seconds=30))
    p.clock.advance(-back)
    first_mid = f"mid.first~{label}"
    first = messenger_body({"sender": {"id": person}, "recipient": {"id": page},
                            "timestamp": int(p.clock.now().timestamp() * 1000) - 10_000,
                            "message": {"mid": first_mid, "text": "Hello"}}, page=page)
    expected.comments[f"facebook:{page}:{first_mid}"] = label
    provider_id = (receipt.get("mids") or [f"mid.ours~{label}"])[0]
    reply = reply_accepted_as(chat, "facebook", page, first, provider_id, label)
    p.clock.advance(back)
    return label, reply, "delivered" if kind == "delivery" else "read", None


@pytest.mark.corpus
def test_every_messenger_webhook_of_the_botman_corpus_is_answered_and_acted_on(chat: Chat) -> None:
    with LogLines() as log:
        expected = play_messenger(chat)
    assert len(expected.comments) >= 5 and len(expected.statuses) == 2
    check(chat.pipeline, expected, log)
    check_statuses(chat.pipeline, expected)


def test_person_and_account_ids_outside_the_documented_shapes_still_queue_in_groups_sqs_accepts(chat: Chat) -> None:
    """SQS takes a message group id of 1 to 128 characters, letters, digits and punctuation only: a conversation
    key holding anything else (a space, an accent, 300 characters) must not make the whole body fail (a 503 that
    Meta retries for days, holding back the other messages with it), nor two people share a conversation."""
    import re

    from tests.integration.messaging_scenarios import messenger, messenger_message

    p = chat.pipeline
    odd = ["Ünï cödé", "x" * 300, "x" * 299 + "y"]
    messenger(chat, messenger_body(*(messenger_message(f"Hello {n}", f"mid.ODD{n}", sender=person)
                                     for n, person in enumerate(odd))))
    found = p.sqs.receive_message(QueueUrl=p.queue_url("MessagingInboundQueue"), MaxNumberOfMessages=10,
                                  AttributeNames=["All"])["Messages"]
    groups = [message["Attributes"]["MessageGroupId"] for message in found]
    assert len(groups) == 3 and all(re.fullmatch(r"[!-~]{1,128}", group) for group in groups), groups
    assert len(set(groups)) == 3
    for message in found:
        p.sqs.change_message_visibility(QueueUrl=p.queue_url("MessagingInboundQueue"),
                                        ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    p.dispatcher.drain()
    assert len(tickets(p)) == 3
