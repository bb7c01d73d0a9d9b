"""multipart/form-data and url-encoded bodies: fields by name, file parts byte for byte, malformed bodies refused."""

from __future__ import annotations

import pytest

from helpdesk.channels.email.providers.formdata import FormValue, encode_form_data, first_text, parse_form_data
from helpdesk.domain.errors import InvalidInput

BINARY = bytes(range(256)) + b"\r\n--not-the-boundary\r\n\n\r" + bytes(range(255, -1, -1))
CT = "multipart/form-data; boundary=xYzZY"


def test_round_trip_keeps_file_parts_byte_exact() -> None:
    body, content_type = encode_form_data(
        [
            FormValue("subject", "Héllo".encode()),
            FormValue("attachment1", BINARY, filename="blob.bin", content_type="application/octet-stream"),
            FormValue("subject", b"second"),
        ]
    )
    form = parse_form_data(body, content_type)
    assert [v.text() for v in form["subject"]] == ["Héllo", "second"]
    blob = form["attachment1"][0]
    assert blob.value == BINARY
    assert (blob.filename, blob.content_type) == ("blob.bin", "application/octet-stream")


@pytest.mark.parametrize("newline", [b"\r\n", b"\n"])
def test_crlf_and_bare_lf_bodies(newline: bytes) -> None:
    lines = [b"preamble", b"--xYzZY", b'Content-Disposition: form-data; name="a"', b"", b"one", b"two",
             b"--xYzZY  ", b'Content-Disposition: form-data; name="empty"', b"", b"", b"--xYzZY--", b"epilogue"]
    form = parse_form_data(newline.join(lines), CT)
    assert form["a"][0].value == b"one" + newline + b"two"
    assert form["empty"][0].value == b""


def test_quoted_boundary_rfc2231_filename_and_charset() -> None:
    body = (
        b'--a b\r\nContent-Disposition: form-data; name="f"; filename*=UTF-8\'\'r%C3%A9sum%C3%A9.pdf\r\n'
        b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\ncaf\xe9\r\n--a b--"
    )
    value = parse_form_data(body, 'multipart/form-data; boundary="a b"')["f"][0]
    assert value.filename == "résumé.pdf"
    assert value.charset == "iso-8859-1"
    assert value.text() == "café"


def test_base64_transfer_encoded_part_is_decoded() -> None:
    body = b'--b\r\nContent-Disposition: form-data; name="x"\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=\r\n--b--'
    assert parse_form_data(body, "multipart/form-data; boundary=b")["x"][0].value == b"hi"


def test_url_encoded_form() -> None:
    form = parse_form_data(b"token=abc&subject=H%C3%A9llo+there&empty=", "application/x-www-form-urlencoded")
    assert first_text(form, "subject") == "Héllo there"
    assert first_text(form, "empty") == ""
    assert first_text(form, "missing") is None


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"{}", "application/json", "expected multipart/form-data"),
        (b"--b--", "multipart/form-data; boundary=bé", "ASCII"),
        (b"", "", "expected multipart/form-data"),
        (b"--b\r\n", "multipart/form-data", "boundary"),
        (b"--b\r\n", "multipart/form-data; boundary=" + "x" * 300, "boundary"),
        (b"no delimiter at all", "multipart/form-data; boundary=b", "truncated"),
        (b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue', "multipart/form-data; boundary=b",
         "truncated"),
        (b'--b\r\nContent-Disposition: form-data; name="a"', "multipart/form-data; boundary=b", "truncated"),
        (b'--b\r\nContent-Disposition: form-data; name="a"\r\n--b--', "multipart/form-data; boundary=b",
         "blank line"),
        (b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--", "multipart/form-data; boundary=b", "form-data"),
        (b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--", "multipart/form-data; boundary=b", "name"),
        (b"--b\r\n\r\nx\r\n--b--", "multipart/form-data; boundary=b", "Content-Disposition"),
        (b"--bjunk\r\n", "multipart/form-data; boundary=b", "truncated"),
        (b"--b junk\r\n--b--", "multipart/form-data; boundary=b", "malformed delimiter"),
    ],
)
def test_malformed_bodies_are_invalid_input(body: bytes, content_type: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        parse_form_data(body, content_type)


def test_too_many_fields_are_refused() -> None:
    body, content_type = encode_form_data([FormValue(f"f{i}", b"x") for i in range(1002)])
    with pytest.raises(InvalidInput, match="more than"):
        parse_form_data(body, content_type)
    with pytest.raises(InvalidInput, match="url-encoded"):
        parse_form_data(b"&".join(b"a=1" for _ in range(1002)), "application/x-www-form-urlencoded")
