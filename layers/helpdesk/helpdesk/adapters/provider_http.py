"""Sending on messaging channels over the providers' HTTP APIs: WhatsApp Cloud, Messenger/Instagram (the Send API)
and Twilio. The request bodies come from the channel modules; this module adds the base URL (configurable, so the
local stack and the tests point it at their fake providers), the credentials (only ever to that base URL) and the
HTTP call. The web chat widget has no provider: its visitor's page reads the ticket's public comments.

Inbound media come back the same way (``HttpMediaDownloads``): WhatsApp's media id resolved to a URL with the
bearer token, Twilio's ``MediaUrl`` with the account's basic auth, Messenger's and Instagram's URLs with nothing;
each request, redirects included, carries the credentials only when its URL is the provider's own
(``channels.messaging.media``), and is read in chunks up to a size cap.
"""

from __future__ import annotations

import base64
import http.client
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode, urljoin

from helpdesk.channels.messaging.items import Identity, SendResult
from helpdesk.channels.messaging.media import TWILIO_API_HOSTS, WHATSAPP_MEDIA_HOSTS, may_carry_credentials, origin
from helpdesk.domain.errors import InvalidInput
from helpdesk.ports import (
    EndpointForbidden,
    MediaDownload,
    MediaDownloads,
    MediaUnavailable,
    MessagingTransport,
    OutboundMessage,
)

TIMEOUT_SECONDS = 10.0
MEDIA_TIMEOUT_SECONDS = 20.0  # to connect, and between two reads
MEDIA_DEADLINE_SECONDS = 60.0  # one media, redirects and all
MAX_MEDIA_REDIRECTS = 3
MAX_METADATA_BYTES = 64 * 1024
CHUNK_BYTES = 64 * 1024


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
        """What the provider answered; a message the provider could never take (too long, an address it cannot
        reach, a template that is not one) is ``failed`` with the code ``not_sendable``, with no call, for every
        caller (replies, notifications, survey offers): retrying it would only fill the dead-letter queue."""
        try:
            return self._send(channel, account, Identity(*to), message)
        except InvalidInput as refused:
            return SendResult(None, "failed", "not_sendable", str(refused))

    def _send(self, channel: str, account: str, person: Identity, message: OutboundMessage) -> SendResult:
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
        # No buttons by SMS (on WhatsApp through Twilio only templates carry them): the text says the choices.
        # Outside WhatsApp's window the account's approved template is a Content SID (HX...) with its variables.
        variables = ({str(i): value for i, value in enumerate(message.template_parameters, start=1)}
                     if message.template else None)
        request = twilio_send.build_message(sid, sender, to, "" if message.template else message.text,
                                            () if message.template else message.media_urls, callback,
                                            content_sid=message.template, content_variables=variables)
        token = self._credentials.token("twilio_auth_token", sid)
        basic = base64.b64encode(f"{sid}:{token}".encode()).decode()
        answer = self._http.request(request.method, self._bases["twilio"] + request.path,
                                    body=urlencode(request.form).encode(),
                                    headers={"Content-Type": "application/x-www-form-urlencoded",
                                             "Authorization": f"Basic {basic}"})
        return twilio_send.read_response(answer.status, answer.data or b"")


Credentials = tuple[str, Callable[[str], bool]]  # an Authorization value, and the URLs it may go to


