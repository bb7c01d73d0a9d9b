"""Random, truncated and mistyped provider bodies: only InvalidInput or InvalidSignature ever come out."""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import hmac
import json
import random
from collections.abc import Callable
from typing import Any

from helpdesk.channels.email.providers.formdata import FormValue, encode_form_data, parse_form_data
from helpdesk.channels.email.providers.mailgun import mailgun_delivery
from helpdesk.channels.email.providers.postmark import postmark_delivery
from helpdesk.channels.email.providers.sendgrid import sendgrid_delivery
from helpdesk.channels.email.providers.ses import notification_from_json, ses_delivery
from helpdesk.domain.errors import InvalidInput, InvalidSignature
from tests.support import CORPORA, corpus

PROVIDERS = CORPORA / "providers"  # the SendGrid samples join the generated ones when the corpora are present
KEY = "fuzz-key"
NOW = 1_700_000_000.0
CT = "multipart/form-data; boundary=xYzZY"
ODD_VALUES: list[Any] = [None, 0, -1.5, True, "", "\ud800", "x" * 3, [], {}, [1, "a"], {"a": None}]


def _expect_clean(call: Callable[..., object], *args: object) -> None:
    with contextlib.suppress(InvalidInput, InvalidSignature):
        call(*args)


def _samples() -> list[bytes]:
    folder = PROVIDERS / "sendgrid"
    files = sorted(folder.glob("*.txt")) if folder.is_dir() else []
    body, _ = encode_form_data([FormValue("from", b"a@b"), FormValue("attachment1", bytes(range(256)), "f.bin")],
                               boundary="xYzZY")
    return [p.read_bytes() for p in files] + [body]


def _mutations(rng: random.Random, data: bytes, count: int) -> list[bytes]:
    out = [data[:cut] for cut in range(0, len(data), max(1, len(data) // 60))]
    for _ in range(count):
        mutable = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            position = rng.randrange(len(mutable)) if mutable else 0
            choice = rng.random()
            if choice < 0.4 and mutable:
                mutable[position] = rng.randrange(256)
            elif choice < 0.7:
                mutable[position:position] = rng.choice([b"\r\n", b"--xYzZY", b'"', b";", b"\n\n", b"\x00", b"=?"])
            else:
                del mutable[position : position + rng.randint(1, 40)]
        out.append(bytes(mutable))
    return out + [rng.randbytes(rng.randint(0, 300)) for _ in range(count // 4)]


def test_form_posts_never_raise_anything_else() -> None:
    rng = random.Random(20240611)
    for sample in _samples():
        for body in _mutations(rng, sample, 150):
            _expect_clean(parse_form_data, body, CT)
            _expect_clean(sendgrid_delivery, body, CT)
            _expect_clean(mailgun_delivery, body, CT, KEY, NOW)


def test_random_content_types_never_raise_anything_else() -> None:
    rng = random.Random(3)
    body = _samples()[-1]
    alphabet = [chr(c) for c in range(32, 127)] + ["é", "\ud800", "\x00", "\u2028", "\t"]
    for _ in range(500):
        prefix = rng.choice(["multipart/form-data; boundary=", "application/x-www-form-urlencoded;", ""])
        suffix = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        _expect_clean(parse_form_data, body, prefix + suffix)


def test_signed_mailgun_posts_with_random_fields_never_raise_anything_else() -> None:
    rng = random.Random(7)
    stamp, token = str(int(NOW)), "tok"
    signature = hmac.new(KEY.encode(), (stamp + token).encode(), hashlib.sha256).hexdigest()
    names = ["from", "sender", "subject", "body-plain", "body-html", "message-headers", "content-id-map",
             "attachment-1", "attachment-x", "body-mime", "recipient", "To", "Message-Id", "X-Mailgun-Spf"]
    for _ in range(300):
        values = [FormValue("timestamp", stamp.encode()), FormValue("token", token.encode()),
                  FormValue("signature", signature.encode())]
        for name in rng.sample(names, rng.randint(0, len(names))):
            value = rng.choice([rng.randbytes(rng.randint(0, 40)), json.dumps(rng.choice(ODD_VALUES)).encode(),
                                b'[["Message-Id", "<a@b>"]]', b"a@b.com"])
            values.append(FormValue(name, value, rng.choice([None, "f\u00e9.bin"]), rng.choice([None, "x/y", "bad"])))
        body, content_type = encode_form_data(values)
        _expect_clean(mailgun_delivery, body, content_type, KEY, NOW)


def _mistyped(rng: random.Random, value: Any, depth: int = 0) -> Any:
    if rng.random() < 0.15:
        return rng.choice(ODD_VALUES)
    if isinstance(value, dict) and depth < 6:
        return {k: _mistyped(rng, v, depth + 1) for k, v in value.items() if rng.random() > 0.1}
    if isinstance(value, list) and depth < 6:
        return [_mistyped(rng, v, depth + 1) for v in value]
    return value


def test_postmark_payloads_never_raise_anything_else() -> None:
    rng = random.Random(11)
    folder = corpus("providers", "postmark")
    for path in sorted(folder.glob("*.json")):
        payload = json.loads(path.read_bytes())
        for body in _mutations(rng, path.read_bytes(), 100):
            _expect_clean(postmark_delivery, body)
        for _ in range(300):
            _expect_clean(postmark_delivery, json.dumps(_mistyped(rng, payload)).encode())


def _unwrap_and_deliver(body: str, fetch: Callable[[str, str], bytes]) -> None:
    ses_delivery(notification_from_json(body), fetch)


def test_ses_notifications_never_raise_anything_else() -> None:
    rng = random.Random(5)
    raw = b"From: a@b\r\nSubject: s\r\n\r\nbody"
    notification = {
        "notificationType": "Received",
        "mail": {"messageId": "m1", "destination": ["x@y"]},
        "receipt": {"recipients": ["x@y"], "spfVerdict": {"status": "PASS"}, "spamVerdict": {"status": "FAIL"},
                    "action": {"type": "SNS", "encoding": "BASE64"}},
        "content": base64.b64encode(raw).decode(),
    }
    envelope = {"Type": "Notification", "Message": json.dumps(notification)}

    def fetch(bucket: str, key: str) -> bytes:
        return raw

    for _ in range(400):
        mistyped = _mistyped(rng, copy.deepcopy(notification))
        _expect_clean(ses_delivery, mistyped, fetch)
        wrapped = _mistyped(rng, envelope)
        _expect_clean(_unwrap_and_deliver, json.dumps(wrapped), fetch)
    for body in _mutations(rng, json.dumps(envelope).encode(), 100):
        _expect_clean(notification_from_json, body)
