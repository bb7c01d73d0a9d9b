"""Turn bytes in any declared charset into text, degrading instead of raising."""

from __future__ import annotations

import codecs

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


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Decode with the declared charset, else UTF-8, else Windows-1252, else Latin-1 (which always works)."""
    codec = normalise_charset(charset)
    # mislabelled 8-bit text is common: "us-ascii" bodies often hold UTF-8
    candidates = ["utf-8"] if codec in (None, "ascii") else [codec, "utf-8"]
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except (UnicodeError, LookupError, ValueError):
            continue
    if codec and codec not in ("ascii", "utf-8", "cp1252"):
        # a known charset with some broken bytes: keep what decodes
        return data.decode(codec, errors="replace")
    try:
        return data.decode("cp1252")
    except UnicodeError:
        return data.decode("latin-1")


def unescape_surrogates(text: str) -> str:
    """Recover text the email package decoded as ASCII with surrogate escapes (raw 8-bit headers)."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    raw = text.encode("utf-8", errors="surrogateescape")
    return decode_bytes(raw, None)
