"""Suspended tickets' use cases (Zendesk's Suspended Tickets API): mail held back is kept with its cause, listed,
recovered into a ticket through the inbound path (``create_from_email``, whose Message-ID idempotency makes a
ticket once however often it is recovered), or deleted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.channels.email.message import ParsedEmail
from helpdesk.domain.clock import iso
from helpdesk.domain.cursors import cursor_key, seal, unseal
from helpdesk.domain.errors import InvalidInput, InvalidRecord, NotFound
from helpdesk.domain.suspended import CONTENT_CHARS, SuspendedTicket
from helpdesk.domain.tickets import Ticket
from helpdesk.ports import SuspendedTickets


def _store(deps: Container) -> SuspendedTickets:
    store: SuspendedTickets = deps.suspended_tickets
    return store


def suspend(deps: Container, mail: ParsedEmail, cause_key: str, raw_key: str, source: str,
            verdicts: Mapping[str, str], recipients: Sequence[str]) -> SuspendedTicket:
    """Hold the mail back (once per Message-ID)."""
    sender = mail.from_
    draft = SuspendedTicket(
        id=0, cause_key=cause_key, subject=mail.subject or "(no subject)",
        author_name=(sender.name or sender.address) if sender else "", author_email=sender.address if sender else "",
        content=(mail.text or "").strip()[:CONTENT_CHARS], message_id=mail.message_id, raw_key=raw_key,
        source=source, created_at=iso(deps.clock.now()) or "", verdicts=dict(verdicts), recipients=list(recipients))
    return _store(deps).suspend(draft)


SCOPE = "suspended_tickets"


def _cursor(deps: Container, before: int) -> str:
    return seal(cursor_key(deps.secrets.survey_secret()), SCOPE, {"b": before})


def _before(deps: Container, text: str) -> int:
    wrong = InvalidInput("page[after] must be the after_cursor of a previous page")
    data = unseal(cursor_key(deps.secrets.survey_secret()), SCOPE, text)
    if not isinstance(data, dict) or set(data) != {"b"} or not isinstance(data["b"], int) or isinstance(
            data["b"], bool) or not 0 < data["b"] < 10**15:
        raise wrong
    return int(data["b"])


def list_suspended(deps: Container, params: Mapping[str, str], size: int) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first, one query of the kind's partition per page (``page[size]``, ``page[after]``)."""
    after = params.get("page[after]")
    found, before = _store(deps).page(size, _before(deps, after) if after else None)
    return [s.to_api() for s in found], _cursor(deps, before) if before is not None else None


def suspended(deps: Container, suspended_id: int) -> SuspendedTicket:
    return _store(deps).get(suspended_id)


def recover(deps: Container, suspended_id: int) -> Ticket:
    """The mail becomes a ticket as if it had just arrived, less the check that held it back (mail that failed
    DMARC still never threads into an existing ticket: it opens one tagged ``suspicious``); then it is no longer
    suspended. Two recovers at once make one ticket (the inbound path's Message-ID idempotency)."""
    from helpdesk.services.inbound_email import create_from_email

    kept = _store(deps).get(suspended_id)
    if not kept.recoverable:
        raise InvalidRecord(f"suspended ticket {suspended_id} carries a virus verdict and cannot be recovered")
    outcome = create_from_email(deps, {"raw_key": kept.raw_key, "message_id": kept.message_id,
                                       "source": kept.source, "verdicts": dict(kept.verdicts),
                                       "recipients": list(kept.recipients), "recovered": True})
    _store(deps).remove(suspended_id)
    if outcome.ticket_id is None:
        raise InvalidRecord(f"suspended ticket {suspended_id} was not ticketed: {outcome.dropped}")
    return deps.tickets.get(outcome.ticket_id)


def delete(deps: Container, suspended_id: int) -> None:
    if not _store(deps).remove(suspended_id):
        raise NotFound(f"suspended ticket {suspended_id} does not exist")
