"""csat_survey's use cases: schedule a survey when a ticket is solved, send the due ones with a signed
one-time link, and record the requester's rating (a bad rating is a ticket change triggers can act on)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.channels.email.compose import compose_email, make_message_id
from helpdesk.channels.email.message import Address
from helpdesk.domain.csat import LINK_WINDOW, check_rating, sign_survey_token, verify_survey_token
from helpdesk.domain.errors import Gone
from helpdesk.domain.events import ticket_event
from helpdesk.domain.mailboxes import unmailable_reason
from helpdesk.domain.tickets import CLOSE_SOLVED_DAYS, SYSTEM, Actor, NewComment, Ticket, change_ticket
from helpdesk.services.common import commit, with_retries
from helpdesk.services.sweep_items import ItemFailures, ItemGuard

SWEEP_LIMIT = 200


def schedule(deps: Container, detail: Mapping[str, Any]) -> bool:
    """On TicketSolved: the survey is due the configured delay after the solve (once per ticket)."""
    ticket_id = int(detail["ticket_id"])

    def attempt() -> bool:
        ticket = deps.tickets.get(ticket_id)
        sat = ticket.satisfaction
        if ticket.status != "solved" or sat.score != "unoffered" or sat.survey_due_at is not None:
            return False
        delay = (deps.settings.messaging_survey_delay_minutes if ticket.conversation
                 else deps.settings.survey_delay_minutes)  # a chat's survey is asked while its window is open
        sat.survey_due_at = (ticket.solved_at or deps.clock.now()) + timedelta(minutes=delay)
        deps.tickets.save(ticket)
        return True

    return with_retries(attempt)


@dataclass(frozen=True)
class Sent:
    ticket_id: int
    recipient: str


@dataclass
class SurveySweep:
    sent: list[Sent] = field(default_factory=list)
    failures: ItemFailures = field(default_factory=ItemFailures)


def send_due(deps: Container) -> SurveySweep:
    """Send every survey that is due; a ticket that fails is reported and the others are sent all the same."""
    run = SurveySweep()
    guard = ItemGuard(deps, "survey", run.failures)
    for ticket_id in deps.tickets.due_for_survey(deps.clock.now(), SWEEP_LIMIT):
        result = guard.run(ticket_id, lambda tid=ticket_id: _send_one(deps, tid))  # type: ignore[misc]
        if result is not None:
            run.sent.append(result)
    return run


def survey_url(deps: Container, token: str) -> str:
    return f"{(deps.settings.public_api_url or '').rstrip('/')}/surveys/{token}"


RULE_NONCE = "rule"  # links minted for {{satisfaction.rating_url}} in a rule's notification


def rating_url(deps: Container, ticket_id: int) -> str:
    """Zendesk's ``{{satisfaction.rating_url}}``: a signed link to rate this ticket, for a trigger's or an
    automation's notification. It holds no stored nonce, so it is accepted until the ticket is rated (one rating a
    ticket), within the same ceiling as the survey mail's link and the closed + 28 days rule."""
    ceiling = deps.clock.now() + timedelta(days=CLOSE_SOLVED_DAYS[2]) + LINK_WINDOW
    return survey_url(deps, sign_survey_token(deps.secrets.survey_secret(), ticket_id, RULE_NONCE, ceiling))


def satisfaction_placeholders(deps: Container, ticket_id: int) -> dict[str, Any]:
    url = rating_url(deps, ticket_id)
    return {"satisfaction": {"rating_url": url,
                             "rating_section": f"How would you rate the support you received?\n{url}"}}


