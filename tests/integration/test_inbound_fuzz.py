"""Property-based: the inbound endpoints (raw mail, SendGrid, Mailgun, Postmark) and the survey page, sent
generated mail, forms and JSON with valid credentials (and some without), answer below 500 with a reason for
every 4xx, and raise nothing. What they accept is then carried through the queues: every record either makes
its ticket or dies with its cause logged (see test_queue_fuzz.py for the property).

One stack serves the module; Mailgun posts are signed with a fresh token each, as Mailgun signs them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from email import message_from_bytes, policy

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import DataObject

from tests.fuzz_inputs import SAMPLE_BODIES, SEGMENTS, TRICKY_STRINGS, broken, huge_strings, json_bodies
from tests.integration.test_api_fuzz import assert_answered, send
from tests.support import LogLines, Pipeline, dynamodb_key_limits, sample

FUZZ = settings(max_examples=40, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
MAILGUN_KEY = "key-fuzz"
MAIL_TRICKS = (
    "(" * 500, "<" * 500, '"' * 500, "\\" * 300, "(((a@b)))", "=?utf-8?b?////?=", "=?x-unknown?q?abc?=",
    "=?utf-8?q?" + "=FF" * 100 + "?=", "a@b, " * 1000, "<>", "<@>", "undisclosed-recipients:;", "x@[127.0.0.1]",
    "Dana <dana@c.example>", "<ticket-1.abc@example.com>", "[#1] Re: help", "multipart/mixed; boundary=",
    "auto-replied",
)
HEADER_NAMES = ("From", "To", "Cc", "Subject", "Message-ID", "In-Reply-To", "References", "Content-Type",
                "Content-Transfer-Encoding", "Auto-Submitted", "Date", "Reply-To", "Sender", "Return-Path",
                "X-Helpdesk-Loop", "Content-Disposition", "Received-SPF", "Authentication-Results")
header_values = st.one_of(st.sampled_from(MAIL_TRICKS), st.sampled_from(TRICKY_STRINGS), st.text(max_size=40),
                          huge_strings)
field_values = st.one_of(header_values, st.binary(max_size=40))


@pytest.fixture(scope="module", autouse=True)
def strict_keys() -> Iterator[None]:
    """DynamoDB's key limits on reads too, as the real service has them."""
    with dynamodb_key_limits():
        yield


