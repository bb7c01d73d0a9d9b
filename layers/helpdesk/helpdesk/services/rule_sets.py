"""Freshdesk-style rule sets: manage them, and run them on a ticket event (``helpdesk.domain.rule_sets``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.events import ticket_event
from helpdesk.domain.rule_actions import to_chat
from helpdesk.domain.rule_context import UpdateContext
from helpdesk.domain.rule_sets import RuleSet, RuleSetRun, evaluate_rule_sets
from helpdesk.domain.tickets import EDITABLE_FIELDS, RULE, change_ticket
from helpdesk.ports import AlreadyApplied, RuleStore
from helpdesk.services.common import commit, with_retries
from helpdesk.services.rule_crud import RuleCrud


def _store(deps: Container) -> RuleStore[RuleSet]:
    store: RuleStore[RuleSet] = deps.rule_sets
    return store


def list_rule_sets(deps: Container) -> list[RuleSet]:
    return _store(deps).all()


CRUD: RuleCrud[RuleSet] = RuleCrud("rule_set", _store, RuleSet.from_api)
create_rule_set, update_rule_set, delete_rule_set = CRUD.create, CRUD.update, CRUD.delete


def run_rule_sets(deps: Container, detail: Mapping[str, Any]) -> list[tuple[int, int]]:
    """Evaluate the rule sets on a TicketCreated/TicketUpdated event and write their net change once, by "rule".

    A stand-alone use case (one write of its own, idempotent per event); trigger_eval may instead call
    ``evaluate_rule_sets`` on the snapshot after triggers and merge the changes into its own write. Changes
    made by rules do not run rule sets again.
    """
    actor = detail.get("actor") or {}
    snapshot = detail.get("ticket")
    sets = [s for s in list_rule_sets(deps) if s.active]
    if actor.get("type") == "rule" or not isinstance(snapshot, Mapping) or not sets:
        return []
    ctx = UpdateContext(
        update_type="Create" if detail.get("update_type") == "Create" else "Change",
        via=str(detail.get("via") or "api"), actor_role=str(actor.get("type") or "system"),
        actor_id=actor.get("id"), comment=detail.get("comment"), previous=detail.get("previous"),
        requester=deps.users.get(int(snapshot["requester_id"])).view(),
    )
    run = evaluate_rule_sets(sets, snapshot, ctx, detail)
    if run.fired:
        with_retries(lambda: _apply(deps, int(detail["ticket_id"]), run, f"rs#{detail['event_id']}"))
    return run.fired


def _apply(deps: Container, ticket_id: int, run: RuleSetRun, key: str) -> None:
    ticket = deps.tickets.get(ticket_id)
    now = deps.clock.now()
    notices = [ticket_event("NotificationRequested", ticket_id, f"{key}:{i}", RULE, now, recipient=n.recipient,
                            recipient_type=n.kind, subject=n.subject, body=n.body, trigger_id=n.trigger_id,
                            rule_set_id=n.trigger_id, responding_to_automatic=False,
                            messaging=to_chat(ticket.snapshot(), n))
               for i, n in enumerate(run.notifications) if n.kind != "webhook"]
    fields = {name: new for name, (_, new) in run.changes.items()
              if name in EDITABLE_FIELDS and ticket.field_value(name) != new}
    if ticket.status == "closed" or not fields:
        try:
            deps.tickets.record_operation(key, notices)
        except AlreadyApplied as done:
            notices = done.events
        deps.publisher.publish(notices)
        return
    commit(deps, change_ticket(ticket, actor=RULE, via="rule", now=now, fields=fields), idempotency_key=key,
           extra_events=notices)
