"""Email through every provider: verified before anything is stored, never doubled, never looped."""

from __future__ import annotations

import base64
import email
import hashlib
import hmac
import json
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from typing import Any

import boto3
import pytest

from tests.support import Pipeline, make_email, sample

BOUNDARY = "xYzZY"


def _secret(p: Pipeline) -> dict[str, str]:
    client = boto3.client("secretsmanager", region_name="us-east-1")
    value = client.get_secret_value(SecretId=p.stack.resources["InboundProviderSecret"])["SecretString"]
    return dict(json.loads(value))


def _set_mailgun_key(p: Pipeline, key: str) -> None:
    from helpdesk import bootstrap

    client = boto3.client("secretsmanager", region_name="us-east-1")
    secret = {**_secret(p), "mailgun_signing_key": key}
    client.put_secret_value(SecretId=p.stack.resources["InboundProviderSecret"], SecretString=json.dumps(secret))
    bootstrap.reset()


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _form(fields: dict[str, str | bytes]) -> bytes:
    chunks = []
    for name, value in fields.items():
        data = value if isinstance(value, bytes) else value.encode()
        head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        chunks.append(head + data + b"\r\n")
    return b"".join(chunks) + f"--{BOUNDARY}--\r\n".encode()


def _sendgrid(p: Pipeline, raw: bytes, auth: str | None = None) -> Any:
    secret = _secret(p)
    body = _form({"email": raw, "envelope": '{"to":["support@example.com"],"from":"alice@customer.example"}',
                  "SPF": "pass", "dkim": "{@customer.example : pass}"})
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
               "Authorization": auth or _basic(secret["sendgrid_user"], secret["basic_auth_password"])}
    return p.call("POST", "/inbound/sendgrid", body, headers)


def _ses(p: Pipeline, raw: bytes, key: str, **verdicts: str) -> None:
    """SES stores the mail and notifies through SNS onto SesInboundQueue, which the dispatcher drains."""
    from tests.support import ses_receipt_event

    boto3.client("s3", region_name="us-east-1").put_object(Bucket=p.stack.env["RAW_MAIL_BUCKET"], Key=key, Body=raw)
    envelope = ses_receipt_event(key, **verdicts)["Records"][0]["body"]
    p.sqs.send_message(QueueUrl=p.queue_url("SesInboundQueue"), MessageBody=envelope)


def _tickets(p: Pipeline) -> list[dict[str, Any]]:
    return sorted(p.json("GET", "/api/v2/tickets.json")["tickets"], key=lambda t: t["id"])


def _comments(p: Pipeline, ticket_id: int) -> list[dict[str, Any]]:
    return list(p.json("GET", f"/api/v2/tickets/{ticket_id}/comments.json")["comments"])


def _sent(to: str | None = None) -> list[EmailMessage]:
    from moto.ses.models import ses_backends

    mails = [email.message_from_string(m.raw_data, policy=policy.default)
             for m in ses_backends["123456789012"]["us-east-1"].sent_messages]
    return [m for m in mails if to is None or to in str(m["To"])]


def test_the_same_mail_through_ses_and_sendgrid_makes_one_comment(pipeline: Pipeline) -> None:
    raw = sample("email_order_refund.eml")
    _ses(pipeline, raw, "inbound/ses/first")
    assert _sendgrid(pipeline, raw).status_code == 202
    assert _sendgrid(pipeline, raw).status_code == 202  # SendGrid retries too
    for _ in range(3):
        pipeline.dispatcher.drain()
    [ticket] = _tickets(pipeline)
    assert len(_comments(pipeline, ticket["id"])) == 1


