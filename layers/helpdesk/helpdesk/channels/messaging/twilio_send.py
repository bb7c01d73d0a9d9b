"""Sending through Twilio: the ``Messages.json`` request of a reply, and what Twilio's answer means for it. Pure: the
transport posts the form (HTTP Basic auth with the account's SID and token) to its configured base URL, by default
``https://api.twilio.com``, and hands the answer back to ``read_response``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import urlparse

from helpdesk.channels.messaging.items import Identity, SendOutcome
from helpdesk.channels.messaging.items import SendResult as SendResult
from helpdesk.channels.messaging.twilio import ACCOUNT_SID, BSUID, E164, NUMBER, SERVICE_SID, SID, WA_ID
from helpdesk.domain.errors import InvalidInput

API_VERSION = "2010-04-01"
MAX_MEDIA = 10
MAX_DETAIL = 300


# Twilio error codes that say more than "failed", in a send's answer or a status callback's ErrorCode.
ERROR_OUTCOMES: dict[str, SendOutcome] = {
    "20429": "retry",  # too many requests
    "30001": "retry",  # queue overflow
    "63016": "window_closed",  # WhatsApp: outside the 24-hour window, only a template (ContentSid) goes
    "21610": "opted_out",  # the recipient replied STOP: nothing goes until they send START
    "20003": "reauthorise",  # the credentials are refused
}

_CONTENT_SID = re.compile(r"HX[0-9a-fA-F]{32}")


class TwilioRequest(NamedTuple):
    method: str
    path: str  # under the API base URL
    form: list[tuple[str, str]]  # form-encoded as the body; MediaUrl repeats


def build_message(account_sid: str, sender: str, to: Identity, body: str, media_urls: Sequence[str],
                  status_callback: str | None, content_sid: str | None = None,
                  content_variables: Mapping[str, str] | None = None) -> TwilioRequest:
    """``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` for a message to ``to`` (a ``phone`` identity by
    SMS, a ``whatsapp`` one by WhatsApp). ``sender`` is a Messaging Service (``MG…``) or our number (``From``); see
    ``twilio.account_parts``. A template is ``content_sid`` (``HX…``) with its variables, and no body."""
    if not ACCOUNT_SID.fullmatch(account_sid):
        raise InvalidInput(f"Twilio AccountSid {account_sid[:40]!r} is not an account id")
    form = [("To", _address(to))]
    if SERVICE_SID.fullmatch(sender):
        form.append(("MessagingServiceSid", sender))
    elif NUMBER.fullmatch(sender):
        form.append(("From", f"whatsapp:{sender}" if to.kind == "whatsapp" else sender))
    else:
        raise InvalidInput(f"Twilio sender {sender[:40]!r} is neither a Messaging Service nor a number")
    if content_sid is not None or content_variables is not None:
        form += _template(body, content_sid, content_variables)
    elif body:
        form.append(("Body", body))
    if len(media_urls) > MAX_MEDIA:
        raise InvalidInput(f"Twilio sends at most {MAX_MEDIA} media per message, not {len(media_urls)}")
    for url in media_urls:
        parsed = urlparse(url)
        if parsed.scheme not in ("https", "http") or not parsed.netloc:
            raise InvalidInput(f"MediaUrl {url[:80]!r} is not a public http(s) URL Twilio can fetch")
        form.append(("MediaUrl", url))
    if not (body or media_urls or content_sid):
        raise InvalidInput("nothing to send: no body, media or template")
    if status_callback:
        form.append(("StatusCallback", status_callback))
    return TwilioRequest("POST", f"/{API_VERSION}/Accounts/{account_sid}/Messages.json", form)


def read_response(status: int, body: bytes | str) -> SendResult:
    """What Twilio's answer to ``build_message``'s request means for the message."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    doc, message = _answer(text)
    if 200 <= status < 300:
        sid = doc.get("sid") if isinstance(doc.get("sid"), str) and SID.fullmatch(doc["sid"]) else None
        if doc.get("status") in ("failed", "undelivered"):
            code = _code(doc.get("error_code"))
            return SendResult(sid, outcome_of_error(code) or "failed", code, _text(doc.get("error_message")))
        return SendResult(sid, "sent", None, None if sid else "Twilio accepted the message without a sid")
    code = _code(doc.get("code"))
    detail = f"HTTP {status}: {message}" if message else f"HTTP {status}"
    outcome = outcome_of_error(code)
    if outcome is None:
        outcome = "reauthorise" if status == 401 else "retry" if status == 429 or status >= 500 else "failed"
    return SendResult(None, outcome, code, detail[:MAX_DETAIL])


def outcome_of_error(code: str | None) -> SendOutcome | None:
    """The outcome a Twilio error code names beyond "failed", if any (also for a status callback's ErrorCode)."""
    return ERROR_OUTCOMES.get(code or "")


def _address(to: Identity) -> str:
    if to.kind == "phone" and E164.fullmatch(to.value):
        return to.value
    if to.kind == "whatsapp" and BSUID.fullmatch(to.value):
        return f"whatsapp:{to.value}"
    if to.kind == "whatsapp" and WA_ID.fullmatch(to.value.removeprefix("+")):
        return f"whatsapp:+{to.value.removeprefix('+')}"
    raise InvalidInput(f"Twilio cannot send to the {to.kind} identity {to.value[:40]!r}")


def _template(body: str, content_sid: str | None, variables: Mapping[str, str] | None) -> list[tuple[str, str]]:
    if not content_sid or not _CONTENT_SID.fullmatch(content_sid):
        raise InvalidInput(f"a Twilio template needs a ContentSid (HX…), not {content_sid!r}")
    if body:
        raise InvalidInput("a Twilio template (ContentSid) is sent without a Body")
    fields = [("ContentSid", content_sid)]
    if variables:
        fields.append(("ContentVariables", json.dumps(dict(variables), ensure_ascii=False, separators=(",", ":"))))
    return fields


def _answer(text: str) -> tuple[dict[str, Any], str | None]:
    """Twilio's JSON object (empty when it is none) and its message, or the text of an answer that is not JSON."""
    try:
        doc = json.loads(text) if text.strip() else {}
    except ValueError:
        return {}, _text(text)
    doc = doc if isinstance(doc, dict) else {}
    return doc, _text(doc.get("message"))


def _code(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
        return None
    return str(value).strip()[:20]


def _text(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return " ".join(value.split())[:MAX_DETAIL]
