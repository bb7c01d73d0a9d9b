"""Trim quoted history and signatures from a plain-text reply.

The approach follows discourse/email_reply_trimmer (MIT): every line is classified (empty, delimiter,
signature, embedded-mail marker, mail header, quote, text, code), the classes form a string such as
``"tteebqqq"``, and a few regular expressions over that string decide where the reply ends.
"""

from __future__ import annotations

import re

from helpdesk.channels.email.trimming_rules import (
    DELIMITER_RE,
    EMAIL_HEADER_RES,
    EMBEDDED_RES,
    SIGNATURE_RES,
    UNWRAP_RES,
)

EMPTY = "e"
DELIMITER = "d"
SIGNATURE = "s"
EMBEDDED = "b"
EMAIL_HEADER = "h"
QUOTE = "q"
TEXT = "t"

_LONGEST_MARKER_LINE = 1000  # longer lines are text; this also bounds the regexes' work
_BLANK_RE = re.compile(r"^[ \t]*$")
_QUOTE_RE = re.compile(r"^[ \t]*>")
_MARKDOWN_LINK_RE = re.compile(r"\[([^\]]+)\]\([^)]+\)")
_CODE_OPEN_RE = re.compile(r"^```")
_CODE_CLOSE_RE = re.compile(r"^ {0,3}```\s*$")
_UNWRAP_GAP_RE = re.compile(r"\n+\s*")
_PGP_HEAD_RE = re.compile(r"\A-----BEGIN PGP SIGNED MESSAGE-----\n(?:Hash: \w+)?\s+", re.IGNORECASE)
_PGP_SIGNATURE_RE = re.compile(r"^-----BEGIN PGP SIGNATURE-----$[\s\S]+^-----END PGP SIGNATURE-----", re.M)
_UNSUBSCRIBE_RE = re.compile(r"^Unsubscribe: .+@.+(?:\n.+http:.+)?\s*\Z", re.IGNORECASE | re.M)
_ALIAS_QUOTE_RE = re.compile(r'^.*>{5} "[^"\n]+" == .+ writes:', re.M)
_ENCLOSED_NAMED_RE = re.compile(r"^>>> ?(.+) ?>>>$\n([\s\S]+?)\n^<<< ?\1 ?<<<$", re.M)
_ENCLOSED_ARROWS_RE = re.compile(r"^>{4,}[ \t]*$\n([\s\S]+?)\n^<{4,}[ \t]*$", re.M)
_QUOTE_PREFIX_RE = re.compile(r"^((?:[ \t]*[^\W\d_]*[>|])+)", re.M)
_QUOTE_MARK_RE = re.compile(r"[^\W\d_]+>|\|")


def classify_line(line: str) -> str:
    """Return the one-letter class of a line outside a code block."""
    if _BLANK_RE.match(line):
        return EMPTY
    if len(line) > _LONGEST_MARKER_LINE:
        return TEXT
    if DELIMITER_RE.match(line):
        return DELIMITER
    unlinked = _MARKDOWN_LINK_RE.sub(r"\1", line)
    if any(rule.search(unlinked) for rule in SIGNATURE_RES):
        return SIGNATURE
    if any(rule.search(line) for rule in EMBEDDED_RES):
        return EMBEDDED
    if any(rule.search(line) for rule in EMAIL_HEADER_RES):
        return EMAIL_HEADER
    if _QUOTE_RE.match(line):
        return QUOTE
    return TEXT


def _classify(lines: list[str]) -> str:
    classes: list[str] = []
    in_code = False
    for line in lines:
        if in_code:
            classes.append(TEXT)
            in_code = not _CODE_CLOSE_RE.match(line)
        elif _CODE_OPEN_RE.match(line):
            classes.append(TEXT)
            in_code = True
        else:
            classes.append(classify_line(_as_quote(line)))
    return "".join(classes)