def test_sendgrid_parsed_mode_from_the_shared_corpus(pipeline: Pipeline) -> None:
    from tests.support import corpus as corpus_path

    corpus = corpus_path("providers", "sendgrid", "default_data.txt")
    secret = _secret(pipeline)
    body = corpus.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    response = pipeline.call("POST", "/inbound/sendgrid", body, {
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Authorization": _basic(secret["sendgrid_user"], secret["basic_auth_password"])})
    assert response.status_code == 202, response.body
    pipeline.dispatcher.drain()
    [ticket] = _tickets(pipeline)
    assert ticket["subject"] == "Testing non-raw"


@pytest.mark.parametrize("auth", [None, "Basic " + base64.b64encode(b"sendgrid:wrong").decode(), "Bearer x"])
def test_sendgrid_without_the_right_credentials_gets_401_and_stores_nothing(pipeline: Pipeline,
                                                                           auth: str | None) -> None:
    body = _form({"email": sample("email_order_refund.eml")})
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    if auth:
        headers["Authorization"] = auth
    assert pipeline.call("POST", "/inbound/sendgrid", body, headers).status_code == 401
    _assert_nothing_stored(pipeline)


def _assert_nothing_stored(p: Pipeline) -> None:
    objects = boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket=p.stack.env["RAW_MAIL_BUCKET"])
    assert objects["KeyCount"] == 0
    assert p.messages("InboundQueue") == []


def _mailgun_fields(key: str, timestamp: int, raw: bytes) -> dict[str, str | bytes]:
    token = "a" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {"timestamp": str(timestamp), "token": token, "signature": signature, "body-mime": raw,
            "recipient": "support@example.com", "sender": "alice@customer.example"}


def test_a_mailgun_route_with_a_valid_signature_makes_a_ticket(pipeline: Pipeline) -> None:
    _set_mailgun_key(pipeline, "key-mailgun-test")
    now = int(pipeline.clock.now().timestamp())
    body = _form(_mailgun_fields("key-mailgun-test", now, sample("email_password_reset.eml")))
    response = pipeline.call("POST", "/inbound/mailgun/mime", body,
                             {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    assert response.status_code == 202, response.body
    pipeline.dispatcher.drain()
    assert len(_tickets(pipeline)) == 1


@pytest.mark.parametrize("case", ["forged", "stale", "unsigned", "not configured"])
def test_a_forged_or_stale_mailgun_post_gets_401_and_stores_nothing(pipeline: Pipeline, case: str) -> None:
    _set_mailgun_key(pipeline, "" if case == "not configured" else "key-mailgun-test")
    now = int(pipeline.clock.now().timestamp())
    fields = _mailgun_fields("key-forger" if case == "forged" else "key-mailgun-test",
                             now - 3600 if case == "stale" else now, sample("email_password_reset.eml"))
    if case == "unsigned":
        del fields["signature"]
    response = pipeline.call("POST", "/inbound/mailgun/mime", _form(fields),
                             {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    assert response.status_code == 401
    _assert_nothing_stored(pipeline)


def _post_mailgun(p: Pipeline, fields: dict[str, str | bytes]) -> Any:
    return p.call("POST", "/inbound/mailgun/mime", _form(fields),
                  {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})


def _stored_objects(p: Pipeline) -> int:
    listed = boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket=p.stack.env["RAW_MAIL_BUCKET"])
    return int(listed["KeyCount"])


def test_a_captured_mailgun_post_replayed_with_another_body_is_refused(pipeline: Pipeline) -> None:
    """Mailgun's advice: remember each token for the freshness window and refuse its reuse. 406 tells Mailgun
    not to retry: a token reused for other content never becomes acceptable."""
    _set_mailgun_key(pipeline, "key-mailgun-test")
    now = int(pipeline.clock.now().timestamp())
    captured = _mailgun_fields("key-mailgun-test", now, sample("email_password_reset.eml"))
    assert _post_mailgun(pipeline, captured).status_code == 202
    pipeline.dispatcher.drain()
    pipeline.clock.advance(timedelta(minutes=4))
    forged = make_email(message_id="forged@evil.example", sender="ceo@example.com", subject="Wire the money")
    for changed in ({**captured, "body-mime": forged}, {**captured, "recipient": "billing@example.com"},
                    {**captured, "X-Mailgun-Sflag": "No"}):
        response = _post_mailgun(pipeline, changed)
        assert response.status_code == 406, response.body
        assert "already used" in json.loads(response.body)["description"]
    assert _stored_objects(pipeline) == 1 and pipeline.messages("InboundQueue") == []
    pipeline.dispatcher.drain()
    [ticket] = _tickets(pipeline)
    assert ticket["subject"] != "Wire the money"


def test_the_same_mailgun_post_twice_is_accepted_twice_and_makes_one_ticket(pipeline: Pipeline) -> None:
    _set_mailgun_key(pipeline, "key-mailgun-test")
    fields = _mailgun_fields("key-mailgun-test", int(pipeline.clock.now().timestamp()),
                             sample("email_password_reset.eml"))
    assert _post_mailgun(pipeline, fields).status_code == 202
    pipeline.clock.advance(timedelta(minutes=1))
    assert _post_mailgun(pipeline, fields).status_code == 202
    pipeline.dispatcher.drain()
    [ticket] = _tickets(pipeline)
    assert len(_comments(pipeline, ticket["id"])) == 1


def test_the_token_ledger_forgets_a_token_after_its_window(pipeline: Pipeline) -> None:
    ledger = pipeline.deps().signed_tokens
    assert ledger.admit("t" * 50, "first", 600) and ledger.admit("t" * 50, "first", 600)
    assert not ledger.admit("t" * 50, "second", 600)
    pipeline.clock.advance(timedelta(minutes=11))  # TTL deletes late: an expired item is overwritten, not obeyed
    assert ledger.admit("t" * 50, "second", 600) and not ledger.admit("t" * 50, "first", 600)


def test_a_mailgun_retry_after_a_failed_enqueue_is_accepted(pipeline: Pipeline,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The token is recorded before the mail is queued; when queueing fails, Mailgun's retry of the same post
    (same token, same body) must still get in."""
    from helpdesk.adapters.sqs import SqsInboundQueue

    _set_mailgun_key(pipeline, "key-mailgun-test")
    fields = _mailgun_fields("key-mailgun-test", int(pipeline.clock.now().timestamp()),
                             sample("email_password_reset.eml"))
    real_send = SqsInboundQueue.send

    def unavailable(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("SQS is unavailable")

    monkeypatch.setattr(SqsInboundQueue, "send", unavailable)
    assert _post_mailgun(pipeline, fields).status_code == 500
    monkeypatch.setattr(SqsInboundQueue, "send", real_send)
    assert _post_mailgun(pipeline, fields).status_code == 202
    pipeline.dispatcher.drain()
    assert len(_tickets(pipeline)) == 1


def test_malformed_provider_bodies_get_400_with_a_reason(pipeline: Pipeline) -> None:
    secret = _secret(pipeline)
    auth = _basic(secret["postmark_user"], secret["basic_auth_password"])
    response = pipeline.call("POST", "/inbound/postmark", b"{not json",
                             {"Content-Type": "application/json", "Authorization": auth})
    assert response.status_code == 400 and json.loads(response.body)["description"]
    sendgrid_auth = _basic(secret["sendgrid_user"], secret["basic_auth_password"])
    truncated = _form({"email": b"x"})[:-12]
    response = pipeline.call("POST", "/inbound/sendgrid", truncated, {
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Authorization": sendgrid_auth})
    assert response.status_code == 400 and json.loads(response.body)["description"]
    _assert_nothing_stored(pipeline)


def test_postmark_with_basic_auth_makes_a_ticket(pipeline: Pipeline) -> None:
    secret = _secret(pipeline)
    payload = {"From": "dana@customer.example", "FromFull": {"Email": "dana@customer.example", "Name": "Dana"},
               "To": "support@example.com", "Subject": "Postmark hello", "MessageID": "pm-1",
               "Date": "Mon, 23 Nov 2026 08:00:00 +0000", "TextBody": "Hello from Postmark",
               "Headers": [{"Name": "Message-ID", "Value": "<pm-1@customer.example>"}], "Attachments": []}
    response = pipeline.call("POST", "/inbound/postmark", json.dumps(payload), {
        "Content-Type": "application/json", "Authorization": _basic(secret["postmark_user"],
                                                                    secret["basic_auth_password"])})
    assert response.status_code == 202, response.body
    pipeline.dispatcher.drain()
    [ticket] = _tickets(pipeline)
    assert ticket["subject"] == "Postmark hello"


def _acknowledge_trigger(p: Pipeline) -> None:
    p.json("POST", "/api/v2/triggers.json", json.loads(sample("api_trigger_acknowledge.json")), expect=201)


def test_the_bounce_of_our_notification_lands_on_its_ticket_and_is_not_answered(pipeline: Pipeline) -> None:
    _acknowledge_trigger(pipeline)
    pipeline.json("POST", "/api/v2/triggers.json", {"trigger": {
        "title": "Tell the requester about every update", "conditions": {"all": [
            {"field": "update_type", "operator": "is", "value": "Change"}], "any": []},
        "actions": [{"field": "notification_user", "value": ["requester_id", "Update", "Updated"]}]}}, expect=201)
    pipeline.email(make_email(message_id="q@gone.example", sender="ghost@gone.example"))
    pipeline.dispatcher.drain()
    [ack] = _sent("ghost@gone.example")
    bounce = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\nTo: support@example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce-1@mx.example.com>\r\n"
        "Date: Mon, 23 Nov 2026 09:05:00 +0000\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
        "Final-Recipient: rfc822; ghost@gone.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {ack['Message-ID']}\r\n"
        "Subject: x\r\n--b--\r\n").encode()
    pipeline.email(bounce)
    pipeline.dispatcher.drain()
    [ticket] = _tickets(pipeline)
    notes = _comments(pipeline, ticket["id"])
    assert len(notes) == 2 and notes[1]["public"] is False and "5.1.1" in notes[1]["body"]
    assert ticket["status"] == "new"  # a bounce reopens nothing
    assert len(_sent("ghost@gone.example")) == 1  # and nothing answered it
    ghost = pipeline.deps().users.find_by_email("ghost@gone.example")
    assert ghost is not None and ghost.bouncing


def test_an_auto_reply_is_recorded_but_never_answered_and_never_opens_a_ticket(pipeline: Pipeline) -> None:
    _acknowledge_trigger(pipeline)
    pipeline.email(make_email(message_id="ooo@customer.example", subject="Out of Office: back Monday",
                              extra="Auto-Submitted: auto-replied"))
    pipeline.dispatcher.drain()
    assert _tickets(pipeline) == [] and _sent() == []
    pipeline.email(make_email(message_id="real@customer.example"))
    pipeline.dispatcher.drain()
    [ack] = _sent()
    pipeline.email(make_email(message_id="ooo2@customer.example", subject="Automatic reply: Help",
                              in_reply_to=ack["Message-ID"].strip("<>"), extra="Auto-Submitted: auto-replied"))
    pipeline.dispatcher.drain()
    [ticket] = _tickets(pipeline)
    comments = _comments(pipeline, ticket["id"])
    assert len(comments) == 2 and comments[1]["public"] is False
    assert len(_sent()) == 1


def test_a_ping_pong_with_an_auto_responder_stops_at_the_rate_limit(pipeline: Pipeline) -> None:
    from helpdesk.services.notifications import PER_TICKET_LIMIT

    pipeline.json("POST", "/api/v2/triggers.json", {"trigger": {
        "title": "Answer every requester mail", "conditions": {"all": [
            {"field": "comment_is_public", "operator": "is", "value": "true"},
            {"field": "role", "operator": "is", "value": "end_user"}], "any": []},
        "actions": [{"field": "notification_user", "value": ["requester_id", "Got it", "Thanks, we got it."]}]}},
        expect=201)
    # A robot that answers every mail it receives, without saying it is automatic.
    pipeline.email(make_email(message_id="robot-0@robot.example", sender="robot@robot.example"))
    pipeline.dispatcher.drain()
    answered: set[str] = set()
    for round_ in range(1, 15):
        ours = [m for m in _sent("robot@robot.example") if m["Message-ID"] not in answered]
        if not ours:
            break
        for mail in ours:
            answered.add(mail["Message-ID"])
            pipeline.email(make_email(message_id=f"robot-{round_}-{len(answered)}@robot.example",
                                      sender="robot@robot.example", subject=f"Re: {mail['Subject']}",
                                      in_reply_to=mail["Message-ID"].strip("<>")))
        pipeline.dispatcher.drain()
    assert len(_sent("robot@robot.example")) == PER_TICKET_LIMIT
    assert len(_tickets(pipeline)) == 1


def test_a_spoofed_sender_is_never_threaded_into_their_ticket(pipeline: Pipeline) -> None:
    pipeline.email(make_email(message_id="orig@customer.example"))
    pipeline.dispatcher.drain()
    [ticket] = _tickets(pipeline)
    forged = make_email(message_id="forged@evil.example", subject=f"Re: Help with my order [#{ticket['id']}]",
                        in_reply_to="orig@customer.example")
    _ses(pipeline, forged, "inbound/ses/forged", dmarc="FAIL")
    for _ in range(2):
        pipeline.dispatcher.drain()
    tickets = _tickets(pipeline)  # suspended as Zendesk suspends it (tests/integration/test_suspended_tickets_api.py)
    assert len(tickets) == 1 and len(_comments(pipeline, ticket["id"])) == 1
    [held] = pipeline.json("GET", "/api/v2/suspended_tickets.json")["suspended_tickets"]
    assert held["cause"] == "Failed DMARC authentication" and held["message_id"] == "forged@evil.example"


def test_the_recipient_address_chooses_group_brand_sender_and_signature(pipeline: Pipeline) -> None:
    boto3.client("ses", region_name="us-east-1").verify_domain_identity(Domain="example.com")  # as the admin does
    pipeline.json("POST", "/api/v2/recipient_addresses.json", {"recipient_address": {
        "email": "sellers@example.com", "name": "Seller Support", "group_id": 7, "brand_id": 3,
        "signature": "The Seller Team"}}, expect=201)
    raw = make_email(message_id="seller@shop.example", sender="sam@shop.example").replace(
        b"To: support@example.com", b"To: sellers@example.com\r\nCc: Pat <pat@shop.example>, support@example.com")
    pipeline.email(raw)
    pipeline.dispatcher.drain()
    [ticket] = _tickets(pipeline)
    assert (ticket["group_id"], ticket["brand_id"], ticket["recipient"]) == (7, 3, "sellers@example.com")
    pat = pipeline.deps().users.find_by_email("pat@shop.example")
    assert pat is not None and ticket["collaborator_ids"] == [pat.id]
    pipeline.json("PUT", f"/api/v2/tickets/{ticket['id']}.json",
                  {"ticket": {"comment": {"body": "We are on it.", "public": True}}})
    pipeline.dispatcher.drain()
    [reply] = _sent("sam@shop.example")
    assert reply["From"].addresses[0].addr_spec == "sellers@example.com"
    body = reply.get_content()
    assert "We are on it." in body and "The Seller Team" in body
    assert "> My parcel has not arrived." in body  # the quoted history


def test_mail_from_our_own_address_is_dropped(pipeline: Pipeline) -> None:
    response = pipeline.email(make_email(message_id="self@example.com", sender="support@example.com"))
    assert response["queued"] is False and "loop" in response["dropped"]


def test_an_agent_reply_carries_its_uploaded_attachment(pipeline: Pipeline) -> None:
    pipeline.email(make_email(message_id="needs-file@customer.example"))
    pipeline.dispatcher.drain()
    headers = {**pipeline.auth, "Content-Type": "application/pdf"}
    response = pipeline.call("POST", "/api/v2/uploads.json?filename=invoice.pdf", b"%PDF-1.4 fake", headers)
    assert response.status_code == 201, response.body
    token = json.loads(response.body)["upload"]["token"]
    bad = pipeline.call("PUT", "/api/v2/tickets/1.json", {"ticket": {"comment": {"body": "x", "uploads": ["nope"]}}})
    assert bad.status_code == 400 and "nope" in json.loads(bad.body)["description"]
    pipeline.json("PUT", "/api/v2/tickets/1.json",
                  {"ticket": {"comment": {"body": "Here is your invoice.", "uploads": [token]}}})
    pipeline.dispatcher.drain()
    [reply] = _sent("dana@customer.example")
    [attached] = list(reply.iter_attachments())
    assert attached.get_filename() == "invoice.pdf" and attached.get_content() == b"%PDF-1.4 fake"


THREADING_FIXTURES = ["in_reply_to.eml", "references.eml", "multiple_in_reply_to.eml", "reply.eml",
                      "support_in_reply_to.eml", "mail_with_references.eml", "reply_mail_without_uuid.eml"]


@pytest.mark.parametrize("name", THREADING_FIXTURES)
def test_the_chatwoot_threading_fixtures_thread_into_their_ticket(pipeline: Pipeline, name: str) -> None:
    from tests.support import corpus

    fixture = corpus("eml_chatwoot", name)
    pipeline.email(make_email(message_id="4e6e35f5a38b4_479f13bb90078178@small-app-01.mail",
                              sender="sony@chatwoot.com", subject="Let's debate these attachments"))
    pipeline.dispatcher.drain()
    pipeline.email(fixture.read_bytes())
    pipeline.dispatcher.drain()
    [ticket] = _tickets(pipeline)
    assert len(_comments(pipeline, ticket["id"])) == 2


def test_list_mail_opens_a_ticket_but_is_never_answered_automatically(pipeline: Pipeline) -> None:
    _acknowledge_trigger(pipeline)
    pipeline.email(make_email(message_id="list-1@lists.example", extra="List-Id: <support.lists.example>\r\n"
                                                                        "Precedence: list"))
    pipeline.dispatcher.drain()
    assert len(_tickets(pipeline)) == 1
    assert _sent() == []


def test_a_delivery_failure_is_recorded_on_the_comment_and_retried_to_the_dead_letter_queue(
        pipeline: Pipeline) -> None:
    pipeline.json("POST", "/api/v2/recipient_addresses.json", {"recipient_address": {
        "email": "unverified@other.example", "name": "Other"}}, expect=201)  # SES will refuse to send from it
    raw = make_email(message_id="to-other@customer.example").replace(b"To: support@example.com",
                                                                     b"To: unverified@other.example")
    pipeline.email(raw)
    pipeline.dispatcher.drain()
    pipeline.json("PUT", "/api/v2/tickets/1.json", {"ticket": {"comment": {"body": "Answer", "public": True}}})
    for _ in range(6):
        pipeline.dispatcher.drain()
    comments = _comments(pipeline, 1)
    delivery = comments[-1]["metadata"]["delivery"]
    assert delivery["status"] == "failed" and "authority" in delivery["error"]
    assert len(pipeline.messages("NotifyDeadLetterQueue")) == 1


@pytest.mark.parametrize(("path", "body", "status"), [
    ("/api/v2/uploads.json", b"data", 400),  # no filename
    ("/api/v2/uploads.json?filename=empty.pdf", b"", 400),
])
def test_bad_uploads_get_a_4xx_with_a_reason(pipeline: Pipeline, path: str, body: bytes, status: int) -> None:
    response = pipeline.call("POST", path, body, {**pipeline.auth, "Content-Type": "application/pdf"})
    assert response.status_code == status and json.loads(response.body)["description"]
    objects = boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket=pipeline.stack.env["RAW_MAIL_BUCKET"])
    assert objects["KeyCount"] == 0


@pytest.mark.parametrize("address", [{"email": "not-an-address"}, {"email": "x@example.com", "group_id": "seven"}])
def test_invalid_recipient_addresses_get_422_with_a_reason(pipeline: Pipeline, address: dict[str, str]) -> None:
    response = pipeline.call("POST", "/api/v2/recipient_addresses.json", {"recipient_address": address})
    assert response.status_code == 422 and json.loads(response.body)["description"]
    assert pipeline.json("GET", "/api/v2/recipient_addresses.json")["recipient_addresses"] == []
