"""The SES mailer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from helpdesk.domain.errors import InvalidInput
from helpdesk.domain.mailboxes import ascii_address
from helpdesk.ports import Mailer


class SesMailer(Mailer):
    """SendRawEmail takes 7-bit addresses only: domains go IDNA-encoded; a local part that would need SMTPUTF8
    is refused here with the reason rather than by SES (callers check unmailable_reason before composing)."""

    def __init__(self, ses_client: Any) -> None:
        self._client = ses_client

    def send_raw(self, raw: bytes, *, sender: str, recipients: Sequence[str]) -> str:
        try:
            source, destinations = ascii_address(sender), [ascii_address(r) for r in recipients]
        except ValueError as error:
            raise InvalidInput(f"SES cannot send this mail: {error}") from error
        response = self._client.send_raw_email(Source=source, Destinations=destinations, RawMessage={"Data": raw})
        return str(response["MessageId"])
