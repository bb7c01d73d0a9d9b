"""A plain-text rendering of an HTML mail body (for mails that have no text part)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIPPED = {"script", "style", "head", "title", "template", "noscript"}
_BLOCKS = {
    "p", "div", "tr", "li", "ul", "ol", "table", "blockquote", "pre", "section", "article", "header",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "dd", "dt", "dl", "address", "center",
}  # fmt: skip
_SPACES_RE = re.compile(r"[ \t\f\v\u00a0]+")
_BLANK_LINES_RE = re.compile(r"\n{3,}")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skipping = 0
        self._preformatted = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
            return
        if tag == "pre":
            self._preformatted += 1
        if tag == "br" or tag in _BLOCKS:
            self.chunks.append("\n")
        elif tag in ("td", "th"):
            self.chunks.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" or tag in _BLOCKS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
            return
        if tag == "pre":
            self._preformatted = max(0, self._preformatted - 1)
        if tag in _BLOCKS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        self.chunks.append(data if self._preformatted else re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Strip tags, scripts and styles; keep line breaks for <br>, <p>, <div> and other blocks."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):
        # html.parser gives up on some broken markup: keep the text read so far
        parser.chunks.append("\n")
    text = "".join(parser.chunks)
    lines = [_SPACES_RE.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES_RE.sub("\n\n", "\n".join(lines)).strip()
