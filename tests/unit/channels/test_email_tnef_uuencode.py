"""Files hidden inside other parts: Outlook's winmail.dat (TNEF) and uuencoded blocks in plain-text bodies.

No library writes TNEF, so `tnef()` below builds one byte by byte after MS-OXTNEF: a signature, a key, then
attributes (level, id, type, length, data, checksum); each attachment opens with attAttachRendData and carries
attAttachTitle (the 8.3 name), attAttachData (the bytes) and attAttachment (MAPI properties, here the long name).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct

from helpdesk.channels.email.parse import parse_email
from helpdesk.channels.email.tnef import tnef_files
from helpdesk.channels.email.uuencode import extract_uuencoded

PDF = b"%PDF-1.4\n" + bytes(range(256)) + b"\n%%EOF\n\x00\x00"  # trailing NULs must survive
CSV = b"order,total\n1234,19.90\n"


def _attribute(level: int, attribute_id: int, attribute_type: int, data: bytes) -> bytes:
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BHHI", level, attribute_id, attribute_type, len(data)) + data + struct.pack("<H", checksum)


def _long_name_property(name: str) -> bytes:
    """One MAPI property, PR_ATTACH_LONG_FILENAME (0x3707) as PT_STRING8 (0x001E), padded to 4 bytes."""
    value = name.encode("cp1252") + b"\x00"
    padded = value + b"\x00" * (-len(value) % 4)
    return struct.pack("<IHHII", 1, 0x001E, 0x3707, 1, len(value)) + padded


def tnef(files: list[tuple[str, str, bytes]]) -> bytes:
    """A TNEF stream carrying (8.3 title, long name, data) files."""
    out = struct.pack("<IH", 0x223E9F78, 0x0001)
    out += _attribute(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000))  # attTnefVersion
    out += _attribute(1, 0x9007, 0x0006, struct.pack("<II", 1252, 0))  # attOemCodepage
    out += _attribute(1, 0x8008, 0x0007, b"IPM.Microsoft Mail.Note\x00")  # attMessageClass
    for title, long_name, data in files:
        out += _attribute(2, 0x9002, 0x0006, struct.pack("<HIHHI", 1, 0xFFFFFFFF, 0, 0, 0))  # attAttachRendData
        out += _attribute(2, 0x8010, 0x0001, title.encode("cp1252") + b"\x00")  # attAttachTitle
        out += _attribute(2, 0x800F, 0x0006, data)  # attAttachData
        out += _attribute(2, 0x9005, 0x0006, _long_name_property(long_name))  # attAttachment
    return out


def mail_with_part(part_headers: str, payload: bytes) -> bytes:
    encoded = base64.encodebytes(payload).decode("ascii")
    return (
        "From: Pat <pat@corp.example>\nTo: help@example.com\nSubject: Report\nMessage-ID: <t1@corp.example>\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n'
        "--b\nContent-Type: text/plain; charset=utf-8\n\nSee the attached report.\n"
        f"--b\n{part_headers}\nContent-Transfer-Encoding: base64\n\n{encoded}--b--\n"
    ).encode("ascii")


def test_the_tnef_builder_is_what_tnefparse_reads() -> None:
    [pdf, csv] = tnef_files(tnef([("REPORT~1.PDF", "Quarterly report 2026.pdf", PDF), ("DATA.CSV", "data.csv", CSV)]))
    assert (pdf.name, pdf.data) == ("Quarterly report 2026.pdf", PDF)
    assert (csv.name, csv.data) == ("data.csv", CSV)


def test_winmail_dat_is_kept_and_the_files_inside_it_are_added() -> None:
    blob = tnef([("REPORT~1.PDF", "Quarterly report 2026.pdf", PDF), ("DATA.CSV", "Données.csv", CSV)])
    raw = mail_with_part('Content-Type: application/ms-tnef; name="winmail.dat"\n'
                         'Content-Disposition: attachment; filename="winmail.dat"', blob)
    mail = parse_email(raw)
    assert mail.text.strip() == "See the attached report."
    assert [(a.filename, a.content_type, a.size) for a in mail.attachments] == [
        ("winmail.dat", "application/ms-tnef", len(blob)),
        ("Quarterly report 2026.pdf", "application/pdf", len(PDF)),
        ("Données.csv", "text/csv", len(CSV)),
    ]
    assert mail.attachments[1].sha256 == hashlib.sha256(PDF).hexdigest()
    assert mail.attachments[1].data == PDF and not mail.attachments[1].inline
    assert mail.attachments[2].sha256 == hashlib.sha256(CSV).hexdigest()


def test_a_winmail_dat_sent_as_octet_stream_is_recognised_by_its_name() -> None:
    raw = mail_with_part('Content-Type: application/octet-stream\n'
                         'Content-Disposition: attachment; filename="WINMAIL.DAT"',
                         tnef([("NOTES.TXT", "", b"hello")]))
    names = [(a.filename, a.content_type) for a in parse_email(raw).attachments]
    assert names == [("WINMAIL.DAT", "application/octet-stream"), ("NOTES.TXT", "text/plain")]


def test_a_broken_tnef_degrades_to_the_dat_attachment_alone() -> None:
    good = tnef([("REPORT~1.PDF", "Quarterly report 2026.pdf", PDF)])
    for blob in (good[:40], good[:-3] + b"\xff\xff\xff\xff\xff\xff\xff\xff", b"not tnef at all", b""):
        mail = parse_email(mail_with_part('Content-Type: application/ms-tnef; name="winmail.dat"', blob))
        assert [a.filename for a in mail.attachments][:1] == ["winmail.dat"]
        assert all(a.filename != "Quarterly report 2026.pdf" or a.data == PDF for a in mail.attachments)
        assert mail.text.strip() == "See the attached report."
    truncated = parse_email(mail_with_part('Content-Type: application/ms-tnef; name="winmail.dat"', good[:40]))
    assert [a.filename for a in truncated.attachments] == ["winmail.dat"]


def _uu(data: bytes) -> str:
    return "".join(binascii.b2a_uu(data[i:i + 45]).decode("ascii") for i in range(0, len(data), 45)) + "`\n"


def test_uuencoded_blocks_become_attachments_and_leave_the_text() -> None:
    logo = bytes(range(256)) * 2
    body = (f"Hello,\n\nthe files:\nbegin 644 logo.png\n{_uu(logo)}end\n\n"
            f"begin 600 order notes.txt\n{_uu(CSV)}end\nThanks, Pat\n")
    raw = ("From: Pat <pat@corp.example>\nTo: help@example.com\nSubject: Files\nMessage-ID: <u1@corp.example>\n"
           "Content-Type: text/plain; charset=us-ascii\n\n" + body).encode("ascii")
    mail = parse_email(raw)
    assert mail.text == "Hello,\n\nthe files:\n\nThanks, Pat\n"
    assert "begin 644" not in mail.reply_text
    assert [(a.filename, a.content_type, a.size) for a in mail.attachments] == [
        ("logo.png", "image/png", len(logo)), ("order notes.txt", "text/plain", len(CSV))]
    assert mail.attachments[0].data == logo
    assert mail.attachments[0].sha256 == hashlib.sha256(logo).hexdigest()


def test_uuencode_variants_crlf_stripped_padding_and_base64() -> None:
    stripped = "".join(line.rstrip() + "\r\n" for line in _uu(b"\x00" * 10).splitlines())  # zeros encode as spaces
    text = f"a\r\nbegin 644 x.bin\r\n{stripped}end\r\nb\r\n"
    kept, [file] = extract_uuencoded(text)
    assert (kept, file.name, file.data) == ("a\r\nb\r\n", "x.bin", b"\x00" * 10)
    b64 = f"begin-base64 644 c.csv\n{base64.encodebytes(CSV).decode()}====\n"
    kept, [file] = extract_uuencoded("x\n" + b64)
    assert (kept, file.data) == ("x\n", CSV)


def test_text_that_only_looks_like_uuencode_stays() -> None:
    for text in ("begin 644 notes.txt\nHello world, this is prose\nend\n",  # not the uuencode alphabet
                 "begin 644 x.bin\n#86)C\n",  # never closed
                 "Let us begin 644 items today\nend\n",  # not at the start of a line
                 "begin now\n"):
        assert extract_uuencoded(text) == (text, [])
