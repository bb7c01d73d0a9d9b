"""Forged, missing and wrong-secret signatures on the four messaging webhooks, over more than a thousand generated
requests (seeded, so a failure replays): none is accepted, none answers 5xx, nothing is stored or queued. A Meta
signature computed over the raw bytes passes whatever they hold (emoji, accents, U+2028, escaped slashes, Meta's
escaped-unicode form or plain UTF-8); the same signature over a re-serialised body does not.

Every request goes to the Chalice app in-process (the API function's own environment), as API Gateway would hand
it over."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import boto3

from tests.integration.messaging_scenarios import (
    PSID,
    comments,
    messenger_body,
    messenger_message,
    queued,
    tickets,
    twilio_sms,
    twilio_status,
)
from tests.integration.messaging_support import APP_SECRET, TWILIO_TOKEN, Chat, whatsapp_body, whatsapp_message
from tests.support import Pipeline

PER_ENDPOINT = 300  # four endpoints: 1,200 forged requests
PUBLIC = "https://helpdesk.test"
TRICKY_TEXT = ("Café crème", "naïve façade", "😀👍🏽", "line\u2028separator", "para\u2029graph", "a/b\\c",
               "</script>", "\"quoted\"", "日本語のテキスト", "Ωμέγα", "\u00a0nbsp", "tab\there", "zero\u200bwidth")


@dataclass(frozen=True)
class Forged:
    case: str
    path: str  # with the query string, as received
    raw: bytes
    headers: dict[str, str]


def meta_sign(raw: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def twilio_sign(url: str, form: list[tuple[str, str]], token: str = TWILIO_TOKEN) -> str:
    from helpdesk.channels.messaging.twilio_signature import compute_signature

    return compute_signature(token, url, form)


def random_text(rng: random.Random) -> str:
    return " ".join(rng.choice(TRICKY_TEXT) for _ in range(rng.randint(1, 4)))


def serialise(document: Any, rng: random.Random) -> bytes:
    """JSON as a provider might write it: Meta's escaped-unicode form or plain UTF-8, compact or spaced, with or
    without escaped slashes."""
    text = json.dumps(document, ensure_ascii=rng.random() < 0.5,
                      separators=rng.choice(((",", ":"), (", ", ": "))))
    if rng.random() < 0.5:
        text = text.replace("/", "\\/")
    return text.encode("utf-8")


def reserialised(raw: bytes) -> bytes:
    """What a server that parses first and signs later would check: the parsed body written out again."""
    again = json.dumps(json.loads(raw), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return again if again != raw else json.dumps(json.loads(raw)).encode("utf-8")


def wrong_secrets(secret: str) -> list[str]:
    near = ["", " ", secret[:-1], secret + " ", " " + secret, secret.upper(), secret[::-1], "x" + secret[1:],
            secret + "\n", APP_SECRET, TWILIO_TOKEN, "test-verify-token"]
    return [wrong for wrong in near if wrong != secret]


def meta_forgeries(rng: random.Random, path: str, body_for: Callable[[random.Random, int], Any]) -> Iterator[Forged]:
    header = "X-Hub-Signature-256"
    for n in range(PER_ENDPOINT):
        raw = serialise(body_for(rng, n), rng)
        other = serialise(body_for(rng, n + 10_000), rng)
        right = meta_sign(raw)
        cases: dict[str, dict[str, str]] = {
            "missing": {},
            "empty": {header: ""},
            "prefix only": {header: "sha256="},
            "random digest": {header: "sha256=" + rng.randbytes(32).hex()},
            "wrong secret": {header: meta_sign(raw, rng.choice(wrong_secrets(APP_SECRET)))},
            "re-serialised body": {header: meta_sign(reserialised(raw))},
            "another body's signature": {header: meta_sign(other)},
            "truncated": {header: right[:-rng.randint(1, 20)]},
            "extended": {header: right + rng.choice(("0", "ff", " x"))},
            "one digit changed": {header: right[:-1] + ("0" if right[-1] != "0" else "1")},
            "legacy sha1 with the right secret": {
                header: "sha1=" + hmac.new(APP_SECRET.encode(), raw, hashlib.sha1).hexdigest()},
            "legacy header only": {"X-Hub-Signature": "sha1=" + hmac.new(
                APP_SECRET.encode(), raw, hashlib.sha1).hexdigest()},
            "signature of the body without its last byte": {header: meta_sign(raw[:-1])},
        }
        case = rng.choice(sorted(cases))
        yield Forged(f"meta {case}", path, raw, {"Content-Type": "application/json", **cases[case]})
        if rng.random() < 0.3:  # the right signature, then the body changed on the way
            tampered = raw.replace(b"}", b" }", 1) if rng.random() < 0.5 else raw + b"\n"
            yield Forged("meta body changed after signing", path, tampered,
                         {"Content-Type": "application/json", header: right})


def whatsapp_text(rng: random.Random, n: int) -> Any:
    return whatsapp_body(whatsapp_message(random_text(rng), f"wamid.forged{n}"))


def messenger_text(rng: random.Random, n: int) -> Any:
    return messenger_body(messenger_message(random_text(rng), f"mid.forged{n}"))


def twilio_forgeries(rng: random.Random, status: bool) -> Iterator[Forged]:
    path = "/inbound/twilio/status" if status else "/inbound/twilio"
    for n in range(PER_ENDPOINT):
        if status:
            form, query = twilio_status("SM" + f"{n:032x}", rng.choice(("sent", "delivered", "read")),
                                        correlation=f"t{n}c2")
        else:
            form, query = twilio_sms(random_text(rng), "SM" + f"{n:032x}"), ""
        target = path + (f"?{query}" if query else "")
        url = PUBLIC + target
        changed = list(form)
        index = rng.randrange(len(changed))
        changed[index] = (changed[index][0], changed[index][1] + "x")
        other_path = "/inbound/twilio" if status else "/inbound/twilio/status"
        cases: dict[str, tuple[str, list[tuple[str, str]], str | None]] = {  # (path sent, form sent, signature)
            "missing": (target, form, None),
            "empty": (target, form, ""),
            "random": (target, form, base64.b64encode(rng.randbytes(20)).decode()),
            "wrong token": (target, form, twilio_sign(url, form, rng.choice(wrong_secrets(TWILIO_TOKEN))
                                                      or "t")),
            "http instead of https": (target, form, twilio_sign(url.replace("https:", "http:"), form)),
            "the host, not the public URL": (target, form, twilio_sign("https://api.internal" + target, form)),
            "the other endpoint's URL": (target, form, twilio_sign(PUBLIC + other_path, form)),
            "a parameter changed after signing": (target, changed, twilio_sign(url, form)),
            "a parameter added after signing": (target, [*form, ("Extra", "1")], twilio_sign(url, form)),
            "a parameter removed after signing": (target, form[1:], twilio_sign(url, form)),
            "the query changed after signing": (path + "?c=t9c9", form, twilio_sign(url, form)),
            "signed as a JSON body": (target, form, twilio_sign(url + ("&" if "?" in url else "?")
                                                                + "bodySHA256=" + hashlib.sha256(
                                                                    urlencode(form).encode()).hexdigest(), [])),
        }
        case = rng.choice(sorted(cases))
        sent_path, sent_form, signature = cases[case]
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        yield Forged(f"twilio {case}", sent_path, urlencode(sent_form).encode(), headers)


def stored_raw_bodies(p: Pipeline) -> int:
    bucket = p.stack.functions["ApiFunction"].env["RAW_MAIL_BUCKET"]
    listed = boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket=bucket, Prefix="inbound-messaging/")
    return int(listed.get("KeyCount", 0))


def test_forged_missing_and_wrong_secret_signatures_are_never_accepted(chat: Chat) -> None:
    p, rng = chat.pipeline, random.Random(20261123)
    requests = [*meta_forgeries(rng, "/inbound/whatsapp", whatsapp_text),
                *meta_forgeries(rng, "/inbound/messenger", messenger_text),
                *twilio_forgeries(rng, status=False), *twilio_forgeries(rng, status=True)]
    assert len(requests) >= 1000
    answers: Counter[tuple[str, int]] = Counter()
    for forged in requests:
        answers[(forged.case, p.call("POST", forged.path, forged.raw, forged.headers).status_code)] += 1
    accepted = {key: n for key, n in answers.items() if key[1] < 400}
    server_errors = {key: n for key, n in answers.items() if key[1] >= 500}
    assert accepted == {} and server_errors == {}
    assert {code for _, code in answers} == {401}  # each refused as a bad signature, not for another reason
    assert len({case for case, _ in answers}) >= 20  # every kind of forgery was tried
    assert queued(p, "MessagingInboundQueue") == 0 and queued(p, "MessagingInboundDeadLetterQueue") == 0
    assert stored_raw_bodies(p) == 0
    # the same generator's requests, rightly signed, are accepted: the refusals above are the signatures'
    for n in range(3):
        raw = serialise(whatsapp_text(rng, 90_000 + n), rng)
        ok = {"Content-Type": "application/json", "X-Hub-Signature-256": meta_sign(raw)}
        assert p.call("POST", "/inbound/whatsapp", raw, ok).status_code == 200
        form = twilio_sms(random_text(rng), "SM" + f"{90_000 + n:032x}")
        assert chat.post_twilio("/inbound/twilio", form).status_code == 200
    assert queued(p, "MessagingInboundQueue") == 6


def exact_bytes(text: str) -> dict[str, bytes]:
    """One WhatsApp and one Messenger body carrying ``text``, written by hand as Meta writes them: non-ASCII
    escaped as \\uXXXX (surrogate pairs for emoji) and slashes escaped; and the same in plain UTF-8."""
    escaped = json.dumps(text, ensure_ascii=True).replace("/", "\\/")
    plain = json.dumps(text, ensure_ascii=False)
    found: dict[str, bytes] = {}
    for form, value in (("escaped", escaped), ("utf-8", plain)):
        found[f"whatsapp {form}"] = (
            '{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{"field":"messages","value":'
            '{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881",'
            '"phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Ren\\u00e9e"},'
            f'"wa_id":"1631555118{len(found)}"}}],"messages":[{{"from":"1631555118{len(found)}",'
            f'"id":"wamid.exact.{form}","timestamp":"1795424400","type":"text","text":{{"body":{value}}}}}]}}}}]}}]}}'
        ).encode()
        found[f"messenger {form}"] = (
            '{"object":"page","entry":[{"id":"1234567890","time":1795424400000,"messaging":[{"sender":'
            f'{{"id":"{PSID}{len(found)}"}},"recipient":{{"id":"1234567890"}},"timestamp":1795424400000,'
            f'"message":{{"mid":"mid.exact.{form}","text":{value}}}}}]}}]}}'
        ).encode()
    return found


def test_a_signature_over_the_raw_bytes_passes_and_over_a_reserialised_body_is_refused(chat: Chat) -> None:
    p = chat.pipeline
    text = "Café 😀 naïve\u2028next line — a/b </script> \"q\""
    bodies = exact_bytes(text)
    for accepted, (name, raw) in enumerate(bodies.items()):
        assert json.loads(raw), name  # well-formed
        again = reserialised(raw)
        path = "/inbound/whatsapp" if name.startswith("whatsapp") else "/inbound/messenger"
        refused = p.call("POST", path, raw, {"Content-Type": "application/json",
                                             "X-Hub-Signature-256": meta_sign(again)})
        assert refused.status_code == 401, name
        assert queued(p, "MessagingInboundQueue") == accepted
        answer = p.call("POST", path, raw, {"Content-Type": "application/json", "X-Hub-Signature-256": meta_sign(raw)})
        assert answer.status_code == 200 and json.loads(answer.body)["queued"] == 1, (name, answer.body)
    p.dispatcher.drain()
    found = [comment["body"] for ticket in tickets(p) for comment in comments(p, int(ticket["id"]))]
    assert found == [text] * len(bodies)  # four people, each a ticket whose text is exactly what was signed
