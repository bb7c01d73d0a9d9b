"""Twilio status callbacks become status updates of the message we sent, found by its SID or by our correlation id
carried in the status callback URL; they land in the same conversation as the customer's messages."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.channels.messaging.items import Identity, Ignored, InboundMessage, StatusUpdate, WebhookItem
from helpdesk.channels.messaging.twilio import (
    STATUS_PATH,
    account_parts,
    parse_inbound,
    parse_status,
    status_callback_url,
)
from helpdesk.channels.messaging.twilio_signature import compute_signature, signature_matches, signed_urls
from tests.twilio_forms import ACCOUNT, MESSAGE, SENT, SERVICE, sms, status_callback, whatsapp

NOW = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)
BASE = "https://abc123.execute-api.us-east-1.amazonaws.com/Prod"


def callback(status: str = "delivered", /, **changes: str | None) -> dict[str, str]:
    return status_callback(status, **changes)


def one(form: dict[str, str], query: dict[str, str] | None = None) -> WebhookItem:
    items = parse_status(form, query or {}, NOW)
    assert len(items) == 1
    return items[0]


@pytest.mark.parametrize(("given", "expected"), [("sent", "sent"), ("delivered", "delivered"), ("read", "read"),
                                                 ("failed", "failed"), ("undelivered", "failed")])
def test_delivery_statuses_are_mapped(given: str, expected: str) -> None:
    assert one(callback(given), {"c": "t42-c3"}) == StatusUpdate(
        channel="sms", account=f"{ACCOUNT}/+12028831111", status=expected, at=NOW, provider_id=SENT,
        correlation="t42-c3", recipient=Identity("phone", "+14133881111"))


def test_a_failure_keeps_twilio_s_error_code_and_message() -> None:
    got = one(callback("undelivered", ErrorCode="30006", ErrorMessage="Landline or unreachable carrier"))
    assert isinstance(got, StatusUpdate)
    assert (got.status, got.error_code, got.error_title) == ("failed", "30006", "Landline or unreachable carrier")
    assert one(callback("failed", ErrorCode="63016")) == StatusUpdate(
        channel="sms", account=f"{ACCOUNT}/+12028831111", status="failed", at=NOW, provider_id=SENT,
        recipient=Identity("phone", "+14133881111"), error_code="63016")


@pytest.mark.parametrize("status", ["queued", "sending", "accepted", "scheduled", "receiving", "received", "canceled",
                                    "partially_delivered"])
def test_statuses_that_say_nothing_about_delivery_are_ignored_with_the_reason(status: str) -> None:
    assert one(callback(status)) == Ignored("sms", f"status {status} is not a delivery change")


def test_an_unknown_status_is_ignored_and_named() -> None:
    assert one(callback("teleported")) == Ignored("sms", "unknown MessageStatus 'teleported'")


def test_the_sms_status_stands_in_for_a_missing_message_status() -> None:
    got = one(callback("delivered", MessageStatus=None))
    assert isinstance(got, StatusUpdate) and got.status == "delivered"


@pytest.mark.parametrize("missing", ["MessageSid", "AccountSid", "MessageStatus"])
def test_a_callback_missing_its_id_account_or_status_is_malformed(missing: str) -> None:
    changes: dict[str, str | None] = {missing: None, "SmsStatus": None}
    item = one(callback(**changes))
    assert isinstance(item, Ignored) and item.malformed and missing in item.reason


def test_a_callback_without_our_number_or_service_is_malformed() -> None:
    item = one(callback(From=None))
    assert isinstance(item, Ignored) and item.malformed and "From" in item.reason


@pytest.mark.parametrize("ref", ["", "x" * 65, "t42 c3", "t42/c3", "t42%c3", "é"])
def test_a_correlation_that_is_not_ours_is_dropped_and_the_sid_still_maps(ref: str) -> None:
    got = one(callback(), {"c": ref})
    assert isinstance(got, StatusUpdate) and got.correlation is None and got.provider_id == SENT


def test_a_recipient_that_is_not_a_number_is_left_out() -> None:
    got = one(callback(To="MyBank"))
    assert isinstance(got, StatusUpdate) and got.recipient is None


def test_a_whatsapp_status_carries_the_whatsapp_identity() -> None:
    got = one(callback("read", From="whatsapp:+14155238886", To="whatsapp:+14133881111", ChannelPrefix="whatsapp",
                       EventType="READ"))
    assert isinstance(got, StatusUpdate)
    assert (got.channel, got.account, got.recipient, got.status) == (
        "whatsapp", f"{ACCOUNT}/+14155238886", Identity("whatsapp", "14133881111"), "read")


def _same_conversation(inbound: dict[str, str], status: dict[str, str]) -> None:
    message = parse_inbound(inbound, NOW)[0]
    update = one(status)
    assert isinstance(message, InboundMessage) and isinstance(update, StatusUpdate)
    assert update.conversation == message.conversation


def test_statuses_of_our_replies_land_in_the_conversation_of_the_customer_s_messages() -> None:
    """The FIFO group and the channel account must be the same for a customer's message and for the status of our
    answer, whether the number is ours alone or a Messaging Service's, on SMS or WhatsApp, with or without BSUID."""
    _same_conversation(sms(), callback())
    _same_conversation(sms(MessagingServiceSid=SERVICE), callback(MessagingServiceSid=SERVICE, From="+12029990000"))
    _same_conversation(whatsapp(), callback(From="whatsapp:+14155238886", To="whatsapp:+14133881111"))
    _same_conversation(whatsapp(ExternalUserId="whatsapp:US.1349"),
                       callback(From="whatsapp:+14155238886", To="whatsapp:US.1349"))
    _same_conversation(whatsapp(MessagingServiceSid=SERVICE),
                       callback(MessagingServiceSid=SERVICE, From="whatsapp:+14155238886", To="whatsapp:+14133881111"))


