"""Twilio webhook forms as Twilio posts them (its documented parameters; no permissively licensed real bodies
exist), for unit and integration tests. ``None`` in ``changes`` removes a parameter."""

from __future__ import annotations

ACCOUNT = "AC" + "a1" * 16
SERVICE = "MG" + "b2" * 16
MESSAGE = "SM" + "c3" * 16
MEDIA_MESSAGE = "MM" + "d4" * 16
SENT = "SM" + "e5" * 16  # a message we sent
OUR_NUMBER = "+12028831111"
OUR_WHATSAPP = "+14155238886"
CUSTOMER = "+14133881111"


def _apply(form: dict[str, str], changes: dict[str, str | None]) -> dict[str, str]:
    merged: dict[str, str | None] = {**form, **changes}
    return {key: value for key, value in merged.items() if value is not None}


def sms(**changes: str | None) -> dict[str, str]:
    """An SMS from CUSTOMER to OUR_NUMBER."""
    form = {"ToCountry": "US", "ToState": "DC", "SmsMessageSid": MESSAGE, "NumMedia": "0", "ToCity": "",
            "FromZip": "01022", "SmsSid": MESSAGE, "FromState": "MA", "SmsStatus": "received", "FromCity": "CHICOPEE",
            "Body": "My parcel has not arrived", "FromCountry": "US", "To": OUR_NUMBER, "ToZip": "",
            "NumSegments": "1", "MessageSid": MESSAGE, "AccountSid": ACCOUNT, "From": CUSTOMER,
            "ApiVersion": "2010-04-01"}
    return _apply(form, changes)


def whatsapp(**changes: str | None) -> dict[str, str]:
    """A WhatsApp message from CUSTOMER (profile name Dana) to OUR_WHATSAPP."""
    form = {"SmsMessageSid": MESSAGE, "NumMedia": "0", "ProfileName": "Dana", "MessageType": "text",
            "SmsSid": MESSAGE, "WaId": CUSTOMER[1:], "SmsStatus": "received", "Body": "My parcel has not arrived",
            "To": f"whatsapp:{OUR_WHATSAPP}", "NumSegments": "1", "ReferralNumMedia": "0", "MessageSid": MESSAGE,
            "AccountSid": ACCOUNT, "From": f"whatsapp:{CUSTOMER}", "ApiVersion": "2010-04-01"}
    return _apply(form, changes)


def status_callback(status: str = "delivered", /, **changes: str | None) -> dict[str, str]:
    """A status callback for SENT, from OUR_NUMBER to CUSTOMER."""
    form = {"SmsSid": SENT, "SmsStatus": status, "MessageStatus": status, "To": CUSTOMER, "MessageSid": SENT,
            "AccountSid": ACCOUNT, "From": OUR_NUMBER, "ApiVersion": "2010-04-01"}
    return _apply(form, changes)
