"""The chatwoot .eml fixtures: everything parses, auto-replies and bounces are recognised, threads keep."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk.channels.email.parse import parse_email
from tests.support import corpus


def _corpus() -> Path:
    return corpus("eml_chatwoot")


AUTO_REPLIES = {"auto_reply.eml", "auto_reply_with_auto_submitted.eml", "non_utf_encoded_mail.eml"}
BOUNCES = {"bounced_gmail.eml", "bounced_with_no_from.eml"}

pytestmark = pytest.mark.corpus


def test_every_file_parses_and_serialises() -> None:
    files = sorted(_corpus().glob("*.eml"))
    assert len(files) == 39
    for path in files:
        parsed = parse_email(path.read_bytes())
        assert parsed.message_id, path.name
        assert parsed.to_json()["message_id"] == parsed.message_id


def test_auto_replies_and_bounces_are_recognised_by_name() -> None:
    folder = _corpus()
    for path in sorted(folder.glob("*.eml")):
        parsed = parse_email(path.read_bytes())
        if path.name in BOUNCES:
            expected = "bounce"
        elif path.name in AUTO_REPLIES:
            expected = "auto_reply"
        else:
            expected = "normal"
        assert parsed.kind == expected, path.name
        assert parsed.auto_submitted == (expected != "normal"), path.name


def test_bounce_details() -> None:
    folder = _corpus()
    gmail = parse_email((folder / "bounced_gmail.eml").read_bytes())
    assert gmail.bounce is not None
    assert gmail.bounce.original_message_id == (
        "conversation/93775311-9416-4428-964b-862001f8a8b2/messages/27855337@gmail.com"
    )
    postfix = parse_email((folder / "bounced_with_no_from.eml").read_bytes())
    assert postfix.bounce is not None
    assert postfix.bounce.recipient == "noreply@example-service.com"
    assert postfix.bounce.status == "5.7.1"
    assert postfix.from_ is None


def test_threading_headers_are_kept() -> None:
    folder = _corpus()
    for path in sorted(folder.glob("*.eml")):
        raw = path.read_bytes()
        parsed = parse_email(raw)
        header_block = raw.split(b"\n\n", 1)[0].lower()
        if b"\nin-reply-to: <" in header_block:
            assert parsed.in_reply_to, path.name
        if b"\nreferences: <" in header_block:
            assert parsed.references, path.name
    refs = parse_email((folder / "references.eml").read_bytes())
    assert refs.in_reply_to == "4e6e35f5a38b4_479f13bb90078178@small-app-01.mail"
    assert refs.references == ["4e6e35f5a38b4_479f13bb90078178@small-app-01.mail", "test-reference-id"]
    duplicated = parse_email((folder / "reply.eml").read_bytes())  # "In-Reply-To: <a>, <a>"
    assert duplicated.in_reply_to == "4e6e35f5a38b4_479f13bb90078178@small-app-01.mail"


def test_bodies_attachments_and_odd_headers() -> None:
    folder = _corpus()
    only_html = parse_email((folder / "only_html.eml").read_bytes())
    assert only_html.text == "This is html only mail"
    inline = parse_email((folder / "mail_with_inline_images.eml").read_bytes())
    assert next((a.filename, a.inline, a.content_id) for a in inline.attachments) == (
        "poster (8).jpg",
        True,
        "ii_lm7fuura0",
    )
    nameless = parse_email((folder / "attachments_without_filename.eml").read_bytes())
    assert [a.filename for a in nameless.attachments] == ["attachment-1.png", "attachment-2.png"]
    arabic = parse_email((folder / "non_utf_encoded_mail.eml").read_bytes())
    assert arabic.subject.startswith("أهلين")
    assert arabic.from_ is not None and arabic.from_.name == "متجر سوق نت"
    assert parse_email((folder / "mail_with_no_date.eml").read_bytes()).date is None
    assert parse_email((folder / "mail_with_no_subject.eml").read_bytes()).subject == ""
    invalid_to = parse_email((folder / "mail_with_invalid_to_2.eml").read_bytes())
    assert [a.address for a in invalid_to.to] == ["vishnu@chatwoot.com"]
    upper = parse_email((folder / "support_uppercase.eml").read_bytes())
    assert upper.from_ is not None and upper.from_.address == "sony@chatwoot.com"
    quoted = parse_email((folder / "mail_with_quote.eml").read_bytes())
    assert quoted.reply_text == "Yes, I am providing you step how to reproduce this issue"