class HttpMediaDownloads(MediaDownloads):
    def __init__(self, credentials: MessagingCredentials, *, whatsapp_base: str, twilio_base: str,
                 allow_private_sources: bool = False) -> None:
        from helpdesk.adapters.webhook_http import guarded_opener

        self._credentials = credentials
        self._whatsapp, self._twilio = whatsapp_base.rstrip("/"), twilio_base.rstrip("/")
        # the configured providers are the operator's word (the local stack's fakes live on 127.0.0.1); any other
        # URL is a payload's or a redirect's, and reaches no private address unless the deployment allows it
        self._configured = {found for found in (origin(self._whatsapp), origin(self._twilio)) if found}
        self._open_configured = guarded_opener(allow_private_targets=True)
        self._open_other = guarded_opener(allow_private_targets=allow_private_sources)

    def download(self, channel: str, account: str, ref: str, limit: int) -> MediaDownload:
        if account.startswith("AC"):
            return self._twilio_media(account, ref, limit)
        if channel == "whatsapp":
            return self._whatsapp_media(account, ref, limit)
        if channel in ("facebook", "instagram_dm"):
            return self._get(ref, limit, None)  # Meta's attachment URLs are fetched without any token
        raise MediaUnavailable("no_source", f"{channel} media cannot be fetched", retry=False)

    def _whatsapp_media(self, account: str, ref: str, limit: int) -> MediaDownload:
        token = f"Bearer {self._credentials.token('whatsapp_token', account)}"
        auth: Credentials = (token, lambda url: may_carry_credentials(url, self._whatsapp, WHATSAPP_MEDIA_HOSTS))
        if origin(ref) is not None:  # a payload that carries the media URL itself
            return self._get(ref, limit, auth)
        lookup = f"{self._whatsapp}/{quote(ref, safe='')}?{urlencode({'phone_number_id': account})}"
        try:
            found = json.loads(self._get(lookup, MAX_METADATA_BYTES, auth).data)
        except ValueError as exc:
            raise MediaUnavailable("provider_error", "WhatsApp's media lookup is not JSON", retry=True) from exc
        if not isinstance(found, dict) or not isinstance(found.get("url"), str):
            raise MediaUnavailable("provider_error", "WhatsApp's media lookup has no url", retry=True)
        url, size = found["url"], str(found.get("file_size", ""))
        if size.isdigit() and int(size) > limit:
            raise MediaUnavailable("too_large", f"{size} bytes, over the {limit} bytes cap", retry=False)
        media = self._get(url, limit, auth)
        sha256, mime = found.get("sha256"), found.get("mime_type")
        return MediaDownload(media.data, mime if isinstance(mime, str) else media.content_type,
                             (sha256,) if isinstance(sha256, str) and sha256 else ())

    def _twilio_media(self, account: str, ref: str, limit: int) -> MediaDownload:
        from helpdesk.channels.messaging.twilio import account_parts

        try:
            sid, _ = account_parts(account)
        except ValueError as exc:
            raise MediaUnavailable("no_source", str(exc), retry=False) from exc
        secret = base64.b64encode(f"{sid}:{self._credentials.token('twilio_auth_token', sid)}".encode()).decode()
        own = f"/2010-04-01/Accounts/{sid}/"
        return self._get(ref, limit, (f"Basic {secret}", lambda url: may_carry_credentials(
            url, self._twilio, TWILIO_API_HOSTS, path_prefix=own)))

    def _get(self, url: str, limit: int, auth: Credentials | None) -> MediaDownload:
        """GET ``url``, following redirects by hand: each hop carries the credentials only if it may."""
        deadline = time.monotonic() + MEDIA_DEADLINE_SECONDS
        for _ in range(MAX_MEDIA_REDIRECTS + 1):
            where = origin(url)
            if where is None:
                raise MediaUnavailable("bad_url", f"{url[:100]!r} is not an http(s) URL to fetch", retry=False)
            headers = {"Accept": "*/*"}
            if auth is not None and auth[1](url):
                headers["Authorization"] = auth[0]
            opener = self._open_configured if where in self._configured else self._open_other
            try:
                with opener.open(urllib.request.Request(url, headers=headers), timeout=MEDIA_TIMEOUT_SECONDS) as answer:
                    return MediaDownload(_read_capped(answer, limit, deadline), answer.headers.get("Content-Type"))
            except urllib.error.HTTPError as error:
                with error:
                    location = error.headers.get("Location")
                    if 300 <= error.code < 400 and location:
                        url = urljoin(url, location)
                        continue
                    raise _refused(error.code, where[1]) from error
            except EndpointForbidden as error:
                raise MediaUnavailable("forbidden_source", str(error), retry=False) from error
            except (http.client.HTTPException, OSError) as error:  # refused, timed out, reset, bad TLS
                raise MediaUnavailable("unreachable", f"{where[1]}: {error}", retry=True) from error
        raise MediaUnavailable("too_many_redirects", f"more than {MAX_MEDIA_REDIRECTS} redirects", retry=False)


def _refused(status: int, host: str) -> MediaUnavailable:
    """Twilio's media may 404 for a moment and a token may be refreshed: those are tried again. A 400 or 422 says
    the request itself is wrong (Meta answers an unknown or expired media id so): it never will succeed."""
    if status in (400, 422):
        return MediaUnavailable("bad_request", f"HTTP {status} from {host}", retry=False)
    reason = "not_found" if status in (404, 410) else "unauthorized" if status in (401, 403) else "provider_error"
    return MediaUnavailable(reason, f"HTTP {status} from {host}", retry=True)


def _read_capped(answer: Any, limit: int, deadline: float) -> bytes:
    declared = str(answer.headers.get("Content-Length") or "")
    if declared.isdigit() and int(declared) > limit:
        raise MediaUnavailable("too_large", f"{declared} bytes, over the {limit} bytes cap", retry=False)
    chunks: list[bytes] = []
    size = 0
    while chunk := answer.read(CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            raise MediaUnavailable("too_large", f"over the {limit} bytes cap", retry=False)
        if time.monotonic() > deadline:
            raise MediaUnavailable("unreachable", f"slower than {MEDIA_DEADLINE_SECONDS:.0f} s", retry=True)
        chunks.append(chunk)
    return b"".join(chunks)
