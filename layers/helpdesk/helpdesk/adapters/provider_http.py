"""Sending on messaging channels over the providers' HTTP APIs: WhatsApp Cloud, Messenger/Instagram (the Send API)
and Twilio. The request bodies come from the channel modules; this module adds the base URL (configurable, so the
local stack and the tests point it at their fake providers), the credentials (only ever to that base URL) and the
HTTP call. The web chat widget has no provider: its visitor's page reads the ticket's public comments.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from helpdesk.channels.messaging.items import Identity, SendResult
from helpdesk.ports import MessagingTransport, OutboundMessage

TIMEOUT_SECONDS = 10.0


class MessagingCredentials:
    """The outbound credentials, a JSON secret read on first use: ``whatsapp_token`` (or ``whatsapp_tokens`` per
    phone number id), ``page_token`` (or ``page_tokens`` per page or Instagram account id), ``twilio_auth_token``
    (or ``twilio_auth_tokens`` per AccountSid)."""

    def __init__(self, client: Any, secret_id: str) -> None:
        self._client, self._id = client, secret_id
        self._cached: dict[str, Any] | None = None

    def _doc(self) -> dict[str, Any]:
        if self._cached is None:
            self._cached = dict(json.loads(self._client.get_secret_value(SecretId=self._id)["SecretString"]))
        return self._cached

    def token(self, kind: str, account: str) -> str:
        doc = self._doc()
        per_account = doc.get(f"{kind}s")
        if isinstance(per_account, Mapping) and isinstance(per_account.get(account), str):
            return str(per_account[account])
        return str(doc.get(kind) or "")


class HttpMessagingTransport(MessagingTransport):
    def __init__(self, credentials: MessagingCredentials, *, whatsapp_base: str, messenger_base: str,
                 twilio_base: str, public_api_url: str | None) -> None:
        import urllib3

        self._credentials = credentials
        self._bases = {"whatsapp": whatsapp_base.rstrip("/"), "messenger": messenger_base.rstrip("/"),
                       "twilio": twilio_base.rstrip("/")}
        self._public = public_api_url
        self._http = urllib3.PoolManager(num_pools=4, maxsize=8, retries=False,
                                         timeout=urllib3.Timeout(total=TIMEOUT_SECONDS))

    def send(self, channel: str, account: str, to: tuple[str, str], message: OutboundMessage) -> SendResult:
        person = Identity(*to)
        if channel == "web_widget":
            return SendResult(f"widget.{uuid.uuid4().hex}", "sent")  # the visitor's page reads the ticket
        if account.startswith("AC"):
            return self._twilio(account, person, message)
        if channel == "whatsapp":
            return self._whatsapp(account, person, message)
        if channel in ("facebook", "instagram_dm"):
            return self._messenger(account, person, message)
        return SendResult(None, "failed", None, f"no transport for {channel} account {account}")

    def _post_json(self, base: str, path: str, body: Mapping[str, Any], token: str) -> tuple[int, Any]:
        answer = self._http.request("POST", self._bases[base] + path, body=json.dumps(body).encode(),
                                    headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        try:
            return answer.status, json.loads(answer.data or b"{}")
        except ValueError:
            return answer.status, {}

    def _whatsapp(self, account: str, to: Identity, message: OutboundMessage) -> SendResult:
        from helpdesk.channels.messaging import whatsapp_send as wa

        if message.template:
            path, body = wa.build_template(account, to, message.template, message.template_language,
                                           message.template_parameters, message.correlation)
        elif message.buttons:
            path, body = wa.build_buttons(account, to, message.text, message.buttons, message.correlation)
        else:
            path, body = wa.build_text(account, to, message.text, message.correlation)
        status, answer = self._post_json("whatsapp", path, body, self._credentials.token("whatsapp_token", account))
        result = wa.read_response(status, answer)
        for link in message.media_urls if result.outcome == "sent" else ():
            path, body = wa.build_media(account, to, "document", link, None, message.correlation)
            self._post_json("whatsapp", path, body, self._credentials.token("whatsapp_token", account))
        return result

    def _messenger(self, account: str, to: Identity, message: OutboundMessage) -> SendResult:
        from helpdesk.channels.messaging import messenger_send as fb

        if message.buttons:
            path, body = fb.build_quick_replies(account, to, message.text, message.buttons, message.correlation,
                                                human_agent=message.human_agent)
        else:
            path, body = fb.build_text(account, to, message.text, message.correlation,
                                       human_agent=message.human_agent)
        token = self._credentials.token("page_token", account)
        result = fb.read_response(*self._post_json("messenger", path, body, token))
        for link in message.media_urls if result.outcome == "sent" else ():
            path, body = fb.build_attachment(account, to, "file", link, message.correlation,
                                             human_agent=message.human_agent)
            self._post_json("messenger", path, body, token)
        return result

    def _twilio(self, account: str, to: Identity, message: OutboundMessage) -> SendResult:
        from helpdesk.channels.messaging import twilio_send
        from helpdesk.channels.messaging.twilio import account_parts, status_callback_url

        sid, sender = account_parts(account)
        callback = (status_callback_url(self._public, message.correlation)
                    if self._public and message.correlation else None)
        text = message.text
        if message.buttons:  # no buttons by SMS (and only templates carry them on WhatsApp through Twilio)
            text = message.text
        request = twilio_send.build_message(sid, sender, to, text, message.media_urls, callback)
        token = self._credentials.token("twilio_auth_token", sid)
        basic = base64.b64encode(f"{sid}:{token}".encode()).decode()
        answer = self._http.request(request.method, self._bases["twilio"] + request.path,
                                    body=urlencode(request.form).encode(),
                                    headers={"Content-Type": "application/x-www-form-urlencoded",
                                             "Authorization": f"Basic {basic}"})
        return twilio_send.read_response(answer.status, answer.data or b"")
