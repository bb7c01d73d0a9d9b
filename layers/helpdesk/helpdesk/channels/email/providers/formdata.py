"""Read ``multipart/form-data`` and ``application/x-www-form-urlencoded`` bodies, file parts byte for byte."""

from __future__ import annotations

import binascii
import quopri
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32
from email.utils import collapse_rfc2231_value
from urllib.parse import parse_qsl

from helpdesk.channels.email.charsets import decode_bytes
from helpdesk.domain.errors import InvalidInput

MAX_FIELDS = 1000
_HEADER_END_RE = re.compile(rb"\r?\n\r?\n")
_BOUNDARY_RE = re.compile(r"^[0-9A-Za-z'()+_,\-./:=? ]{1,200}$")


@dataclass(frozen=True)
class FormValue:
    name: str
    value: bytes = field(repr=False)
    filename: str | None = None
    content_type: str | None = None

    def text(self, charset: str | None = None) -> str:
        return decode_bytes(self.value, charset or self.charset)

    @property
    def charset(self) -> str | None:
        if not self.content_type:
            return None
        message = Message(policy=compat32)
        message["Content-Type"] = self.content_type
        value = message.get_param("charset")
        return value if isinstance(value, str) else None


FormData = dict[str, list[FormValue]]


def parse_form_data(body: bytes, content_type: str) -> FormData:
    """Fields by name in body order; InvalidInput with a reason when the body cannot be read."""
    if not isinstance(content_type, str) or not content_type.isascii():
        raise InvalidInput("form content type must be an ASCII string")
    header = Message(policy=compat32)
    header["Content-Type"] = " ".join(content_type.split())
    kind = header.get_content_type()
    if kind == "application/x-www-form-urlencoded":
        return _parse_urlencoded(bytes(body))
    if kind != "multipart/form-data":
        raise InvalidInput(f"expected multipart/form-data or a url-encoded form, got {kind!r}")
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str) or not _BOUNDARY_RE.match(boundary):
        raise InvalidInput("multipart/form-data without a usable boundary")
    form: FormData = {}
    for part in _split_parts(bytes(body), boundary.encode("ascii")):
        value = _form_value(part)
        form.setdefault(value.name, []).append(value)
    return form


def encode_form_data(values: Sequence[FormValue], boundary: str = "helpdesk-form-boundary") -> tuple[bytes, str]:
    """The ``multipart/form-data`` body and content type for ``values`` (for tests, demos and sample events)."""
    chunks: list[bytes] = []
    for value in values:
        disposition = f'form-data; name="{value.name}"'
        if value.filename is not None:
            disposition += f'; filename="{value.filename}"'
        headers = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if value.content_type is not None:
            headers += f"Content-Type: {value.content_type}\r\n"
        chunks.append(headers.encode("utf-8") + b"\r\n" + value.value + b"\r\n")
    body = b"".join(chunks) + f"--{boundary}--\r\n".encode("ascii")
    return body, f"multipart/form-data; boundary={boundary}"


def first_value(form: Mapping[str, list[FormValue]], name: str) -> FormValue | None:
    values = form.get(name)
    return values[0] if values else None


def first_text(form: Mapping[str, list[FormValue]], name: str, charset: str | None = None) -> str | None:
    value = first_value(form, name)
    return None if value is None else value.text(charset)


def _parse_urlencoded(body: bytes) -> FormData:
    try:
        # latin-1 both ways keeps every byte: the values come back exactly as percent-decoded bytes
        text = body.decode("latin-1")
        pairs = parse_qsl(text, keep_blank_values=True, encoding="latin-1", max_num_fields=MAX_FIELDS)
    except ValueError as error:
        raise InvalidInput(f"url-encoded form cannot be read: {error}") from error
    form: FormData = {}
    for raw_name, raw_value in pairs:
        name = decode_bytes(raw_name.encode("latin-1"), "utf-8")
        form.setdefault(name, []).append(FormValue(name=name, value=raw_value.encode("latin-1")))
    return form


def _split_parts(body: bytes, boundary: bytes) -> list[bytes]:
    """The bytes of each part between ``--boundary`` lines; the newline before a delimiter belongs to it."""
    delimiter = b"--" + boundary
    position = _find_delimiter(body, delimiter, 0, first=True)
    parts: list[bytes] = []
    while True:
        after = position + len(delimiter)
        if body.startswith(b"--", after):
            return parts
        line_end = body.find(b"\n", after)
        if line_end < 0 or body[after:line_end].strip(b" \t\r"):
            raise InvalidInput("multipart/form-data body is truncated or has a malformed delimiter line")
        start = line_end + 1
        position = _find_delimiter(body, delimiter, start, first=False)
        end = position - 1  # the "\n" before the delimiter
        if end > start and body[end - 1 : end] == b"\r":
            end -= 1
        parts.append(body[start:max(start, end)])
        if len(parts) > MAX_FIELDS:
            raise InvalidInput(f"multipart/form-data body has more than {MAX_FIELDS} parts")


def _find_delimiter(body: bytes, delimiter: bytes, start: int, *, first: bool) -> int:
    if first and body.startswith(delimiter):
        return 0
    search = start - 1 if not first else 0
    while True:
        found = body.find(b"\n" + delimiter, max(search, 0))
        if found < 0:
            raise InvalidInput("multipart/form-data body is truncated: a boundary is missing")
        position = found + 1
        following = body[position + len(delimiter) : position + len(delimiter) + 1]
        if following in (b"", b"-", b"\r", b"\n", b" ", b"\t"):
            return position
        search = position


def _form_value(part: bytes) -> FormValue:
    found = _HEADER_END_RE.search(part)
    if part.startswith((b"\r\n", b"\n")):  # a part without headers
        raise InvalidInput("multipart/form-data part has no Content-Disposition header")
    if not found:
        raise InvalidInput("multipart/form-data part has no blank line after its headers")
    headers = HeaderParser(policy=compat32).parsestr(decode_bytes(part[: found.start()], "utf-8"))
    if headers.get_content_disposition() != "form-data":
        raise InvalidInput("multipart/form-data part is not a form-data field")
    name = _param(headers, "name")
    if not name:
        raise InvalidInput("multipart/form-data part has no field name")
    data = _decoded(part[found.end() :], str(headers.get("content-transfer-encoding", "")).strip().lower())
    content_type = headers.get("content-type")
    return FormValue(
        name=name,
        value=data,
        filename=_param(headers, "filename"),
        content_type=" ".join(str(content_type).split()) if content_type is not None else None,
    )


def _param(headers: Message, name: str) -> str | None:
    value = headers.get_param(name, header="content-disposition")
    if value is None:
        return None
    text = collapse_rfc2231_value(value)
    return text if isinstance(text, str) else None


def _decoded(data: bytes, transfer_encoding: str) -> bytes:
    """RFC 7578 deprecates transfer encodings in forms, but some senders still use them."""
    try:
        if transfer_encoding == "base64":
            return binascii.a2b_base64(data)
        if transfer_encoding == "quoted-printable":
            return quopri.decodestring(data)
    except (binascii.Error, ValueError) as error:
        raise InvalidInput(f"multipart/form-data part has a broken {transfer_encoding} body") from error
    return data
