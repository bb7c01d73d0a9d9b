"""Reply trimming: hand-written cases and the discourse/email_reply_trimmer corpus score."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk.channels.email.trimming import trim_reply
from tests.support import corpus

# 64 of 64 cases pass today; the floor leaves room for a deliberate trade-off, not for silent regressions
TRIMMING_FLOOR = 62


def _normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")


def trimming_score(folder: Path) -> tuple[int, int, list[str]]:
    emails = sorted((folder / "emails").glob("*.txt"))
    failed = [
        path.name
        for path in emails
        if _normalise(trim_reply(path.read_text(encoding="utf-8")))
        != _normalise((folder / "trimmed" / path.name).read_text(encoding="utf-8"))
    ]
    return len(emails) - len(failed), len(emails), failed


@pytest.mark.corpus
def test_reply_trimming_corpus_score() -> None:
    folder = corpus("reply_trimming")
    passed, total, failed = trimming_score(folder)
    print(f"reply trimming score: {passed}/{total}; failing: {failed}")
    assert total == 64
    assert passed >= TRIMMING_FLOOR, failed


def test_on_date_wrote_quote_is_removed() -> None:
    text = "Thanks, that fixed it.\n\nOn Mon, Jan 1, 2024 at 10:00 AM Support <help@example.com> wrote:\n> Try again\n"
    assert trim_reply(text) == "Thanks, that fixed it."


def test_on_date_wrote_split_over_two_lines() -> None:
    text = "Works now.\n\nOn Mon, Jan 1, 2024 at 10:00 AM Support Team <\nhelp@example.com> wrote:\n> Try again\n"
    assert trim_reply(text) == "Works now."


@pytest.mark.parametrize(
    "marker",
    [
        "Am 01.01.2024 um 10:00 schrieb Support <help@example.com>:",
        "Le 1 janv. 2024 à 10:00, Support <help@example.com> a écrit :",
        "El lun, 1 ene 2024 a las 10:00, Support (<help@example.com>) escribió:",
        "Il giorno lun 1 gen 2024 alle ore 10:00 Support <help@example.com> ha scritto:",
        "Op ma 1 jan. 2024 om 10:00 schreef Support <help@example.com>:",
    ],
)
def test_wrote_markers_in_other_languages(marker: str) -> None:
    assert trim_reply(f"Danke!\n\n{marker}\n> Hallo\n") == "Danke!"


def test_outlook_original_message_block() -> None:
    text = (
        "Please close the ticket.\n\n-----Original Message-----\nFrom: Support <help@example.com>\n"
        "Sent: Monday, January 1, 2024 10:00 AM\nTo: Jane <jane@example.com>\nSubject: Re: [#12] Printer\n\nOld text\n"
    )
    assert trim_reply(text) == "Please close the ticket."


def test_outlook_header_block_without_separator() -> None:
    text = (
        "Please close the ticket.\n\nFrom: Support <help@example.com>\nSent: Monday, January 1, 2024 10:00 AM\n"
        "To: Jane <jane@example.com>\nSubject: Re: [#12] Printer\n\nOld text\n"
    )
    assert trim_reply(text) == "Please close the ticket."


def test_signature_delimiter_and_mobile_signature() -> None:
    assert trim_reply("Yes please.\n\nSent from my iPhone\n") == "Yes please."
    assert trim_reply("Yes please.\n-- \nJane Doe\nACME Corp\n") == "Yes please."


def test_forwarded_marker() -> None:
    text = "See below.\n\n---------- Forwarded message ---------\nFrom: Bob <bob@example.com>\nHi\n"
    assert trim_reply(text) == "See below."


def test_quoted_lines_after_text_are_removed_and_inline_text_kept() -> None:
    assert trim_reply("My answer\n\n> old line\n> older line\n") == "My answer"


def test_reply_below_the_quote() -> None:
    text = "On Mon, Jan 1, 2024 at 10:00 AM Support <help@example.com> wrote:\n> question?\n\nMy answer.\n"
    assert trim_reply(text) == "My answer."


def test_empty_and_crlf_input() -> None:
    assert trim_reply("") == ""
    assert trim_reply("  \r\n ") == ""
    assert trim_reply("Hello\r\nworld\r\n") == "Hello\nworld"


def test_long_lines_stay_fast() -> None:
    text = "2016 aaaa " * 50_000 + "\n> quote\n"
    assert trim_reply(text).startswith("2016 aaaa")


def test_pipe_quotes_are_trimmed_but_tables_stay() -> None:
    assert trim_reply("Agreed.\n\n| old text\n| more old text\n") == "Agreed."
    table = "Here is the table:\n| a | b |\n| 1 | 2 |"
    assert trim_reply(table) == table
