"""Line patterns used by the reply trimmer (after discourse/email_reply_trimmer, MIT).

Only compiled regular expressions live here; ``trimming.py`` holds the algorithm.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_BLANK = r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]"
_MULTI = re.IGNORECASE | re.MULTILINE | re.DOTALL


@dataclass(frozen=True)
class Rule:
    """A regular expression, and optionally a literal its matches always contain (a cheap pre-check)."""

    regex: re.Pattern[str]
    needed: str = ""

    def search(self, text: str) -> bool:
        return (not self.needed or self.needed in text) and self.regex.search(text) is not None

    def sub(self, replace: Callable[[re.Match[str]], str], text: str) -> str:
        if self.needed and self.needed not in text:
            return text
        return self.regex.sub(replace, text)


def _compile_all(patterns: list[str], flags: int = 0) -> tuple[Rule, ...]:
    return tuple(Rule(re.compile(p, flags)) for p in patterns)


def _on_date_someone_wrote(on: str, stop_words: str, wrote: str) -> str:
    return (
        rf"^[ \t<>\-]*{on} (?:(?!\b(?>{stop_words})\b).)+?{wrote}"
        rf"(?:{_BLANK}|[.:>\-])*$"
    )


# "On Wed, Sep 25, 2013, at 03:57 PM, jorge_castro wrote:" and its translations; these may be wrapped
# over several lines, so they are matched on the whole text (dot matches newlines).
MULTILINE_WROTE_RES = _compile_all(
    [
        _on_date_someone_wrote("在", "在|写道", "写道"),
        _on_date_someone_wrote(
            "Op", r"Op|het\svolgende\sgeschreven|schreef", r"(?:het\svolgende\sgeschreven|schreef[^:]+)"
        ),
        _on_date_someone_wrote("In message", "In message|writes", "writes"),
        _on_date_someone_wrote("(?:On|At)", "On|wrote|writes|says|said", "(?:wrote|writes|says|said)"),
        _on_date_someone_wrote("Le", r"Le|nous\sa\sdit|a\s+écrit", r"(?:nous\sa\sdit|a\s+écrit)"),
        _on_date_someone_wrote("Am", r"Am|schrieben\sSie", r"schrieben\sSie"),
        _on_date_someone_wrote("Am", "Am|geschrieben", "(?:geschrieben|schrieb[^:]+)"),
        _on_date_someone_wrote("Il", r"Il|ha\sscritto", r"ha\sscritto"),
        _on_date_someone_wrote("(?:Dnia|Dňa)", "Dnia|Dňa|napisał", r"napisał(?:\(a\))?"),
        _on_date_someone_wrote("Em", "Em|escreveu", "escreveu"),
        _on_date_someone_wrote("El", "El|escribió", "escribió"),
    ],
    _MULTI,
)

_ON_DATE_WROTE_SOMEONE = [
    rf"^[ \t>]*{on}\s.+\s{wrote}\s[^:]+:"
    for on, wrote in [("Op", "schreef"), ("Am", "schrieb"), ("Den", "skrev"), (r"søn\.", "skrev")]
]
# these backtrack a lot on long texts, so they only run on texts that hold their closing word
_DATE_SOMEONE_WROTE = [
    (r"[0-9]{4}.{1,80}пользователь.{0,80}\n?.{0,80}?написал:", "написал:"),
    (r"[0-9]{4}.{1,80}\n?.{0,80}?napisał\(a\):", "napisał(a):"),
    (r"[0-9]{4}.{1,80}\n?.{0,80}?пише:", "пише:"),
]


def _date_someone_wrote(flags: int = 0) -> tuple[Rule, ...]:
    return tuple(Rule(re.compile(p, flags), word) for p, word in _DATE_SOMEONE_WROTE)


_SOMEONE_WROTE_ON_DATE = [r"^.+\bwrote\b\s+\bon\b.+[^:]+:", r"^.+\bschrieb\b\s+\bam\b.+[^:]+:"]
_DATE_SOMEONE_EMAIL = r"[0-9]{4}.{1,80}\s?<[^@<>]+@[^@<>.]+\.[^@<>]+>:?$"
_OTHER_EMBEDDED = [
    rf"^[ \t>]*20[0-9]{{2}}-[0-9]{{2}}-[0-9]{{2}} [0-9]{{2}}:[0-9]{{2}} GMT\+[0-9]{{2}}:[0-9]{{2}} (?:\w|{_BLANK})+$",
    rf"^.+ via .+ wrote:?{_BLANK}*$",
    rf"^.+ via .+ schrieb:?{_BLANK}*$",
    r"^.+\b[\w.+-]+@[\w.-]+\.\w{2,}\b.+wrote:?$",
]
_FORWARDED = [
    r"^[ \t>]*Posted by .+ on [0-9]{2}/[0-9]{2}/[0-9]{4}$",
    r"^[ \t>]*Begin forwarded message:",
    r"^[ \t>*]*-{2,}[ \t]*(?:Forwarded|Original|Reply) Message[ \t]*-{2,}",
    r"^[ \t>]*Début du message transféré :",
    r"^[ \t>*]*-{2,}[ \t]*Message transféré[ \t]*-{2,}",
    r"^[ \t>*]*-{2,}[ \t]*Ursprüngliche Nachricht[ \t]*-{2,}",
    r"^[ \t>*]*-{2,}[ \t]*Mensaje original[ \t]*-{2,}",
    r"^[ \t>*]*-{2,}[ \t]*原始邮件[ \t]*-{2,}",
]

EMBEDDED_RES = (
    *MULTILINE_WROTE_RES,
    *_compile_all(_ON_DATE_WROTE_SOMEONE),
    *_date_someone_wrote(),
    *_compile_all([*_SOMEONE_WROTE_ON_DATE, _DATE_SOMEONE_EMAIL]),
    *_compile_all(_OTHER_EMBEDDED),
    *_compile_all(_FORWARDED, re.IGNORECASE),
)

# markers that a mail client may have wrapped over several lines; the trimmer puts them back on one line
UNWRAP_RES = (
    *MULTILINE_WROTE_RES,
    *_compile_all(_SOMEONE_WROTE_ON_DATE, re.MULTILINE),
    *_date_someone_wrote(re.MULTILINE),
    *_compile_all([_DATE_SOMEONE_EMAIL], re.MULTILINE),
)

DELIMITER_RE = re.compile(rf"^{_BLANK}*[\-_,=+~#*ᐧ—]+{_BLANK}*$")

SIGNATURE_RES = _compile_all(
    [
        rf"^{_BLANK}*從我的 iPhone 傳送",
        rf"^{_BLANK}*\w+ from mobile",
        rf"^{_BLANK}*[(<]*Sent (?:from|via|with|by) .+[)>]*",
        rf"^{_BLANK}*From my .{{1,20}}",
        rf"^{_BLANK}*Get Outlook for ",
        rf"^{_BLANK}*Envoyé depuis (?:mon|Yahoo Mail)",
        rf"^{_BLANK}*Von meinem .+ gesendet",
        rf"^{_BLANK}*Diese Nachricht wurde von .+ gesendet",
        rf"^{_BLANK}*Inviato da ",
        rf"^{_BLANK}*Sendt fra min ",
        rf"^{_BLANK}*Enviado do meu ",
        rf"^{_BLANK}*Enviado desde mi ",
        rf"^{_BLANK}*Verzonden met ",
        rf"^{_BLANK}*Verstuurd vanaf mijn ",
        rf"^{_BLANK}*från min ",
    ],
    re.IGNORECASE,
)

_HEADERS_WITH_DATE = ["Sendt", "Sent|Date", "Date|Le", "Gesendet", "Enviada em", "Enviado", "Fecha", "Data"]
_HEADERS_WITH_DATE += ["Datum", "Skickat", "发送时间"]
_HEADERS_WITH_TEXT = [
    "Fra|Til|Emne",
    "From|To|Cc|Reply-To|Subject",
    "De|Expéditeur|À|Destinataire|Répondre à|Objet",
    "Von|An|Betreff",
    "De|Para|Assunto",
    "De|Para|Asunto",
    "Da|Risposta|A|Oggetto",
    "Van|Beantwoorden - Aan|Aan|Onderwerp",
    "Från|Till|Ämne",
    "发件人|收件人|主题",
]
EMAIL_HEADER_RES = (
    *_compile_all([rf"^(?:{_BLANK}|\*)*(?:{h})(?:{_BLANK}|\*)*:.*[0-9]+" for h in _HEADERS_WITH_DATE]),
    *_compile_all([rf"^(?:{_BLANK}|\*)*(?:{h})(?:{_BLANK}|\*)*:.*\w+" for h in _HEADERS_WITH_TEXT], re.IGNORECASE),
)
