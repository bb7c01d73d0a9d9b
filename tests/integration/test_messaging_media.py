"""Media a person sends on a messaging channel, through the real pipeline and the fake providers' HTTP: the comment
appears at once with its attachment pending, then the media step stores the bytes in S3 (or marks the attachment
failed with the reason); credentials only ever reach the provider's own host; the ticket never moves for it."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.integration.messaging_support import (
    PAGE_ID,
    Chat,
    whatsapp_body,
    whatsapp_message,
)
from tests.support import START, LogLines, Pipeline
from tests.twilio_forms import ACCOUNT, MEDIA_MESSAGE
from tests.twilio_forms import whatsapp as twilio_whatsapp

T0 = int(START.timestamp())
PICTURE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
MEDIA = "MessagingMediaFunction"


@pytest.fixture
def elsewhere() -> Iterator[Any]:
    """A second server on another port: a CDN, or an attacker's host."""
    from helpdesk.local.fake_providers import FakeProviders

    other = FakeProviders().start()
    try:
        yield other
    finally:
        other.stop()


def _image(media_id: str, *, sha256: str | None = None, caption: str = "the broken part") -> dict[str, Any]:
    image: dict[str, Any] = {"id": media_id, "mime_type": "image/png", "caption": caption}
    if sha256 is not None:
        image["sha256"] = sha256
    return {"type": "image", "image": image}


def _send_image(chat: Chat, media_id: str, **kwargs: Any) -> None:
    message = whatsapp_message("", "wamid.IMG1", at=T0 - 60, extra=_image(media_id, **kwargs))
    assert chat.whatsapp(whatsapp_body(message))["queued"] == 1


def _attachments(p: Pipeline, ticket: int = 1) -> list[dict[str, Any]]:
    comments = p.json("GET", f"/api/v2/tickets/{ticket}/comments.json")["comments"]
    return list(comments[0]["attachments"])


def _stored(p: Pipeline, key: str) -> bytes:
    return bytes(p.deps().raw_store.get(key))


def _b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_a_whatsapp_image_shows_at_once_pending_then_is_stored_with_its_bytes(chat: Chat) -> None:
    p = chat.pipeline
    chat.providers.add_media("1043577470245712", PICTURE, "image/png")
    _send_image(chat, "1043577470245712", sha256=_b64(PICTURE))
    with p.dispatcher.held(MEDIA):
        p.dispatcher.drain()
        comments = p.json("GET", "/api/v2/tickets/1/comments.json")["comments"]
        assert comments[0]["body"] == "the broken part"
        [pending] = comments[0]["attachments"]
        assert pending["status"] == "pending" and pending["key"] is None
        assert pending["content_url"] is None  # nothing to download yet
        assert p.call("GET", f"/api/v2/attachments/{pending['id']}/content").status_code == 404
        assert pending["media"] == {"kind": "image", "ref": "1043577470245712", "sha256": _b64(PICTURE)}
        assert chat.providers.fetched() == []
    before = p.json("GET", "/api/v2/tickets/1.json")["ticket"]
    triggers_run = p.dispatcher.invocations.get("TriggerEvalFunction", 0)
    p.dispatcher.drain()
    [stored] = _attachments(p)
    digest = hashlib.sha256(PICTURE).hexdigest()
    assert stored["status"] == "stored" and stored["attempts"] == 1
    assert stored["key"] == f"attachments/{digest}" and stored["sha256"] == digest
    assert stored["size"] == len(PICTURE) and stored["content_type"] == "image/png"
    assert _stored(p, stored["key"]) == PICTURE
    assert stored["content_url"] == f"https://helpdesk.test/api/v2/attachments/{stored['id']}/content"
    link = p.call("GET", stored["content_url"].removeprefix("https://helpdesk.test")).headers["Location"]
    assert requests.get(link, timeout=10).content == PICTURE  # the download link serves the stored bytes
    lookup, download = chat.providers.fetched()
    assert lookup.provider == "whatsapp_media" and lookup.path.startswith("/v21.0/1043577470245712?phone_number_id=")
    assert lookup.headers["authorization"] == download.headers["authorization"] == "Bearer wa-token"
    # the ticket did not move: no update, no trigger run, no SLA change
    assert p.json("GET", "/api/v2/tickets/1.json")["ticket"] == before
    assert p.dispatcher.invocations.get("TriggerEvalFunction", 0) == triggers_run


