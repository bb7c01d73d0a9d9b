"""The messaging channels on the in-process pipeline: fake providers on 127.0.0.1, known webhook secrets, and
builders of signed provider bodies."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.support import START, Pipeline

APP_SECRET = "test-meta-app-secret"
VERIFY_TOKEN = "test-verify-token"
TWILIO_TOKEN = "test-twilio-auth-token"
PHONE_NUMBER_ID = "106540352242922"
PAGE_ID = "1234567890"
TWILIO_ACCOUNT = "AC" + "a" * 32
TWILIO_NUMBER = "+14155238886"


@dataclass
class Chat:
    pipeline: Pipeline
    providers: Any  # helpdesk.local.fake_providers.FakeProviders

    def post_meta(self, path: str, body: dict[str, Any] | bytes, *, signature: str | None = None) -> Any:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        signed = signature if signature is not None else "sha256=" + hmac.new(
            APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signed}
        return self.pipeline.call("POST", path, raw, headers)

    def whatsapp(self, body: dict[str, Any] | bytes, **kwargs: Any) -> Any:
        answer = self.post_meta("/inbound/whatsapp", body, **kwargs)
        assert answer.status_code == 200, answer.body
        return json.loads(answer.body)

    def post_twilio(self, path: str, form: Sequence[tuple[str, str]], query: str = "") -> Any:
        from helpdesk.channels.messaging.twilio_signature import compute_signature

        url = f"https://helpdesk.test{path}" + (f"?{query}" if query else "")
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "X-Twilio-Signature": compute_signature(TWILIO_TOKEN, url, form)}
        return self.pipeline.call("POST", path + (f"?{query}" if query else ""), urlencode(form), headers)


def whatsapp_message(text: str, wamid: str, *, sender: str = "16315551181", bsuid: str | None = None,
                     at: int | None = None, name: str = "Dana", extra: dict[str, Any] | None = None,
                     ) -> dict[str, Any]:
    """One change's value with one text message (type text unless ``extra`` says otherwise)."""
    contact: dict[str, Any] = {"profile": {"name": name}, "wa_id": sender}
    message: dict[str, Any] = {"from": sender, "id": wamid, "timestamp": str(at or int(START.timestamp())),
                               "type": "text", "text": {"body": text}}
    if bsuid:
        contact["user_id"], message["from_user_id"] = bsuid, bsuid
    message.update(extra or {})
    return {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID},
            "contacts": [contact], "messages": [message]}


def whatsapp_status(wamid: str, status: str, *, at: int | None = None, correlation: str | None = None,
                    recipient: str = "16315551181") -> dict[str, Any]:
    entry: dict[str, Any] = {"id": wamid, "status": status, "timestamp": str(at or int(START.timestamp())),
                             "recipient_id": recipient}
    if correlation:
        entry["biz_opaque_callback_data"] = correlation
    return {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID},
            "statuses": [entry]}


def whatsapp_body(*values: dict[str, Any]) -> dict[str, Any]:
    """A webhook body with one entry holding one change per value."""
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": v} for v in values]}]}


@pytest.fixture
def chat(pipeline: Pipeline) -> Iterator[Chat]:
    import boto3

    from helpdesk.local.fake_providers import FakeProviders

    providers = FakeProviders().start()
    for spec in pipeline.stack.functions.values():
        for name, value in (("WHATSAPP_API_BASE", f"{providers.url}/v21.0"),
                            ("MESSENGER_API_BASE", f"{providers.url}/v21.0"), ("TWILIO_API_BASE", providers.url),
                            ("MESSAGING_AUTO_ACCOUNTS", "true")):
            if name in spec.env:
                spec.env[name] = value
    manager = boto3.client("secretsmanager", region_name="us-east-1")
    inbound = pipeline.stack.resources["InboundProviderSecret"]
    document = json.loads(manager.get_secret_value(SecretId=inbound)["SecretString"])
    manager.put_secret_value(SecretId=inbound, SecretString=json.dumps(
        {**document, "meta_app_secret": APP_SECRET, "meta_verify_token": VERIFY_TOKEN,
         "twilio_auth_token": TWILIO_TOKEN}))
    manager.put_secret_value(SecretId=pipeline.stack.resources["MessagingProviderSecret"], SecretString=json.dumps(
        {"whatsapp_token": "wa-token", "page_token": "page-token", "twilio_auth_token": TWILIO_TOKEN}))
    from helpdesk.services.messaging import channel_accounts

    channel_accounts._cache.forget()
    try:
        yield Chat(pipeline, providers)
    finally:
        providers.stop()
