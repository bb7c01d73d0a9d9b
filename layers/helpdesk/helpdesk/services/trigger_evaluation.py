"""trigger_eval's use case: run the triggers on a ticket change and write their net change once, by "rule"."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.clock import parse_iso
from helpdesk.domain.errors import InvalidInput, TicketNotFound
from helpdesk.domain.events import DomainEvent, ticket_event
from helpdesk.domain.rule_actions import mentions_rating, to_chat
from helpdesk.domain.tickets import EDITABLE_FIELDS, RULE, change_ticket
from helpdesk.domain.triggers import Trigger, TriggerRun, UpdateContext, run_triggers
from helpdesk.domain.users import User
from helpdesk.ports import AlreadyApplied
from helpdesk.services import rule_stats
from helpdesk.services.common import commit, with_retries


@dataclass(frozen=True)
class Evaluation:
    ticket_id: int
    fired: list[int]
    skipped: str | None = None
    final: Mapping[str, Any] | None = None  # the ticket snapshot after the triggers that fired


def _context(detail: Mapping[str, Any], requester: Mapping[str, Any],
             in_business_hours: bool | None) -> UpdateContext:
    actor = detail.get("actor") or {}
    return UpdateContext(
        update_type="Create" if detail.get("update_type") == "Create" else "Change",
        via=str(detail.get("via") or "api"), actor_role=str(actor.get("type") or "system"),
        actor_id=actor.get("id"), comment=detail.get("comment"), previous=detail.get("previous"),
        requester=requester, in_business_hours=in_business_hours,
    )


def _organization(deps: Container, triggers: list[Trigger], requester: User) -> Mapping[str, Any] | None:
    """The requester's organization as rules see it: read only when some trigger asks about it."""
    asks = any("organization" in str(c.get("field")) for t in triggers for group in t.conditions.values()
               for c in group)
    if not asks:
        return None
    from helpdesk.services.organizations import organization_of

    found = organization_of(deps, requester)
    return found.view() if found is not None else None


def _business_hours(deps: Container, triggers: list[Trigger], detail: Mapping[str, Any]) -> bool | None:
    """Whether the update happened within business hours: read only when some trigger asks."""
    asks = any(c.get("field") == "within_business_hours"
               for t in triggers for group in t.conditions.values() for c in group)
    if not asks:
        return None
    from helpdesk.services.business_hours import in_business_hours

    return in_business_hours(deps, parse_iso(str(detail.get("occurred_at") or "")) or deps.clock.now())


def _placeholders(deps: Container, ticket: Mapping[str, Any], requester: Mapping[str, Any],
                  detail: Mapping[str, Any], triggers: Sequence[Trigger]) -> dict[str, Any]:
    base = (deps.settings.public_api_url or "").rstrip("/")
    comment = detail.get("comment") or {}
    url = f"{base}/api/v2/tickets/{ticket['id']}.json"
    found: dict[str, Any] = {"ticket": {"url": url, "link": url, "requester": requester,
                                        "latest_comment": comment.get("body", "")}}
    if mentions_rating(t.actions for t in triggers if t.active):  # the secret is read only then
        from helpdesk.services.surveys import satisfaction_placeholders

        found.update(satisfaction_placeholders(deps, int(ticket["id"])))
    return found


def evaluate(deps: Container, detail: Mapping[str, Any]) -> Evaluation:
    """Evaluate on the snapshot the event carries; apply the net change to the latest version of the ticket;
    then, if the ticket ends in a group with nobody assigned, let the group's assignment pick an agent."""
    snapshot = detail.get("ticket")
    if not isinstance(snapshot, Mapping):
        raise InvalidInput("the event carries no ticket snapshot")
    result = _evaluate(deps, detail, snapshot)
    if result.skipped != GONE:
        from helpdesk.services.rule_sets import run_rule_sets

        run_rule_sets(deps, detail)  # Freshdesk-style rule sets: their own idempotent write, after triggers
    final = result.final or snapshot
    if result.skipped != GONE and final.get("group_id") is not None and final.get("assignee_id") is None \
            and final.get("status") not in ("solved", "closed"):
        from helpdesk.services.assignment import assign

        assign(deps, result.ticket_id)
    return result


GONE = "the ticket no longer exists"


def _evaluate(deps: Container, detail: Mapping[str, Any], snapshot: Mapping[str, Any]) -> Evaluation:
    ticket_id = int(detail["ticket_id"])
    actor = detail.get("actor") or {}
    if actor.get("type") == "rule" and detail.get("via") == "rule":  # automations and assignment do run them
        return Evaluation(ticket_id, [], skipped="changes made by triggers do not re-run triggers")
    requester_user = deps.users.get(int(snapshot["requester_id"]))
    requester = requester_user.view()
    triggers = deps.rules.triggers()
    ctx = replace(_context(detail, requester, _business_hours(deps, triggers, detail)),
                  organization=_organization(deps, triggers, requester_user))
    run = run_triggers(snapshot, triggers, ctx,
                       placeholders=_placeholders(deps, snapshot, requester, detail, triggers))
    if not run.fired:
        return Evaluation(ticket_id, [])
    key = f"trg#{detail['event_id']}"
    try:
        comment = detail.get("comment") or {}
        automatic = bool(comment.get("automatic") or comment.get("no_autoreply"))
        with_retries(lambda: _apply(deps, ticket_id, run, key, str(detail["event_id"]), automatic))
    except TicketNotFound:
        return Evaluation(ticket_id, run.fired, skipped=GONE)
    return Evaluation(ticket_id, run.fired, final=run.ticket)


def _side_events(run: TriggerRun, ticket_id: int, source_event: str, deps: Container,
                 automatic: bool) -> list[DomainEvent]:
    """TriggersFired (rule statistics), one NotificationRequested per notify action and one WebhookRequested per
    webhook action. A notification caused by automatic mail (an auto-reply, a bounce) says so: notify never
    answers automatic mail."""
    now = deps.clock.now()
    fired = ticket_event("TriggersFired", ticket_id, source_event, RULE, now, source_event_id=source_event,
                         fired=list(run.fired))
    return [fired, *(
        ticket_event("WebhookRequested", ticket_id, f"{source_event}:{i}", RULE, now,
                     webhook_id=str(n.recipient), body=n.body, trigger_id=n.trigger_id)
        if n.kind == "webhook" else
        ticket_event("NotificationRequested", ticket_id, f"{source_event}:{i}", RULE, now,
                     recipient=n.recipient, recipient_type=n.kind, subject=n.subject, body=n.body,
                     trigger_id=n.trigger_id, responding_to_automatic=automatic, messaging=to_chat(run.ticket, n))
        for i, n in enumerate(run.notifications)
    )]


def _apply(deps: Container, ticket_id: int, run: TriggerRun, key: str, source_event: str, automatic: bool) -> None:
    ticket = deps.tickets.get(ticket_id)
    notices = _side_events(run, ticket_id, source_event, deps, automatic)
    fields = {name: new for name, (_, new) in run.changes.items()
              if name in EDITABLE_FIELDS and ticket.field_value(name) != new}
    count = functools.partial(rule_stats.record_fired, deps, run.fired)  # once: only when this call writes
    if ticket.status == "closed" or not fields:
        try:
            deps.tickets.record_operation(key, notices)
        except AlreadyApplied as done:
            deps.publisher.publish(done.events)
            return
        deps.publisher.publish(notices)
        count()
        return
    update = change_ticket(ticket, actor=RULE, via="rule", now=deps.clock.now(), fields=fields)
    commit(deps, update, idempotency_key=key, extra_events=notices, on_saved=count)
