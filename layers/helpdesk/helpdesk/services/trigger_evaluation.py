"""trigger_eval's use case: run the triggers on a ticket change and write their net change once, by "rule"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.errors import InvalidInput, TicketNotFound
from helpdesk.domain.events import DomainEvent, ticket_event
from helpdesk.domain.tickets import EDITABLE_FIELDS, RULE, change_ticket
from helpdesk.domain.triggers import TriggerRun, UpdateContext, run_triggers
from helpdesk.ports import AlreadyApplied
from helpdesk.services.common import commit, with_retries


@dataclass(frozen=True)
class Evaluation:
    ticket_id: int
    fired: list[int]
    skipped: str | None = None


def _context(detail: Mapping[str, Any], requester: Mapping[str, Any]) -> UpdateContext:
    actor = detail.get("actor") or {}
    return UpdateContext(
        update_type="Create" if detail.get("update_type") == "Create" else "Change",
        via=str(detail.get("via") or "api"), actor_role=str(actor.get("type") or "system"),
        actor_id=actor.get("id"), comment=detail.get("comment"), previous=detail.get("previous"),
        requester=requester,
    )


def _placeholders(deps: Container, ticket: Mapping[str, Any], requester: Mapping[str, Any],
                  detail: Mapping[str, Any]) -> dict[str, Any]:
    base = (deps.settings.public_api_url or "").rstrip("/")
    comment = detail.get("comment") or {}
    return {"ticket": {"url": f"{base}/api/v2/tickets/{ticket['id']}.json", "requester": requester,
                       "latest_comment": comment.get("body", "")}}


def evaluate(deps: Container, detail: Mapping[str, Any]) -> Evaluation:
    """Evaluate on the snapshot the event carries; apply the net change to the latest version of the ticket."""
    ticket_id = int(detail["ticket_id"])
    actor = detail.get("actor") or {}
    if actor.get("type") == "rule":
        return Evaluation(ticket_id, [], skipped="changes made by rules do not re-run triggers")
    snapshot = detail.get("ticket")
    if not isinstance(snapshot, Mapping):
        raise InvalidInput("the event carries no ticket snapshot")
    requester = deps.users.get(int(snapshot["requester_id"])).view()
    triggers = deps.rules.triggers()
    run = run_triggers(snapshot, triggers, _context(detail, requester),
                       placeholders=_placeholders(deps, snapshot, requester, detail))
    if not run.fired:
        return Evaluation(ticket_id, [])
    key = f"trg#{detail['event_id']}"
    try:
        comment = detail.get("comment") or {}
        automatic = bool(comment.get("automatic") or comment.get("no_autoreply"))
        with_retries(lambda: _apply(deps, ticket_id, run, key, str(detail["event_id"]), automatic))
    except TicketNotFound:
        return Evaluation(ticket_id, run.fired, skipped="the ticket no longer exists")
    return Evaluation(ticket_id, run.fired)


def _side_events(run: TriggerRun, ticket_id: int, source_event: str, deps: Container,
                 automatic: bool) -> list[DomainEvent]:
    """TriggersFired (rule statistics) and one NotificationRequested per notify action. A notification caused
    by automatic mail (an auto-reply, a bounce) says so: notify never answers automatic mail."""
    now = deps.clock.now()
    fired = ticket_event("TriggersFired", ticket_id, source_event, RULE, now, source_event_id=source_event,
                         fired=list(run.fired))
    return [fired, *(
        ticket_event("NotificationRequested", ticket_id, f"{source_event}:{i}", RULE, now,
                     recipient=n.recipient, subject=n.subject, body=n.body, trigger_id=n.trigger_id,
                     responding_to_automatic=automatic)
        for i, n in enumerate(run.notifications)
    )]


def _apply(deps: Container, ticket_id: int, run: TriggerRun, key: str, source_event: str, automatic: bool) -> None:
    ticket = deps.tickets.get(ticket_id)
    notices = _side_events(run, ticket_id, source_event, deps, automatic)
    fields = {name: new for name, (_, new) in run.changes.items()
              if name in EDITABLE_FIELDS and ticket.field_value(name) != new}
    if ticket.status == "closed" or not fields:
        try:
            deps.tickets.record_operation(key, notices)
        except AlreadyApplied as done:
            notices = done.events
        deps.publisher.publish(notices)
        return
    update = change_ticket(ticket, actor=RULE, via="rule", now=deps.clock.now(), fields=fields)
    commit(deps, update, idempotency_key=key, extra_events=notices)
