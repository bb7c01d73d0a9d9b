"""Amazon SES receipt notifications: the message from the SNS action's content or from the S3 action's object."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any

from helpdesk.channels.email.providers.delivery import (
    InboundDelivery,
    json_object,
    lower_addresses,
    normalise_verdict,
    optional_list,
    optional_object,
    optional_str,
)
from helpdesk.domain.errors import InvalidInput

_VERDICT_FIELDS = {
    "spf": "spfVerdict",
    "dkim": "dkimVerdict",
    "dmarc": "dmarcVerdict",
    "spam": "spamVerdict",
    "virus": "virusVerdict",
}


def sns_envelope_message(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The SES notification inside an SNS envelope (as SNS delivers it to SQS or Lambda); raw delivery passes."""
    if not isinstance(body, Mapping):
        raise InvalidInput("SNS message must be a JSON object")
    envelope: Mapping[str, Any] = optional_object(body, "Sns", "record") if "Sns" in body else body
    if "Type" not in envelope:
        return body  # raw message delivery: already the SES notification
    if envelope.get("Type") != "Notification":
        raise InvalidInput(f"SNS message of type {envelope.get('Type')!r} is not a notification")
    message = envelope.get("Message")
    if not isinstance(message, str):
        raise InvalidInput("SNS notification has no Message string")
    return json_object(message, "SNS Message")


def ses_delivery(notification: Mapping[str, Any], fetch_s3: Callable[[str, str], bytes]) -> InboundDelivery:
    """Errors raised by ``fetch_s3`` propagate unchanged: they are the storage's, not the notification's."""
    if not isinstance(notification, Mapping):
        raise InvalidInput("SES notification must be a JSON object")
    kind = notification.get("notificationType")
    if kind != "Received":
        raise InvalidInput(f"SES notification of type {kind!r} carries no received mail")
    mail = optional_object(notification, "mail", "notification")
    receipt = optional_object(notification, "receipt", "notification")
    raw = _content(notification, optional_object(receipt, "action", "receipt"), fetch_s3)
    return InboundDelivery(
        provider="ses",
        raw=raw,
        recipients=lower_addresses(optional_list(receipt, "recipients", "receipt")),
        verdicts=_verdicts(receipt),
        provider_message_id=optional_str(mail, "messageId", "mail"),
    )


def _content(
    notification: Mapping[str, Any], action: Mapping[str, Any], fetch_s3: Callable[[str, str], bytes]
) -> bytes:
    action_type = action.get("type")
    if action_type == "S3":
        bucket = optional_str(action, "bucketName", "action")
        key = optional_str(action, "objectKey", "action")
        if not bucket or not key:
            raise InvalidInput("SES S3 action without bucketName or objectKey")
        return bytes(fetch_s3(bucket, key))
    content = optional_str(notification, "content", "notification")
    if action_type != "SNS" or content is None:
        raise InvalidInput(f"SES notification (action {action_type!r}) has no message content")
    encoding = str(action.get("encoding") or "UTF8").upper()
    if encoding == "BASE64":
        try:
            return base64.b64decode("".join(content.split()), validate=True)
        except (binascii.Error, ValueError) as error:
            raise InvalidInput("SES notification content is not valid base64") from error
    if encoding == "UTF8":
        return content.encode("utf-8")
    raise InvalidInput(f"SES notification content has unknown encoding {encoding!r}")


def _verdicts(receipt: Mapping[str, Any]) -> dict[str, str]:
    verdicts: dict[str, str] = {}
    for key, field_name in _VERDICT_FIELDS.items():
        status = normalise_verdict(optional_object(receipt, field_name, "receipt").get("status"))
        if status:
            verdicts[key] = status
    return verdicts


def notification_from_json(data: bytes | str) -> Mapping[str, Any]:
    """Decode an SQS record body or an SNS message and unwrap it down to the SES notification."""
    return sns_envelope_message(json_object(data, "SES notification"))