def _preprocess(text: str) -> str:
    """Normalise line endings, drop PGP and unsubscribe noise, unwrap markers, turn enclosed quotes into ``>``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _PGP_HEAD_RE.sub("", text)
    text = _PGP_SIGNATURE_RE.sub("", text)
    text = _UNSUBSCRIBE_RE.sub("", text)
    text = _ALIAS_QUOTE_RE.sub("", text)
    text = _ENCLOSED_NAMED_RE.sub(lambda m: _quote_block(m.group(2)), text)
    text = _ENCLOSED_ARROWS_RE.sub(lambda m: _quote_block(m.group(1)), text)
    for rule in UNWRAP_RES:
        text = rule.sub(_unwrap, text)
    return text.strip("\n")


def _as_quote(line: str) -> str:
    """How a line reads for classification: "| text" and "Name> text" quote styles become "> text".

    Only the classification sees this; the reply keeps the line as written. Table rows ("| a | b |") stay.
    """
    stripped = line.strip()
    if stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
        return line
    return _QUOTE_PREFIX_RE.sub(lambda m: _QUOTE_MARK_RE.sub(">", m.group(1)), line)


def _quote_block(block: str) -> str:
    return re.sub(r"(?m)^", "> ", block)


def _unwrap(match: re.Match[str]) -> str:
    found = match.group(0)
    return found if found.count("\n") > 4 else _UNWRAP_GAP_RE.sub(" ", found)


def _remove(pattern: str, lines: list[str], letter: str) -> tuple[str, list[str]]:
    kept = [(c, line) for c, line in zip(pattern, lines, strict=True) if c != letter]
    return "".join(c for c, _ in kept), [line for _, line in kept]


def _cut_after(pattern: str, lines: list[str], regex: str) -> tuple[str, list[str]]:
    """Keep everything up to and including the first character matched by ``regex``."""
    found = re.search(regex, pattern)
    if found is None:
        return pattern, lines
    return pattern[: found.start() + 1], lines[: found.start() + 1]


def trim_reply(text: str) -> str:
    """Return the new part of a reply: quoted history, forwarded mail and signatures removed."""
    if not text or not text.strip():
        return ""
    text = _preprocess(text)
    lines = text.split("\n")
    pattern = _classify(lines)

    # everything after the first delimiter ("--", "____", ...) is a signature or old mail
    first_delimiter = pattern.find(DELIMITER)
    if first_delimiter >= 0:
        pattern, lines = pattern[:first_delimiter], lines[:first_delimiter]

    pattern, lines = _remove(pattern, lines, SIGNATURE)

    # the reply is written below the quote
    if re.search(r"^b[^t]+t[et]*$", pattern):
        return _strip_blank_lines(lines[len(pattern.rstrip(EMPTY + TEXT)) :])

    # a marker not followed by a quote, or followed by a long quote: the reply ends at the marker
    pattern, lines = _cut_after(pattern, lines, r"te*b[^q]*$")
    long_quote = re.search(r"te*b[eqbh]*([te]*)$", pattern)
    if long_quote and long_quote.group(1).count(TEXT) < 7:
        pattern, lines = _cut_after(pattern, lines, r"te*b[eqbh]*[te]*$")
    # some text before a long quote that ends the mail: drop the quote
    pattern, lines = _cut_after(pattern, lines, r"t?e*[qbe]+$")
    pattern, lines = _remove(pattern, lines, EMBEDDED)

    # mail headers wrapped over several lines
    spanning = re.search(r"h+[hte]+h+e", pattern)
    if spanning:
        size = spanning.end() - spanning.start()
        pattern = pattern[: spanning.start()] + EMAIL_HEADER * size + pattern[spanning.end() :]

    # three header lines in a row start a forwarded or Outlook-quoted mail
    pattern, lines = _cut_after(pattern, lines, r"t[eq]*h{3,}")
    pattern, lines = _remove(pattern, lines, EMAIL_HEADER)

    # trailing quotes once there is some text
    if TEXT in pattern:
        trailing = re.search(r"[eq]+$", pattern)
        if trailing:
            lines = lines[: trailing.start()]

    return _strip_blank_lines(lines)


def _strip_blank_lines(lines: list[str]) -> str:
    """Join lines without the blank ones at both ends; keep the first line's indentation."""
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[start:end])