def test_a_download_that_keeps_failing_is_retried_then_marked_failed_and_the_text_stays(chat: Chat) -> None:
    p = chat.pipeline
    chat.providers.add_media("555", PICTURE, "image/png")
    chat.providers.fail_media("555", 500, times=20)
    _send_image(chat, "555", caption="see the photo")
    p.dispatcher.drain()
    comment = p.json("GET", "/api/v2/tickets/1/comments.json")["comments"][0]
    assert comment["body"] == "see the photo"
    [failed] = comment["attachments"]
    assert failed["status"] == "failed" and failed["reason"] == "provider_error" and failed["attempts"] == 5
    assert "HTTP 500" in failed["detail"] and failed["key"] is None
    assert len(chat.providers.fetched("whatsapp_media")) == 5  # one lookup per attempt, then no more
    assert p.messages("MessagingMediaDeadLetterQueue") == []  # recorded on the attachment, not dead-lettered
    assert p.messages("MessagingMediaQueue") == []


def test_a_download_refused_for_its_token_shows_on_the_channel_accounts_health(chat: Chat) -> None:
    p = chat.pipeline
    chat.providers.add_media("557", PICTURE, "image/png")
    chat.providers.fail_media("557", 401, times=20)  # the system user's token was revoked
    _send_image(chat, "557")
    p.dispatcher.drain()
    [failed] = _attachments(p)
    assert failed["status"] == "failed" and failed["reason"] == "unauthorized"
    [account] = [a for a in p.json("GET", "/api/v2/channel_accounts.json")["channel_accounts"]
                 if a["channel"] == "whatsapp"]
    assert account["health"]["token_state"] == "needs_reauthorisation"
    assert account["health"]["last_error"]["code"] == "unauthorized"


def test_a_download_that_fails_twice_is_stored_on_the_third_attempt(chat: Chat) -> None:
    p = chat.pipeline
    chat.providers.add_media("556", PICTURE, "image/png")
    chat.providers.fail_media("556", 404, times=2)  # Twilio and Meta media may 404 for a moment
    _send_image(chat, "556")
    p.dispatcher.drain()
    [stored] = _attachments(p)
    assert stored["status"] == "stored" and stored["attempts"] == 3
    assert _stored(p, stored["key"]) == PICTURE
    assert stored["content_url"] == f"https://helpdesk.test/api/v2/attachments/{stored['id']}/content"
    link = p.call("GET", stored["content_url"].removeprefix("https://helpdesk.test")).headers["Location"]
    assert requests.get(link, timeout=10).content == PICTURE  # the download link serves the stored bytes


@pytest.mark.parametrize("where", ["webhook", "media endpoint"])
def test_bytes_that_do_not_match_the_providers_sha256_are_marked_failed_and_not_stored(chat: Chat,
                                                                                     where: str) -> None:
    p = chat.pipeline
    other = hashlib.sha256(b"another picture").hexdigest()
    chat.providers.add_media("557", PICTURE, "image/png", sha256=other if where == "media endpoint" else None)
    _send_image(chat, "557", sha256=_b64(b"another picture") if where == "webhook" else None)
    p.dispatcher.drain()
    [failed] = _attachments(p)
    assert failed["status"] == "failed" and failed["reason"] == "sha256_mismatch" and failed["attempts"] == 1
    assert failed["key"] is None
    assert len(chat.providers.fetched("media")) == 1  # not downloaded again: the same bytes would come
    bucket = p.deps().settings.raw_mail_bucket
    found = p.deps()._client("s3").list_objects_v2(Bucket=bucket, Prefix="attachments/").get("KeyCount", 0)
    assert found == 0


