"""Turn bytes in any declared charset into text, degrading instead of raising.

Undeclared 8-bit bytes (raw header bytes, bodies without a charset) are decoded by evidence, in order: UTF-8 when
they are valid UTF-8 (other multi-byte charsets almost never are), the charsets the mail declares elsewhere, a
detector (charset-normalizer) when it is confident, then Windows-1252. 7-bit ISO-2022-JP and ISO-2022-KR text is
recognised by its escape sequences, declared or not.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence

# labels seen in real mail that Python does not know, or knows as a narrower charset
_ALIASES = {
    "unknown-8bit": "",
    "x-unknown": "",
    "unknown": "",
    "x-user-defined": "",
    "default": "",
    "8bit": "",
    "ansi_x3.4-1968": "ascii",
    "us-ascii": "ascii",
    "ascii": "ascii",
    "iso-8859-8-i": "iso-8859-8",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",  # a superset of EUC-KR, as mail clients use it
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "windows-874": "cp874",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "utf8": "utf-8",
    # as browsers (WHATWG) and mail clients read them: Latin-1 labels hold Windows-1252 (the euro sign, curly
    # quotes and dashes of 0x80-0x9F), which would otherwise come out as invisible C1 control characters
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "cp819": "cp1252",
    "ibm819": "cp1252",
    "unicode-1-1-utf-7": "utf-7",
}

# text codecs only: a label such as "base64" or "rot13" names a codec that is not a charset
_NOT_CHARSETS = {"base64", "hex", "zlib", "bz2", "quopri", "uu", "rot13", "rot-13", "idna", "punycode"}


def normalise_charset(label: str | None) -> str | None:
    """Return a Python codec name for a MIME charset label, or None when it names no usable charset."""
    if not label:
        return None
    cleaned = label.strip().strip("\"'").lower()
    cleaned = _ALIASES.get(cleaned, cleaned)
    if not cleaned:
        return None
    try:
        info = codecs.lookup(cleaned)
    except (LookupError, ValueError):
        return None
    if info.name in _NOT_CHARSETS or not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


# ISO-2022 designations: JIS X 0208/0212/0201 and ASCII for Japanese; KS C 5601 (announced once, SO/SI shifts)
_ISO2022_JP_RE = re.compile(rb"\x1b(?:\$[@B]|\$\(D|\([BJI])")
_ISO2022_KR = b"\x1b$)C"
_DETECTOR_MIN_BYTES = 4  # below this a guess is noise
_DETECTOR_MAX_CHAOS = 0.2
_MIN_PURITY = 0.75


def iso2022_codec(data: bytes) -> str | None:
    """The ISO-2022 codec whose escape sequences ``data`` carries, or None."""
    if b"\x1b" not in data:
        return None
    if _ISO2022_KR in data:
        return "iso2022_kr"
    return "iso2022_jp_ext" if _ISO2022_JP_RE.search(data) else None


def decode_undeclared(data: bytes, hints: Sequence[str] = ()) -> str:
    """Decode bytes whose charset is not declared where they are, by evidence (see the module's docstring);
    ``hints``: the charsets the rest of the mail declares, most telling first."""
    iso2022 = iso2022_codec(data)
    if iso2022:
        try:
            return data.decode(iso2022)
        except UnicodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeError:
        pass
    if not data.isascii():
        for hint in hints:
            codec = normalise_charset(hint)
            if codec and codec not in ("ascii", "utf-8", "cp1252"):
                try:
                    return data.decode(codec)
                except (UnicodeError, LookupError):
                    continue
        guessed = _detect(data)
        if guessed is not None:
            return guessed
    try:
        return data.decode("cp1252")
    except UnicodeError:
        return data.decode("latin-1")


# The detector chooses among the multi-byte charsets of the mail our customers write (and Cyrillic); single-byte
# Latin text is left to Windows-1252, which reads it better than a guess between near-identical code pages.
_DETECTABLE = ["utf_8", "gb18030", "big5", "cp932", "euc_jp", "cp949", "cp1251", "koi8_r"]
_SCRIPTS = {"cp949": "hangul", "gb18030": "han", "big5": "han", "cp932": "japanese", "euc_jp": "japanese"}


_SANDWICHED_RE = re.compile(r"(?<=[A-Za-z])[^\x00-\x7f](?=[A-Za-z])")


def _script(char: str) -> str:
    code = ord(char)
    if 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "hangul"
    if 0x3040 <= code <= 0x30FF:
        return "kana"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
        return "han"
    if 0xFF61 <= code <= 0xFF9F:
        return "halfwidth"  # half-width katakana: what Chinese or Korean bytes read as Shift_JIS look like
    return "other"


def _purity(text: str, codec: str) -> float:
    """How much of the text's CJK is in the scripts its charset's language writes: Chinese read as Korean comes
    out as Hangul strewn with Hanja, Korean read as Chinese as rare ideographs, either read as Shift_JIS as
    half-width katakana."""
    counts: dict[str, int] = {}
    for char in text:
        if ord(char) > 0x7F:
            kind = _script(char)
            counts[kind] = counts.get(kind, 0) + 1
    if codec in ("cp1251", "koi8_r"):
        return _cyrillic_purity(text)
    asian = sum(n for kind, n in counts.items() if kind != "other")
    if not asian:
        return 1.0
    if asian < 2 or len(_SANDWICHED_RE.findall(text)) * 5 > asian:
        return 0.0  # Latin text read as CJK: lone ideographs inside Latin words ("J顤g" for "Jörg")
    expected = _SCRIPTS.get(codec)
    if expected == "japanese":
        return (counts.get("kana", 0) + counts.get("han", 0)) / asian
    return counts.get(expected, 0) / asian if expected else 1.0


def _cyrillic_purity(text: str) -> float:
    """The share of words with Cyrillic letters that have no Latin letter: Latin text read as Cyrillic puts
    Cyrillic letters inside Latin words ("Cafй")."""
    words = [word for word in re.findall(r"\w+", text) if any("\u0400" <= c <= "\u04ff" for c in word)]
    cyrillic = sum(1 for c in text if "\u0400" <= c <= "\u04ff")
    if not words or cyrillic * 2 < sum(1 for c in text if c.isalpha()):
        return 0.0  # mostly Latin: a stray Cyrillic letter is a Windows-1252 symbol misread
    return sum(1 for word in words if not any("a" <= c.lower() <= "z" for c in word)) / len(words)


def _detect(data: bytes) -> str | None:
    found = detect_codec(data)
    return data.decode(found) if found else None


def detect_codec(data: bytes) -> str | None:
    """charset-normalizer's reading of ``data`` among the charsets above, its ties broken by script purity: the
    codec, or None when nothing fits well."""
    if len(data) < _DETECTOR_MIN_BYTES or data.isascii():
        return None
    from charset_normalizer import from_bytes  # imported when needed: most mail never gets here

    readings = [(str(match), match.encoding) for match in from_bytes(data, cp_isolation=_DETECTABLE,
                                                                      threshold=_DETECTOR_MAX_CHAOS)]
    if not readings:
        return None
    scored = sorted((-_purity(text, codec), position, codec) for position, (text, codec) in enumerate(readings))
    best_purity, _, best = scored[0]
    return best if -best_purity >= _MIN_PURITY and best != "utf_8" else None


def decode_bytes(data: bytes, charset: str | None = None, hints: Sequence[str] = ()) -> str:
    """Decode with the declared charset, else by evidence (``decode_undeclared``); a known charset with some
    broken bytes keeps what decodes."""
    codec = normalise_charset(charset)
    if codec is None or codec == "ascii":
        return decode_undeclared(data, hints)
    iso2022 = iso2022_codec(data) if codec in ("utf-8", "cp1252") else None
    for candidate in (iso2022, codec, "utf-8"):  # mislabelled text is common: declared Latin often holds UTF-8
        if candidate:
            try:
                return data.decode(candidate)
            except (UnicodeError, LookupError, ValueError):
                continue
    if codec == "utf-8":
        return decode_undeclared(data, hints)  # mislabelled as UTF-8: read by evidence
    if codec != "cp1252":
        return data.decode(codec, errors="replace")  # a known charset with some broken bytes: keep what decodes
    return data.decode("latin-1")


def unescape_surrogates(text: str, hints: Sequence[str] = ()) -> str:
    """Recover text the email package decoded as ASCII with surrogate escapes (raw 8-bit headers), and raw
    ISO-2022 escape sequences (7-bit Japanese or Korean written into a header without encoded words)."""
    if "\x1b" not in text and not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    raw = text.encode("utf-8", errors="surrogateescape")
    return decode_undeclared(raw, hints)