def test_the_account_names_what_to_send_from() -> None:
    assert account_parts(f"{ACCOUNT}/{SERVICE}") == (ACCOUNT, SERVICE)
    assert account_parts(f"{ACCOUNT}/+12028831111") == (ACCOUNT, "+12028831111")
    message = parse_inbound(whatsapp(MessagingServiceSid=SERVICE), NOW)[0]
    assert isinstance(message, InboundMessage) and account_parts(message.account) == (ACCOUNT, SERVICE)
    for bad in ["", ACCOUNT, f"{ACCOUNT}/", f"AC1/{SERVICE}", "1122334455667", f"{ACCOUNT}/{SERVICE}/x"]:
        with pytest.raises(ValueError, match="Twilio channel account"):
            account_parts(bad)


def test_the_status_callback_url_carries_our_correlation_and_is_what_twilio_signs() -> None:
    url = status_callback_url(BASE, "t42-c3_Zz")
    assert url == f"{BASE}{STATUS_PATH}?c=t42-c3_Zz"
    query = urlsplit(url).query
    signature = compute_signature("secret", url, callback().items())
    assert signature_matches("secret", signature, signed_urls(BASE, STATUS_PATH, query), params=callback().items())
    got = one(callback(), dict(parse_qsl(query)))
    assert isinstance(got, StatusUpdate) and got.correlation == "t42-c3_Zz"
    assert status_callback_url("http://localhost:8000/", "a") == "http://localhost:8000/inbound/twilio/status?c=a"


@pytest.mark.parametrize("ref", ["", "x" * 65, "a b", "a&c=b", "é"])
def test_a_correlation_id_that_would_not_survive_the_url_is_refused(ref: str) -> None:
    with pytest.raises(ValueError, match="correlation"):
        status_callback_url(BASE, ref)


def test_an_inbound_message_is_not_a_status() -> None:
    assert one(sms(MessageSid=MESSAGE)) == Ignored("sms", "status received is not a delivery change")


FIELDS = ["MessageSid", "AccountSid", "MessagingServiceSid", "From", "To", "MessageStatus", "SmsStatus", "ErrorCode",
          "ErrorMessage", "ExternalUserId", "ChannelPrefix"]
VALUES = st.sampled_from(["", "whatsapp:", "whatsapp:+1", "whatsapp:US.1", "+14155550100", SENT, ACCOUNT, SERVICE,
                          "delivered", "undelivered", "read", "queued", "messenger:1", ":", "x" * 300]) | st.text()


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.dictionaries(st.sampled_from(FIELDS), VALUES), st.dictionaries(st.sampled_from(["c", "x"]), VALUES),
       st.booleans())
def test_any_callback_gives_exactly_one_item_and_never_raises(form: dict[str, str], query: dict[str, str],
                                                              base: bool) -> None:
    items = parse_status({**(callback() if base else {}), **form}, query, NOW)
    assert len(items) == 1 and isinstance(items[0], StatusUpdate | Ignored)
