"""Inbound media: which URLs may carry a provider's credentials, and whether bytes match the provider's sha256."""

from __future__ import annotations

import base64
import hashlib

import pytest

from helpdesk.channels.messaging.media import (
    TWILIO_API_HOSTS,
    WHATSAPP_MEDIA_HOSTS,
    claimed_digest,
    content_type,
    may_carry_credentials,
    origin,
    sha256_matches,
)

META = "https://graph.facebook.com/v21.0"
LOCAL = "http://127.0.0.1:40123/v21.0"
TWILIO = "https://api.twilio.com"
SID = "AC" + "a" * 32


@pytest.mark.parametrize(("url", "allowed"), [
    ("https://graph.facebook.com/v21.0/1234", True),
    ("https://graph.facebook.com/other/path", True),  # the host is the provider's, whatever the path
    ("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1&ext=2&hash=3", True),
    ("https://LOOKASIDE.fbsbx.com/x", True),
    ("http://lookaside.fbsbx.com/x", False),  # documented hosts over https only
    ("https://lookaside.fbsbx.com:8443/x", False),
    ("https://lookaside.fbsbx.com.evil.example/x", False),
    ("https://evil.example/lookaside.fbsbx.com", False),
    ("https://lookaside.fbsbx.com@evil.example/x", False),
    ("https://evil.example\\@lookaside.fbsbx.com/x", False),
    ("https://scontent.xx.fbcdn.net/v/t1.jpg", False),  # Messenger's CDN: not a WhatsApp media host
    ("http://graph.facebook.com/v21.0/1234", False),  # another scheme is another origin
    ("https://graph.facebook.com:444/v21.0/1234", False),
    ("ftp://graph.facebook.com/1234", False),
    ("file:///etc/passwd", False),
    ("not a url", False),
    ("https://graph.facebook.com:99999/x", False),
])
def test_whatsapp_credentials_go_to_the_api_host_and_the_documented_media_host_only(url: str, allowed: bool) -> None:
    assert may_carry_credentials(url, META, WHATSAPP_MEDIA_HOSTS) is allowed


@pytest.mark.parametrize(("url", "allowed"), [
    ("http://127.0.0.1:40123/media/abc", True),  # the configured base: the local stack's fake providers
    ("http://127.0.0.1:40124/media/abc", False),  # another server on the same machine
    ("http://localhost:40123/media/abc", False),
    ("https://127.0.0.1:40123/media/abc", False),
])
def test_the_configured_base_url_is_the_providers_own_host(url: str, allowed: bool) -> None:
    assert may_carry_credentials(url, LOCAL, WHATSAPP_MEDIA_HOSTS) is allowed


@pytest.mark.parametrize(("url", "allowed"), [
    (f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages/MM1/Media/ME1", True),
    (f"https://api.twilio.com/2010-04-01/Accounts/{'AC' + 'b' * 32}/Messages/MM1/Media/ME1", False),  # not ours
    ("https://api.twilio.com/2010-04-01/Accounts/", False),
    (f"https://mms.twiliocdn.com/{SID}/abc", False),  # where Twilio redirects: storage, no credentials
    (f"https://attacker.example/2010-04-01/Accounts/{SID}/Messages/MM1/Media/ME1", False),
])
def test_twilio_credentials_go_to_the_accounts_own_media_on_twilios_host(url: str, allowed: bool) -> None:
    prefix = f"/2010-04-01/Accounts/{SID}/"
    assert may_carry_credentials(url, TWILIO, TWILIO_API_HOSTS, path_prefix=prefix) is allowed


def test_api_twilio_com_is_twilios_even_when_the_base_url_points_elsewhere() -> None:
    url = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages/MM1/Media/ME1"
    own = f"/2010-04-01/Accounts/{SID}/"
    assert may_carry_credentials(url, "http://127.0.0.1:1", TWILIO_API_HOSTS, path_prefix=own)


def test_origin_keeps_scheme_host_and_default_port() -> None:
    assert origin("HTTPS://Example.COM/x") == ("https", "example.com", 443)
    assert origin("http://[::1]:8080/x") == ("http", "::1", 8080)
    assert origin("javascript:alert(1)") is None


DATA = b"\x89PNG\r\n\x1a\n a picture"
DIGEST = hashlib.sha256(DATA).digest()


@pytest.mark.parametrize("claim", [
    DIGEST.hex(), DIGEST.hex().upper(), base64.b64encode(DIGEST).decode(),
    base64.urlsafe_b64encode(DIGEST).decode().rstrip("="), f" {DIGEST.hex()}\n",
])
def test_a_digest_given_as_hex_or_base64_matches_its_bytes(claim: str) -> None:
    assert claimed_digest(claim) == DIGEST
    assert sha256_matches(claim, DIGEST)


@pytest.mark.parametrize("claim", [
    hashlib.sha256(b"other bytes").hexdigest(), base64.b64encode(hashlib.sha256(b"other").digest()).decode(),
])
def test_a_digest_of_other_bytes_does_not_match(claim: str) -> None:
    assert not sha256_matches(claim, DIGEST)


@pytest.mark.parametrize("claim", ["4654+8g=", "a1b2c3d4e5f6...", "", "zz" * 32,
                                   base64.b64encode(hashlib.md5(DATA).digest()).decode()])
def test_a_text_that_is_no_sha256_digest_vouches_for_nothing(claim: str) -> None:
    assert claimed_digest(claim) is None
    assert not sha256_matches(claim, DIGEST)


def test_the_whatsapp_corpus_digests_are_base64() -> None:
    assert claimed_digest("OmT4nhjUhCMIPNmj7eeOZeCYjTXkLxoOv85OMCFwSuc=") is not None


@pytest.mark.parametrize(("header", "fallback", "stored"), [
    ("image/jpeg", None, "image/jpeg"),
    ("Image/PNG; charset=binary", None, "image/png"),
    (None, "audio/ogg", "audio/ogg"),
    ("text/html\r\nX-Injected: 1", "image/jpeg", "image/jpeg"),
    ("nonsense", None, "application/octet-stream"),
    (None, None, "application/octet-stream"),
])
def test_a_content_type_is_stored_only_when_it_is_a_media_type(header: str | None, fallback: str | None,
                                                               stored: str) -> None:
    assert content_type(header, fallback) == stored
