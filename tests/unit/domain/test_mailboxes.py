"""Display names safe for headers, and addresses in the form SES sends to."""

from __future__ import annotations

import pytest

from helpdesk.domain.errors import InvalidRecord
from helpdesk.domain.mailboxes import (
    ascii_address,
    ascii_domain,
    clean_name,
    clean_text,
    needs_smtputf8,
    unmailable_reason,
)
from helpdesk.domain.users import display_name, new_user


@pytest.mark.parametrize(("raw", "clean"), [
    ("Eve\r\nBcc: x@evil.example", "Eve Bcc: x@evil.example"),
    ("  Ann\t\tLee \x00\x07", "Ann Lee"),
    ("Zoë\u2028Doe\u2029", "Zoë Doe"),
    ("evil\u202egnp.exe", "evil gnp.exe"),  # a right-to-left override cannot reorder what people read
    ("Dañ\u0430", "Dañ\u0430"),
    ("", ""),
])
def test_clean_text_keeps_one_line(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_clean_name_bounds_the_length() -> None:
    assert clean_name("a" * 300) == "a" * 255
    assert clean_name("a " * 200).endswith("a") and len(clean_name("a " * 200)) <= 255


def test_ascii_address_encodes_the_domain_only() -> None:
    assert ascii_address("dana@bücher.example") == "dana@xn--bcher-kva.example"
    assert ascii_address("Dana@Example.COM") == "Dana@example.com"
    assert ascii_domain("STRASSE.example") == "strasse.example"
    assert ascii_domain("straße.example") == "xn--strae-oqa.example"  # IDNA 2008: not "strasse"
    assert ascii_domain("пример.рф") == "xn--e1afmkfd.xn--p1ai"


@pytest.mark.parametrize(("address", "reason"), [
    ("dañ\u0430@customer.example", "needs SMTPUTF8"),
    ("da na@customer.example", "spaces or control characters"),
    ("dana@bad_label.example", "not a domain name"),
    ("dana@" + "a" * 64 + ".example", "not a domain name"),
    ("no-at-sign", "not an email address"),
])
def test_addresses_ses_cannot_send_to_say_why(address: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        ascii_address(address)
    found = unmailable_reason(address)
    assert found is not None and reason in found


def test_mailable_addresses_have_no_reason() -> None:
    assert unmailable_reason("dana@customer.example") is None
    assert unmailable_reason("dana@bücher.example") is None
    assert needs_smtputf8("dañ\u0430@customer.example") and not needs_smtputf8("dana@bücher.example")


def test_users_store_names_on_one_line() -> None:
    user = new_user({"name": "Eve\r\nBcc: x@evil.example", "email": "eve@example.com"}, id=1, now_iso="t")
    assert user.name == "Eve Bcc: x@evil.example"
    assert user.changed_by({"name": " Ann\nLee "}, "t").name == "Ann Lee"
    assert display_name("eve@example.com", "Eve\r\nBcc: x@evil.example") == "Eve Bcc: x@evil.example"
    assert display_name("eve@example.com", "\r\n") == "eve"
    with pytest.raises(InvalidRecord, match="blank"):
        new_user({"name": "\r\n\x00", "email": "eve@example.com"}, id=1, now_iso="t")
    with pytest.raises(InvalidRecord, match="longer than 255"):
        new_user({"name": "a" * 256, "email": "eve@example.com"}, id=1, now_iso="t")


def test_valid_email_takes_what_ses_can_send_to() -> None:
    from helpdesk.domain.users import valid_email

    assert valid_email(" Dana@Bücher.example ") == "dana@bücher.example"
    assert valid_email("dana@xn--bcher-kva.example") == "dana@xn--bcher-kva.example"
    with pytest.raises(InvalidRecord, match="needs SMTPUTF8"):
        valid_email("da\u00f1\u0430@customer.example")
    for bad in ("dana", "dana@", "da na@example.com", "dana@bad_label.example", 42, None):
        with pytest.raises(InvalidRecord, match="not a valid email address"):
            valid_email(bad)