def test_whatsapp_media_on_another_host_get_no_token(chat: Chat, elsewhere: Any) -> None:
    """The media endpoint names a URL on another host (not lookaside.fbsbx.com): fetched without the token."""
    p = chat.pipeline
    foreign = elsewhere.add_media("cdn1", PICTURE, "image/png", auth=False)
    chat.providers.add_media("558", PICTURE, "image/png", url=foreign)
    _send_image(chat, "558")
    p.dispatcher.drain()
    assert _attachments(p)[0]["status"] == "stored"
    [lookup] = chat.providers.fetched()
    [download] = elsewhere.fetched()
    assert lookup.headers["authorization"] == "Bearer wa-token"
    assert "authorization" not in download.headers


def test_a_redirect_to_another_host_is_followed_without_the_token(chat: Chat, elsewhere: Any) -> None:
    p = chat.pipeline
    foreign = elsewhere.add_media("cdn2", PICTURE, "image/png", auth=False)
    chat.providers.add_media("559", PICTURE, "image/png", redirect_to=foreign)
    _send_image(chat, "559")
    p.dispatcher.drain()
    assert _stored(p, _attachments(p)[0]["key"]) == PICTURE
    _, redirecting = chat.providers.fetched()
    [followed] = elsewhere.fetched()
    assert redirecting.headers["authorization"] == "Bearer wa-token"  # the provider's own host
    assert "authorization" not in followed.headers


def _messenger_image(url: str) -> dict[str, Any]:
    event = {"sender": {"id": "6100998877665544"}, "recipient": {"id": PAGE_ID}, "timestamp": (T0 - 60) * 1000,
             "message": {"mid": "m_IMG1", "attachments": [{"type": "image", "payload": {"url": url}}]}}
    return {"object": "page", "entry": [{"id": PAGE_ID, "time": (T0 - 60) * 1000, "messaging": [event]}]}


def test_a_messenger_attachment_is_fetched_without_credentials(chat: Chat) -> None:
    p = chat.pipeline
    url = chat.providers.add_media("fbcdn1", PICTURE, "image/jpeg", auth=False)
    answer = chat.post_meta("/inbound/messenger", _messenger_image(url))
    assert answer.status_code == 200, answer.body
    p.dispatcher.drain()
    [stored] = _attachments(p)
    assert stored["status"] == "stored" and stored["content_type"] == "image/jpeg"
    assert _stored(p, stored["key"]) == PICTURE
    assert stored["content_url"] == f"https://helpdesk.test/api/v2/attachments/{stored['id']}/content"
    link = p.call("GET", stored["content_url"].removeprefix("https://helpdesk.test")).headers["Location"]
    assert requests.get(link, timeout=10).content == PICTURE  # the download link serves the stored bytes
    [download] = chat.providers.fetched()
    assert "authorization" not in download.headers  # not even to Meta's own host: Messenger URLs need none


def _twilio_media(chat: Chat, url: str) -> None:
    form = twilio_whatsapp(Body="", NumMedia="1", MessageType="image", MessageSid=MEDIA_MESSAGE,
                           SmsMessageSid=MEDIA_MESSAGE, SmsSid=MEDIA_MESSAGE, MediaUrl0=url,
                           MediaContentType0="image/png")
    answer = chat.post_twilio("/inbound/twilio", sorted(form.items()))
    assert answer.status_code == 200, answer.body


def test_twilio_media_on_twilios_host_is_fetched_with_the_accounts_basic_auth(chat: Chat) -> None:
    p = chat.pipeline
    chat.providers.add_media("ME" + "1" * 32, PICTURE, "image/png")
    url = f"{chat.providers.url}/2010-04-01/Accounts/{ACCOUNT}/Messages/{MEDIA_MESSAGE}/Media/{'ME' + '1' * 32}"
    _twilio_media(chat, url)
    p.dispatcher.drain()
    assert _stored(p, _attachments(p)[0]["key"]) == PICTURE
    [download] = chat.providers.fetched("twilio_media")
    expected = base64.b64encode(f"{ACCOUNT}:test-twilio-auth-token".encode()).decode()
    assert download.headers["authorization"] == f"Basic {expected}"


