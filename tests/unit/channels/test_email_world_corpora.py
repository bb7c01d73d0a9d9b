"""Real mail nobody here wrote: GNU Mailman's bounce collection (bounces_flufl) and SpamScope's malformed and
international mails (eml_spamscope).

The bounce recipients come from three sources in order (the structured report, flufl.bounce's detectors, the words
of the bounce); flufl.bounce's own tests built ``expectations.json``, so the count our own readers reach without it
is reported beside the total, as the honest measure of the reader we wrote.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpdesk.channels.email import dsn
from helpdesk.channels.email.parse import parse_email
from tests.support import corpus

pytestmark = pytest.mark.corpus

# A person's reply (an "RE:" from a hotel's reservations desk): flufl.bounce keeps it as the example that a
# GroupWise-looking mail is not a bounce, and lists no recipient for it; answering a person is right.
PEOPLE = {"groupwise_03.txt"}


def _bounces() -> tuple[Path, dict[str, dict[str, object]]]:
    root = corpus("bounces_flufl")
    return root, json.loads((root / "expectations.json").read_text())


def _score(root: Path, expected: dict[str, dict[str, object]]) -> tuple[int, int, list[str], list[str]]:
    found = with_recipient = 0
    normal, wrong_temporary = [], []
    for name, expectation in sorted(expected.items()):
        parsed = parse_email((root / name).read_bytes())
        if parsed.kind == "normal":
            normal.append(name)
        recipients = [str(r).lower() for r in expectation["recipients"]]  # type: ignore[attr-defined]
        if recipients:
            with_recipient += 1
            found += bool(parsed.bounce and parsed.bounce.recipient in recipients)
            if parsed.bounce is None or parsed.bounce.temporary != expectation["temporary"]:
                wrong_temporary.append(name)
    return found, with_recipient, normal, wrong_temporary


def test_every_bounce_is_automatic_and_names_its_recipient_and_whether_it_is_temporary(capsys: object) -> None:
    root, expected = _bounces()
    found, with_recipient, normal, wrong_temporary = _score(root, expected)
    print(f"bounces_flufl: recipient found for {found} of {with_recipient}; normal: {normal}")
    assert with_recipient == 111 and found >= 100
    assert set(normal) == PEOPLE
    assert wrong_temporary == []


def test_our_own_readers_find_most_recipients_without_flufl(monkeypatch: pytest.MonkeyPatch) -> None:
    root, expected = _bounces()
    monkeypatch.setattr(dsn, "_flufl", lambda raw: (None, False))
    found, with_recipient, normal, _ = _score(root, expected)
    print(f"bounces_flufl without flufl.bounce: recipient found for {found} of {with_recipient}")
    assert found >= 80 and set(normal) == PEOPLE  # classification never needed flufl


def test_every_spamscope_mail_parses_with_its_sender_and_subject() -> None:
    root = corpus("eml_spamscope")
    files = [path for path in sorted(root.iterdir()) if path.name not in ("LICENSE", "NOTICE")]
    assert len(files) >= 20
    for path in files:
        raw = path.read_bytes()
        parsed = parse_email(raw)
        if raw.startswith(b"\xd0\xcf\x11\xe0"):  # an Outlook .msg (an OLE compound file): read as the mail it holds
            assert parsed.from_ is not None and parsed.subject and parsed.text.strip(), path.name
            continue
        head = b"\n" + raw.split(b"\n\n", 1)[0].lower()
        if b"\nfrom:" in head:
            assert parsed.from_ is not None and "@" in parsed.from_.address, path.name
        if b"\nsubject:" in head:
            assert parsed.subject, path.name
