"""SesMailer hands SES addresses in the 7-bit form SendRawEmail takes."""

from __future__ import annotations

from typing import Any

import pytest

from helpdesk.adapters.ses import SesMailer
from helpdesk.domain.errors import InvalidInput


class RecordingSes:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def send_raw_email(self, **params: Any) -> dict[str, str]:
        self.calls.append(params)
        return {"MessageId": f"m-{len(self.calls)}"}


def test_domains_go_to_ses_idna_encoded() -> None:
    ses = RecordingSes()
    assert SesMailer(ses).send_raw(b"raw", sender="support@hilfe.bücher.example",
                                   recipients=["dana@bücher.example", "bob@example.com"]) == "m-1"
    assert ses.calls == [{"Source": "support@hilfe.xn--bcher-kva.example",
                          "Destinations": ["dana@xn--bcher-kva.example", "bob@example.com"],
                          "RawMessage": {"Data": b"raw"}}]


def test_a_local_part_that_needs_smtputf8_never_reaches_ses() -> None:
    ses = RecordingSes()
    with pytest.raises(InvalidInput, match="needs SMTPUTF8"):
        SesMailer(ses).send_raw(b"raw", sender="support@example.com", recipients=["da\u00f1\u0430@example.com"])
    assert ses.calls == []
