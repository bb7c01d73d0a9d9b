"""Twilio inbound webhooks (SMS and WhatsApp, form-encoded) become one messaging item each."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.channels.messaging.items import (
    Identity,
    Ignored,
    InboundMessage,
    Media,
    WebhookItem,
    item_from_json,
    to_json,
)
from helpdesk.channels.messaging.twilio import parse_inbound, read_form, single_valued
from helpdesk.domain.errors import InvalidInput
from tests.twilio_forms import ACCOUNT, MEDIA_MESSAGE, MESSAGE, SERVICE, sms, whatsapp

NOW = datetime(2026, 11, 30, 9, 0, 1, tzinfo=UTC)


def one(form: dict[str, str]) -> WebhookItem:
    items = parse_inbound(form, NOW)
    assert len(items) == 1
    return items[0]


def message(form: dict[str, str]) -> InboundMessage:
    item = one(form)
    assert isinstance(item, InboundMessage), item
    return item


def test_an_sms_becomes_a_message_from_a_phone_number_to_the_account_and_number() -> None:
    assert message(sms()) == InboundMessage(
        channel="sms", account=f"{ACCOUNT}/+12028831111", sender=Identity("phone", "+14133881111"),
        provider_id=MESSAGE, sent_at=NOW, text="My parcel has not arrived")


def test_a_number_of_a_messaging_service_is_keyed_by_the_service() -> None:
    got = message(sms(MessagingServiceSid=SERVICE))
    assert got.account == f"{ACCOUNT}/{SERVICE}"
    assert got.conversation == f"sms#{ACCOUNT}/{SERVICE}#phone:+14133881111"


def test_a_short_code_of_ours_is_an_account_number() -> None:
    assert message(sms(To="384387")).account == f"{ACCOUNT}/384387"


def test_a_whatsapp_message_is_keyed_on_the_wa_id_with_the_phone_beside_it() -> None:
    got = message(whatsapp())
    assert (got.channel, got.account, got.sender, got.identities, got.name) == (
        "whatsapp", f"{ACCOUNT}/+14155238886", Identity("whatsapp", "14133881111"),
        (Identity("phone", "+14133881111"),), "Dana")


def test_a_whatsapp_message_without_wa_id_uses_the_number_digits() -> None:
    got = message(whatsapp(WaId=None))
    assert got.sender == Identity("whatsapp", "14133881111")
    assert got.identities == (Identity("phone", "+14133881111"),)


def test_a_business_scoped_user_id_keys_the_sender_and_the_phone_stays_beside_it() -> None:
    got = message(whatsapp(ExternalUserId="whatsapp:US.13491208655302741918"))
    assert got.sender == Identity("whatsapp", "US.13491208655302741918")
    assert got.identities == (Identity("phone", "+14133881111"),)


def test_a_username_user_without_a_phone_number_is_keyed_on_the_bsuid_alone() -> None:
    got = message(whatsapp(From="whatsapp:US.13491208655302741918", WaId=None,
                           ExternalUserId="whatsapp:US.13491208655302741918"))
    assert (got.sender, got.identities) == (Identity("whatsapp", "US.13491208655302741918"), ())
    assert message(whatsapp(From="whatsapp:US.13491208655302741918", WaId=None)).sender == got.sender


def test_an_external_user_id_that_is_not_a_bsuid_is_not_trusted_as_one() -> None:
    assert message(whatsapp(ExternalUserId="whatsapp:foo_bar")).sender == Identity("whatsapp", "14133881111")


def test_a_quick_reply_gives_its_title_as_text_and_its_id_as_payload() -> None:
    got = message(whatsapp(Body="Good", ButtonText="Good", ButtonPayload="csat:t42:good:5f1c", MessageType="button"))
    assert (got.text, got.payload) == ("Good", "csat:t42:good:5f1c")
    assert message(whatsapp(Body="", ButtonText="Bad", ButtonPayload="csat:t42:bad:9e2a")).text == "Bad"


def test_a_location_shows_its_name_address_and_coordinates() -> None:
    got = message(whatsapp(Body="", MessageType="location", Latitude="37.7879277", Longitude="-122.4076697",
                           Address="1 Market St, San Francisco", Label="Head office"))
    assert got.text == "Head office\n1 Market St, San Francisco\n37.7879277, -122.4076697"
    assert got.data == {"location": {"latitude": 37.7879277, "longitude": -122.4076697, "name": "Head office",
                                     "address": "1 Market St, San Francisco"}}
    bare = message(whatsapp(Body="", Latitude="-33.8688", Longitude="151.2093"))
    assert (bare.text, bare.data) == ("-33.8688, 151.2093", {"location": {"latitude": -33.8688, "longitude": 151.2093}})


@pytest.mark.parametrize(("latitude", "longitude"), [("91", "0"), ("0", "181"), ("nan", "0"), ("north", "1"),
                                                     ("1", None), ("", "")])
def test_coordinates_that_are_not_coordinates_are_malformed(latitude: str, longitude: str | None) -> None:
    item = one(whatsapp(Latitude=latitude, Longitude=longitude))
    assert isinstance(item, Ignored) and item.malformed and "location" in item.reason


def test_media_are_announced_with_their_kind_url_and_type() -> None:
    url = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages/{MEDIA_MESSAGE}/Media/ME"
    got = message(sms(MessageSid=MEDIA_MESSAGE, NumMedia="4", Body="Photos of the damage",
                      MediaUrl0=url + "0", MediaContentType0="image/jpeg",
                      MediaUrl1=url + "1", MediaContentType1="application/pdf",
                      MediaUrl2=url + "2", MediaContentType2="audio/ogg",
                      MediaUrl3=url + "3", MediaContentType3="text/vcard"))
    assert got.text == "Photos of the damage"
    assert got.media == (Media("image", url + "0", "image/jpeg"), Media("document", url + "1", "application/pdf"),
                         Media("audio", url + "2", "audio/ogg"), Media("document", url + "3", "text/vcard"))
    assert message(sms(Body="", MediaUrl0=url + "0")).media == (Media("file", url + "0", None),)
    assert message(sms(NumMedia="1", MediaUrl0=url + "0", MediaContentType0="video/mp4")).media[0].kind == "video"


def test_a_quoted_reply_targets_the_message_it_quotes() -> None:
    assert message(whatsapp(OriginalRepliedMessageSid=MEDIA_MESSAGE)).target == MEDIA_MESSAGE


def test_a_message_with_nothing_readable_is_an_unsupported_message_not_a_comment() -> None:
    got = message(whatsapp(Body="", MessageType="contacts"))
    assert (got.kind, got.text, got.data) == ("unsupported", "", {"message_type": "contacts"})


@pytest.mark.parametrize("status", ["sent", "delivered", "undelivered", "failed", "read", "queued"])
def test_a_status_callback_posted_to_the_inbound_url_is_ignored(status: str) -> None:
    form = sms(Body=None, NumMedia=None, MessageStatus=status, SmsStatus=status)
    item = one(form)
    assert item == Ignored("sms", f"status callback ({status}) posted to the inbound URL")
    assert one({key: value for key, value in form.items() if key != "MessageStatus"}) == item


@pytest.mark.parametrize("missing", ["MessageSid", "AccountSid", "From"])
def test_a_message_missing_its_id_account_or_sender_is_malformed(missing: str) -> None:
    item = one(sms(**{missing: None}))
    assert isinstance(item, Ignored) and item.malformed and missing in item.reason


@pytest.mark.parametrize(("field", "value"), [("MessageSid", "SM123"), ("AccountSid", "acctid"),
                                              ("AccountSid", f"{ACCOUNT}/x"), ("MessagingServiceSid", "MG-1"),
                                              ("To", "support"), ("To", None)])
def test_ids_and_our_number_must_have_twilio_s_shape(field: str, value: str | None) -> None:
    item = one(sms(**{field: value}))
    assert isinstance(item, Ignored) and item.malformed and field in item.reason


def test_an_unreadable_whatsapp_sender_is_malformed() -> None:
    item = one(whatsapp(From="whatsapp:someone", WaId=None))
    assert isinstance(item, Ignored) and item.malformed and "whatsapp:someone" in item.reason


@pytest.mark.parametrize("sender", ["MyBank", "2020", "14133881111"])
def test_an_sms_from_a_sender_that_cannot_be_answered_is_ignored_with_the_reason(sender: str) -> None:
    assert one(sms(From=sender)) == Ignored("sms", "SMS sender is not an E.164 phone number: it cannot be answered")


def test_a_twilio_channel_this_desk_does_not_serve_is_ignored() -> None:
    assert one(sms(From="messenger:1234567890", To="messenger:998877")) == Ignored(
        "sms", "Twilio channel messenger is not served")


def test_every_item_survives_the_inbound_queue() -> None:
    forms = [sms(), whatsapp(ExternalUserId="whatsapp:US.1349", Latitude="1.5", Longitude="2"),
             sms(MediaUrl0="https://api.twilio.com/x", MediaContentType0="image/png")]
    for form in forms:
        got = message(form)
        assert item_from_json(json.loads(json.dumps(to_json(got)))) == got


# --- the form itself ------------------------------------------------------------------------------------------------

def test_the_form_is_read_with_every_pair_including_blanks_and_repeats() -> None:
    body = urlencode([("Body", "café + ☕"), ("ToCity", ""), ("Digits", "1"), ("Digits", "2")]).encode()
    assert read_form(body) == [("Body", "café + ☕"), ("ToCity", ""), ("Digits", "1"), ("Digits", "2")]
    assert read_form(b"") == []


@pytest.mark.parametrize("body", [b"Body=caf\xe9", b"Body=caf%E9", b"a=1&" * 2001])
def test_a_form_that_is_not_utf8_or_far_too_large_is_bad_input(body: bytes) -> None:
    with pytest.raises(InvalidInput, match="Twilio form"):
        read_form(body)


def test_a_field_repeated_with_different_values_is_ambiguous() -> None:
    """The signature sorts repeated values, so their order is not signed: a reader taking the first or the last
    would let anyone re-order a signed request into another message."""
    assert single_valued([("Body", "hi"), ("Body", "hi"), ("From", "+1")]) == {"Body": "hi", "From": "+1"}
    with pytest.raises(InvalidInput, match="Body"):
        single_valued([("Body", "hi"), ("Body", "bye")])


FIELDS = ["MessageSid", "AccountSid", "MessagingServiceSid", "From", "To", "Body", "NumMedia", "MediaUrl0",
          "MediaContentType0", "Latitude", "Longitude", "Label", "Address", "ButtonText", "ButtonPayload", "WaId",
          "ExternalUserId", "ProfileName", "SmsStatus", "MessageStatus", "OriginalRepliedMessageSid", "MessageType"]
VALUES = st.sampled_from(["", "whatsapp:", "whatsapp:+1", "whatsapp:US.1", "+14155550100", MESSAGE, ACCOUNT,
                          SERVICE, "nan", "-0", "1e999", "received", "sent", "US.", "whatsapp:US.1.2", ":",
                          "x" * 300]) | st.text()


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.dictionaries(st.sampled_from(FIELDS), VALUES), st.booleans())
def test_any_form_gives_exactly_one_item_and_never_raises(form: dict[str, Any], base: bool) -> None:
    items = parse_inbound({**(sms() if base else {}), **form}, NOW)
    assert len(items) == 1 and isinstance(items[0], InboundMessage | Ignored)