def _send_one(deps: Container, ticket_id: int) -> Sent | None:
    now = deps.clock.now()
    ticket = deps.tickets.get(ticket_id)
    sat = ticket.satisfaction
    if ticket.status not in ("solved", "closed") or sat.score != "unoffered":
        sat.survey_due_at = None
        deps.tickets.save(ticket)
        return None
    if ticket.conversation is not None:
        from helpdesk.services.messaging.chat_survey import offer

        channel = offer(deps, ticket)
        if channel is not None:
            return _offered(deps, ticket, secrets.token_urlsafe(12), f"chat:{channel}")
    requester = deps.users.get(ticket.requester_id)
    if requester.refuses_mail or unmailable_reason(requester.email):  # never mailed: dropped, not retried
        sat.survey_due_at = None
        deps.tickets.save(ticket)
        return None
    nonce = secrets.token_urlsafe(12)
    # the link's own ceiling; the rule (closed + LINK_WINDOW) is the ticket's to apply, in open_survey
    ceiling = now + timedelta(days=CLOSE_SOLVED_DAYS[2]) + LINK_WINDOW
    token = sign_survey_token(deps.secrets.survey_secret(), ticket.id, nonce, ceiling)
    sender = Address("Support", deps.settings.sender_address)
    raw = compose_email(
        sender=sender, to=[Address(requester.name, requester.email)],
        subject=f"How would you rate the support you received? [#{ticket.id}]",
        text=(f"Hello {requester.name},\n\nYour request #{ticket.id} \"{ticket.subject}\" was solved.\n"
              f"How would you rate the support you received?\n\n{survey_url(deps, token)}\n"),
        message_id=make_message_id(ticket.id, f"survey.{nonce}", deps.settings.mail_domain),
        auto_generated=True, loop_value=deps.settings.mail_domain,
    )
    deps.mailer.send_raw(raw, sender=deps.settings.sender_address, recipients=[requester.email])
    return _offered(deps, ticket, nonce, requester.email)


def _offered(deps: Container, ticket: Ticket, nonce: str, recipient: str) -> Sent:
    now, sat = deps.clock.now(), ticket.satisfaction
    sat.score, sat.offered_at, sat.survey_nonce, sat.survey_due_at = "offered", now, nonce, None
    event = ticket_event("SurveySent", ticket.id, nonce, SYSTEM, now, recipient=recipient)
    deps.tickets.save(ticket, events=[event], idempotency_key=f"survey#{ticket.id}")
    deps.publisher.publish([event])
    return Sent(ticket.id, recipient)


def open_survey(deps: Container, token: str) -> Ticket:
    claim = verify_survey_token(deps.secrets.survey_secret(), token, deps.clock.now())
    ticket = deps.tickets.get(claim.ticket_id)
    known = claim.nonce == RULE_NONCE or ticket.satisfaction.survey_nonce == claim.nonce
    if not known or ticket.satisfaction.rated_at is not None:
        raise Gone("this survey link was already used")
    closed_at = ticket.status_updated_at if ticket.status == "closed" else None
    if closed_at is not None and deps.clock.now() > closed_at + LINK_WINDOW:
        raise Gone("this survey link expired 28 days after the ticket was closed")
    return ticket


def rate(deps: Container, token: str, score: str, comment: str) -> Ticket:
    """Record the requester's rating. Concurrent submissions of a link make one rating: the write is guarded by
    the ticket's version only, so a submission that loses the race reloads the ticket, finds it rated and gets the
    used link's 410 (an idempotency record would have answered it "recorded" from the winner's write)."""
    rating = check_rating(score)
    text = comment.strip()[:2000]

    def attempt() -> Ticket:
        ticket = open_survey(deps, token)
        now = deps.clock.now()
        actor = Actor("end-user", ticket.requester_id)
        note = NewComment(body=f"Satisfaction rating: {rating}" + (f"\n\n{text}" if text else ""),
                          public=False, author_id=ticket.requester_id, via="survey")
        update = change_ticket(ticket, actor=actor, via="survey", now=now,
                               fields={"satisfaction_score": rating}, comment=note)
        update.ticket.satisfaction.comment, update.ticket.satisfaction.rated_at = text, now
        rated = ticket_event("SatisfactionRated", ticket.id, ticket.satisfaction.survey_nonce or "", actor, now,
                             score=rating, comment=text)
        commit(deps, update, extra_events=[rated])
        return update.ticket

    return with_retries(attempt)