@st.composite
def mails(draw: st.DrawFn) -> bytes:
    """A sample mail with headers replaced or added, its body replaced, or bytes that are no mail at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=200))
    raw = sample(draw(st.sampled_from(("email_order_refund.eml", "email_invoice_question.eml",
                                       "email_password_reset.eml", "email_reply_order_refund.eml"))))
    head, _, body = raw.partition(b"\n\n") if b"\r\n\r\n" not in raw else raw.partition(b"\r\n\r\n")
    lines = head.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(HEADER_NAMES))
        lines = [line for line in lines if not line.lower().startswith(name.lower().encode() + b":")]
        value = draw(header_values).encode("utf-8", "surrogatepass")
        lines.insert(draw(st.integers(0, len(lines))), name.encode() + b": " + value)
    if draw(st.booleans()):
        body = draw(st.binary(max_size=100) | huge_strings.map(str.encode))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def multipart(fields: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = "fuzz-boundary-7f3a"
    chunks = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'.encode()
              + (b'; filename="f.bin"' if name.startswith("attachment") else b"") + b"\r\n\r\n" + value + b"\r\n"
              for name, value in fields]
    return b"".join(chunks) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def encoded(data: DataObject, fields: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    """The fields as multipart/form-data, url-encoded, or a body that is neither."""
    from urllib.parse import quote_from_bytes

    how = data.draw(st.sampled_from(("multipart", "multipart", "urlencoded", "garbage")))
    if how == "multipart":
        return multipart(fields)
    if how == "urlencoded":
        body = "&".join(f"{quote_from_bytes(n.encode())}={quote_from_bytes(v)}" for n, v in fields).encode()
        return body, "application/x-www-form-urlencoded"
    return data.draw(st.binary(max_size=100)), data.draw(st.sampled_from((
        "multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\u00e9",
        "application/x-www-form-urlencoded; charset=utf-16", "multipart/form-data; boundary=x")))


def form_fields(data: DataObject, names: tuple[str, ...]) -> list[tuple[str, bytes]]:
    chosen = data.draw(st.lists(st.sampled_from(names), max_size=8))
    return [(name, as_bytes(data.draw(field_values))) for name in chosen]


def as_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture(scope="module")
def inbound(module_pipeline: Pipeline) -> dict[str, str]:
    """The provider credentials of the stack (a Mailgun signing key set), and a survey link of ticket 1."""
    from helpdesk import bootstrap
    from helpdesk.domain.csat import sign_survey_token

    client = boto3.client("secretsmanager", region_name="us-east-1")
    secret_id = module_pipeline.stack.resources["InboundProviderSecret"]
    secret = {**json.loads(client.get_secret_value(SecretId=secret_id)["SecretString"]),
              "mailgun_signing_key": MAILGUN_KEY}
    client.put_secret_value(SecretId=secret_id, SecretString=json.dumps(secret))
    bootstrap.reset()
    module_pipeline.json("POST", "/api/v2/tickets.json", SAMPLE_BODIES["tickets"], expect=201)
    deps = module_pipeline.deps()
    token = sign_survey_token(deps.secrets.survey_secret(), 1, "fuzz", deps.clock.now().replace(year=2030))
    return {"sendgrid": basic(secret["sendgrid_user"], secret["basic_auth_password"]),
            "postmark": basic(secret["postmark_user"], secret["basic_auth_password"]), "survey": token}


def credentials(data: DataObject, good: str) -> dict[str, str]:
    chosen = data.draw(st.sampled_from((good, good, good, None, "Basic !!!", "Basic /w==", basic("x", "y"))))
    return {} if chosen is None else {"Authorization": chosen}


def post(p: Pipeline, path: str, body: bytes | str, headers: dict[str, str]) -> None:
    response = send(p, "POST", path, body, headers)
    assert_answered(response, "POST", path, body)
    if response.status_code == 202:
        assert_dead_letters_explained(p)


def assert_dead_letters_explained(p: Pipeline) -> None:
    """Carry what was queued through the functions; every message that ends on a dead-letter queue has its
    cause logged with its message id."""
    with LogLines() as log:
        p.dispatcher.drain()
    causes = {line.get("message_id") for line in log.lines() if line.get("level") == "ERROR" and line.get("cause")}
    for name, url in p.stack.resources.items():
        if name.endswith("DeadLetterQueue"):
            dead = p.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            for message in dead:
                p.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                assert message["MessageId"] in causes, (name, message["Body"][:300])


@FUZZ
@given(data=st.data())
def test_raw_mail(module_pipeline: Pipeline, inbound: dict[str, str], data: DataObject) -> None:
    auth = data.draw(st.sampled_from((module_pipeline.auth["Authorization"],) * 4 + (None, "Basic x")))
    headers = {"Content-Type": data.draw(st.sampled_from(("message/rfc822", "application/octet-stream",
                                                          "text/plain", "message/rfc822; charset=x")))}
    headers |= {} if auth is None else {"Authorization": auth}
    post(module_pipeline, "/inbound/email/raw", data.draw(mails()), headers)


SENDGRID_FIELDS = ("from", "to", "cc", "subject", "text", "html", "headers", "charsets", "envelope",
                   "attachment-info", "attachment1", "attachment2", "attachments", "SPF", "dkim", "spam_score",
                   "sender_ip", "email")


@FUZZ
@given(data=st.data())
def test_sendgrid(module_pipeline: Pipeline, inbound: dict[str, str], data: DataObject) -> None:
    fields = form_fields(data, SENDGRID_FIELDS)
    if data.draw(st.booleans()):
        fields.append(("email", data.draw(mails())))
    elif data.draw(st.booleans()):
        fields.append(("from", as_bytes(data.draw(header_values))))
    body, content_type = encoded(data, fields)
    post(module_pipeline, "/inbound/sendgrid", body,
         {"Content-Type": content_type, **credentials(data, inbound["sendgrid"])})


MAILGUN_FIELDS = ("from", "sender", "recipient", "To", "Cc", "subject", "body-plain", "body-html",
                  "stripped-text", "message-headers", "content-id-map", "Message-Id", "attachment-1",
                  "attachment-2", "attachment-count", "X-Mailgun-Spf", "X-Mailgun-Dkim-Check-Result",
                  "X-Mailgun-Sflag", "timestamp", "token", "signature")


@FUZZ
@given(data=st.data())
def test_mailgun(module_pipeline: Pipeline, inbound: dict[str, str], data: DataObject) -> None:
    fields = form_fields(data, MAILGUN_FIELDS)
    if data.draw(st.booleans()):  # Mailgun signs every post: most of them carry a valid, fresh signature
        timestamp, token = str(int(module_pipeline.clock.now().timestamp())), uuid.uuid4().hex
        signature = hmac.new(MAILGUN_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
        fields = [(n, v) for n, v in fields if n not in ("timestamp", "token", "signature")]
        fields += [("timestamp", timestamp.encode()), ("token", token.encode()), ("signature", signature.encode())]
    if data.draw(st.booleans()):
        fields.append(("body-mime", data.draw(mails())))
    body, content_type = encoded(data, fields)
    path = data.draw(st.sampled_from(("/inbound/mailgun", "/inbound/mailgun/mime")))
    post(module_pipeline, path, body, {"Content-Type": content_type})


@FUZZ
@given(data=st.data())
def test_postmark(module_pipeline: Pipeline, inbound: dict[str, str], data: DataObject) -> None:
    body = data.draw(st.one_of(broken(SAMPLE_BODIES["postmark"]).map(json.dumps),
                               json_bodies("/inbound/postmark")))
    content_type = data.draw(st.sampled_from(("application/json",) * 4 + ("text/plain",)))
    post(module_pipeline, "/inbound/postmark", as_bytes(body) if isinstance(body, str) else body,
         {"Content-Type": content_type, **credentials(data, inbound["postmark"])})


@FUZZ
@given(data=st.data())
def test_survey_page(module_pipeline: Pipeline, inbound: dict[str, str], data: DataObject) -> None:
    token = data.draw(st.one_of(st.just(inbound["survey"]), SEGMENTS,
                                st.integers(0, 60).map(lambda cut: inbound["survey"][:cut] + "x")))
    path = f"/surveys/{token}"
    if data.draw(st.booleans()):
        response = send(module_pipeline, "GET", path, None, {})
        assert_answered(response, "GET", path, None)
        return
    form = "&".join(f"{name}={value}" for name, value in data.draw(st.lists(st.tuples(
        st.sampled_from(("score", "comment", "x")), st.sampled_from(("good", "bad", "", *TRICKY_STRINGS))),
        max_size=4)))
    body = data.draw(st.one_of(st.just(form), json_bodies("/surveys/{token}"), st.binary(max_size=50)))
    content_type = data.draw(st.sampled_from(("application/x-www-form-urlencoded", "application/json",
                                              "text/plain")))
    response = send(module_pipeline, "POST", path, body, {"Content-Type": content_type})
    assert_answered(response, "POST", path, body)


def test_the_mail_the_fuzzing_starts_from_is_accepted(module_pipeline: Pipeline) -> None:
    """The samples the generated mail breaks are themselves good mail, so a refusal is the broken part's doing."""
    raw = sample("email_order_refund.eml")
    assert message_from_bytes(raw, policy=policy.default)["From"]
    response = module_pipeline.call("POST", "/inbound/email/raw", raw,
                                    {**module_pipeline.auth, "Content-Type": "message/rfc822"})
    assert response.status_code == 202, response.body