def test_an_attackers_media_url_gets_no_credentials(chat: Chat, elsewhere: Any) -> None:
    """Chatwoot PR #15464: basic auth sent to any MediaUrl leaked the account's token. Here: 0 credentialed
    requests to a host that is not Twilio's, even on a path that looks like Twilio's."""
    p = chat.pipeline
    elsewhere.add_media("ME" + "2" * 32, PICTURE, "image/png", auth=False)
    url = f"{elsewhere.url}/2010-04-01/Accounts/{ACCOUNT}/Messages/{MEDIA_MESSAGE}/Media/{'ME' + '2' * 32}"
    _twilio_media(chat, url)
    p.dispatcher.drain()
    assert _attachments(p)[0]["status"] == "stored"
    assert elsewhere.fetched() and all("authorization" not in call.headers for call in elsewhere.fetched())


def test_a_redelivered_request_downloads_nothing_again(chat: Chat) -> None:
    p = chat.pipeline
    chat.providers.add_media("560", PICTURE, "image/png")
    _send_image(chat, "560")
    with p.dispatcher.held(MEDIA):
        p.dispatcher.drain()
        [message] = p.messages("MessagingMediaQueue")
        url = p.queue_url("MessagingMediaQueue")
        p.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
        p.sqs.send_message(QueueUrl=url, MessageBody=message["Body"])  # EventBridge delivers at least once
    p.dispatcher.drain()
    assert _attachments(p)[0]["status"] == "stored"
    assert len(chat.providers.fetched("media")) == 1


def test_media_over_the_size_cap_are_marked_too_large(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk.services.messaging import fetch_media

    monkeypatch.setattr(fetch_media, "MAX_MEDIA_BYTES", len(PICTURE) - 1)
    p = chat.pipeline
    url = chat.providers.add_media("fbcdn2", PICTURE, "image/jpeg", auth=False)
    assert chat.post_meta("/inbound/messenger", _messenger_image(url)).status_code == 200
    p.dispatcher.drain()
    [failed] = _attachments(p)
    assert failed["status"] == "failed" and failed["reason"] == "too_large" and failed["attempts"] == 1


def test_every_fetch_is_written_to_the_outbox_folder(chat: Chat, tmp_path: Any) -> None:
    chat.providers.folder = tmp_path
    chat.providers.add_media("561", PICTURE, "image/png")
    _send_image(chat, "561")
    chat.pipeline.dispatcher.drain()
    written = sorted(tmp_path.glob("*-fetch.json"))
    assert [json.loads(f.read_text())["method"] for f in written] == ["GET", "GET"]
    assert json.loads(written[0].read_text())["url"].startswith("/v21.0/561")


@pytest.mark.parametrize(("detail", "cause"), [
    ({"ticket_id": 1, "comment_id": 1, "channel": "whatsapp", "account": "1", "media": [{"kind": "image"}]},
     "each media of MediaRequested needs a ref"),
    ({"ticket_id": 1, "channel": "whatsapp", "account": "1", "media": []}, "needs a ticket_id and a comment_id"),
    ({"ticket_id": 99, "comment_id": 1, "channel": "whatsapp", "account": "1", "media": [{"ref": "1"}]},
     "comment 1 of ticket 99 does not exist"),
])
def test_a_media_request_that_cannot_be_handled_is_dead_lettered_with_its_cause(chat: Chat, detail: dict[str, Any],
                                                                                cause: str) -> None:
    p = chat.pipeline
    event = {"version": "0", "id": "e1", "detail-type": "MediaRequested", "source": "helpdesk", "detail": detail}
    p.sqs.send_message(QueueUrl=p.queue_url("MessagingMediaQueue"), MessageBody=json.dumps(event))
    with LogLines() as log:
        p.dispatcher.drain()
    [dead] = p.messages("MessagingMediaDeadLetterQueue")
    assert json.loads(dead["Body"])["detail"] == detail
    causes = [line["cause"] for line in log.lines() if line["level"] == "ERROR"]
    assert len(causes) == 5 and all(cause in logged for logged in causes)
    assert chat.providers.fetched() == []
