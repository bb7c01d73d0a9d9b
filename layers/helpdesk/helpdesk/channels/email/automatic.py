"""Which automatic mail this is, and why: a classification by evidence, strongest first.

1. Structure: a ``multipart/report`` of any report type (delivery status: a bounce; ARF feedback: a complaint, or a
   DMARC forensic report when its feedback type is ``auth-failure``; a read receipt), a delivery-status or
   feedback-report part anywhere (also inside a forwarded message), an Amazon SES notification wrapped in an SNS
   mail, a DMARC aggregate report.
2. Headers: ``X-Failed-Recipients``.
3. The sender: a mailer-daemon or postmaster local part, a "Mail Delivery System" display name (also with an
   empty address, ``MAILER-DAEMON <>``), a Return-Path naming a mailer daemon.
4. Words: a bounce subject (in several languages) from the null sender, or a bounce subject with the phrases of a
   bounce in the body (a plain-text MTA report, or a bounce a person forwarded).
5. The auto-reply signs of product.md (Auto-Submitted, X-Autoreply, Precedence, the null sender, vacation subjects),
   then list mail.

The reason is kept with the kind (``kind_reason``), so a misclassified mail can be explained.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from email.message import Message
from typing import Any

from helpdesk.channels.email.anatomy import Part, anatomy
from helpdesk.channels.email.autodetect import (
    auto_reply_reason,
    is_list_mail,
    null_sender,
    report_type,
)
from helpdesk.channels.email.headers import HeaderMap
from helpdesk.channels.email.message import Address, EmailKind

DAEMON_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "mail.delivery.system",
                                "maildelivery", "mail-delivery", "mdaemon"})
_DAEMON_NAME_RE = re.compile(
    r"mail(?:er)?[- .]?daemon|mail delivery (?:sub)?system|^\s*\"?postmaster\b|mail administrator|"
    r"mail ?delivery ?service|internet mail delivery|mailer delivery", re.IGNORECASE)
_BOUNCE_SUBJECT_RE = re.compile(
    r"undeliver|delivery status notification|delivery (?:status )?fail|delivery notification|"
    r"failure notice|returned mail|mail delivery (?:failed|failure|system|warning|problem)|could not be delivered|"
    r"delivery (?:failure|problem|warning|delay)|non[- ]?delivery|message not delivered|returned to sender|"
    r"mail system error|delivery has failed|warning: message .*delayed|"
    r"non remis|unzustellbar|nicht zustellbar|zustellung fehlgeschlagen|unzustellbare|"
    r"no se puede entregar|no entregado|devuelto|niet bezorgd|onbestelbaar|non recapitabile|mancata consegna|"
    r"não entregue|falha na entrega|impossible de distribuer|échec de (?:la )?remise|non distribuable|"
    r"kan inte levereras|kunne ikke leveres|toimitus epäonnistui|nie można dostarczyć|nedoručitelné|"
    r"не доставлено|недоставлен|возвращенное письмо|"
    r"配信不能|未送達|送信できません|退信|投递失败|无法投递|邮件退回|전달 ?실패|반송",
    re.IGNORECASE)
# the phrases of MTAs' reports, not of people talking about parcels ("the delivery failed", "undeliverable
# package"): each names the message or the recipients
BOUNCE_BODY_RE = re.compile(
    r"(?:message|mail|e-?mail)(?: that you sent)? (?:could ?n[o']t|can ?not|was not|wasn't) (?:be )?delivered|"
    r"could ?n[o']t be delivered to|(?:can ?not|could not|couldn't|unable to) deliver (?:your |the |this )?"
    r"(?:message|mail|e-?mail)|delivery (?:to the following recipients? )?(?:has )?failed (?:to|for) "
    r"(?:these|the following)|permanent(?:ly)? fatal errors?|following (?:addresses|recipients?) (?:had|failed)|"
    r"(?:message|mail) (?:is|was) undeliverable|undeliverable to|user unknown|unknown user|"
    r"no such (?:user|mailbox|recipient)|mailbox (?:is )?(?:full|unavailable|not found)|"
    r"recipient address rejected|delivery attempts will continue|delivery of (?:e-?mail|your message) to|"
    r"mail delivery (?:software|subsystem)|this is the mail system at|failed recipient|"
    r"returned to (?:the )?sender|this is an automatically generated delivery status notification|"
    r"n'a pas pu (?:être|etre) (?:délivré|delivre|remis|distribué)|konnte nicht zugestellt werden|"
    r"no (?:se )?(?:ha )?(?:podido|pudo) (?:ser )?entregar|non (?:è|e') stato possibile (?:recapitare|consegnare)|"
    r"kon niet worden (?:bezorgd|afgeleverd)|não (?:foi|pôde ser) entregue|"
    r"не может быть доставлено|не удалось доставить|"
    r"配信できませんでした|送信できませんでした|无法投递|投递失败|전달되지 ?않았습니다",
    re.IGNORECASE)
_DMARC_SUBJECT_RE = re.compile(r"report domain:.*submitter:|\bdmarc (?:aggregate|failure|forensic) report",
                               re.IGNORECASE)
_DMARC_FILE_RE = re.compile(r"![^!]+!\d{9,}!\d{9,}.*\.(?:xml|zip|gz)", re.IGNORECASE)
_SES_TYPES: dict[str, EmailKind] = {"bounce": "bounce", "complaint": "complaint"}


@dataclass(frozen=True)
class Verdict:
    kind: EmailKind
    reason: str


NORMAL = Verdict("normal", "")


def classify(message: Message, headers: HeaderMap, from_: Address | None, subject: str, text: str,
             parts: list[Part] | None = None) -> Verdict:
    """What kind of mail this is, with the evidence that decided it; ``text`` is the mail's plain text,
    ``parts`` its anatomy when the caller has it."""
    found = _structure(message, parts if parts is not None else anatomy(message), headers, subject, text)
    if found is None and "x-failed-recipients" in headers:
        found = Verdict("bounce", "header: X-Failed-Recipients")
    found = found or _daemon_sender(headers, from_) or _bounce_words(headers, subject, text)
    if found is not None:
        return found
    reason = auto_reply_reason(headers, subject)
    if reason:
        return Verdict("auto_reply", reason)
    if is_list_mail(headers):
        return Verdict("list", "header: List-Id, List-Unsubscribe or Precedence: list")
    return NORMAL


def _structure(message: Message, parts: list[Part], headers: HeaderMap, subject: str, text: str
               ) -> Verdict | None:
    kind = report_type(headers)
    if parts[0].content_type == "multipart/report":
        if kind in ("delivery-status", "global-delivery-status"):
            return Verdict("bounce", f"structure: multipart/report; report-type={kind}")
        if kind == "feedback-report":
            return _feedback(message, "structure: ARF report (multipart/report; report-type=feedback-report)")
        if kind == "disposition-notification":
            return _disposition(message)
        if kind:
            return Verdict("report", f"structure: multipart/report; report-type={kind}")
    for part in parts:  # also a report without its report-type, and one inside a forwarded message
        content_type = part.content_type
        if content_type in ("message/delivery-status", "message/global-delivery-status"):
            return Verdict("bounce", f"structure: a {content_type} part")
        if content_type == "message/feedback-report":
            return _feedback(message, "structure: a message/feedback-report part")
    ses = ses_notification(headers, subject, text)
    if ses is not None:
        kind_name = str(ses.get("notificationType") or ses.get("eventType") or "notification")
        return Verdict(_SES_TYPES.get(kind_name.lower(), "report"),
                       f"structure: Amazon SES {kind_name} notification in an SNS mail")
    if _DMARC_SUBJECT_RE.search(subject) or any(_DMARC_FILE_RE.search(part.filename) for part in parts):
        return Verdict("report", "structure: DMARC aggregate report")
    return None


def _disposition(message: Message) -> Verdict:
    """A read receipt, or (Sieve's reject, a full mailbox) a notice that the mail was deleted unread: a bounce."""
    for part in message.walk():
        if part.get_content_type() == "message/disposition-notification":
            text = part.as_string() if part.is_multipart() else str(part.get_payload())
            found = re.search(r"^disposition:[^\n]*;\s*(deleted|denied|failed)", text, re.IGNORECASE | re.MULTILINE)
            if found:
                return Verdict("bounce", f"structure: a disposition notification: the mail was {found.group(1)}")
    return Verdict("auto_reply", "structure: read receipt (report-type=disposition-notification)")


def _feedback(message: Message, reason: str) -> Verdict:
    feedback_type = (feedback_fields(message).get("feedback-type") or "abuse").lower()
    if feedback_type == "auth-failure":
        return Verdict("report", f"{reason}: a DMARC forensic (auth-failure) report")
    return Verdict("complaint", f"{reason}: Feedback-Type {feedback_type}")


def feedback_fields(message: Message) -> dict[str, str]:
    """The fields of the mail's message/feedback-report part (RFC 5965), by lower-cased name."""
    for part in message.walk():
        if part.get_content_type() == "message/feedback-report":
            payload = part.get_payload()
            blocks = payload if isinstance(payload, list) else []
            lines: list[tuple[str, str]] = []
            for block in blocks:
                if isinstance(block, Message):
                    lines.extend((str(k), str(v)) for k, v in block.items())
            if isinstance(payload, str):
                lines = [tuple(line.split(":", 1)) for line in payload.splitlines() if ":" in line]  # type: ignore[misc]
            return {name.strip().lower(): value.strip() for name, value in lines}
    return {}


def ses_notification(headers: HeaderMap, subject: str, text: str) -> dict[str, Any] | None:
    """The Amazon SES notification an SNS e-mail subscription carries ("AWS Notification Message"): its body is
    the SNS message (or the SNS envelope holding it as a string) in JSON."""
    sender = (headers.text("from") or "").lower()
    if "sns.amazonaws.com" not in sender and "aws notification" not in subject.lower():
        return None
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        found = json.loads(text[start:end + 1])
    except ValueError:
        return None
    if isinstance(found, dict) and isinstance(found.get("Message"), str):  # the SNS envelope
        try:
            found = json.loads(found["Message"])
        except ValueError:
            return None
    if isinstance(found, dict) and (found.get("notificationType") or found.get("eventType")):
        return found
    return None


def _daemon_sender(headers: HeaderMap, from_: Address | None) -> Verdict | None:
    if from_ is not None and from_.address.split("@", 1)[0] in DAEMON_LOCAL_PARTS:
        return Verdict("bounce", f"sender: {from_.address.split('@', 1)[0]}")
    raw_from = headers.text("from") or ""
    if _DAEMON_NAME_RE.search(raw_from) and (from_ is None or not from_.name or _DAEMON_NAME_RE.search(from_.name)):
        return Verdict("bounce", f"sender: display name {raw_from.strip()[:60]!r}")
    for path in headers.all_raw("return-path"):
        local = path.strip().strip("<>").split("@", 1)[0].lower()
        if local in ("mailer-daemon", "postmaster", "mail-daemon"):
            return Verdict("bounce", f"sender: Return-Path {local}")
    return None


def _bounce_words(headers: HeaderMap, subject: str, text: str) -> Verdict | None:
    said = _BOUNCE_SUBJECT_RE.search(subject)
    if said is None:
        return None
    if null_sender(headers):
        return Verdict("bounce", f"subject {said.group(0)!r} from the null sender")
    body = BOUNCE_BODY_RE.search(text[:20000])
    if body is None:
        return None
    forwarded = re.match(r"^\s*(?:fwd?|fw|wg|tr|rv|i)\s*:", subject, re.IGNORECASE)
    what = "a forwarded bounce" if forwarded else "a plain-text bounce"
    return Verdict("bounce", f"words: {what}: subject {said.group(0)!r}, body {body.group(0)!r}")
