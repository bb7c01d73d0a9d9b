"""Dry run of a trigger before it is saved or activated: which recent tickets it would change, and how.

The trigger (Zendesk's body, validated as on create) runs alone, active, against the current snapshot of each
of the most recently updated tickets, as the ticket's last update: a create when the ticket was never changed
after it was opened, else a change that changed no field (what it changed is not known here, so ``changed``
conditions hold only on a create). The update's comment and actor are taken from the ticket's latest comment,
read only when the trigger's conditions look at the comment or the role of whoever updates. Nothing is written.
Cost: one query page per 100 tickets, one read per distinct requester, and one per ticket for comment rules.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.clock import iso
from helpdesk.domain.errors import InvalidInput, NotFound
from helpdesk.domain.inputs import ascii_digits
from helpdesk.domain.tickets import Ticket
from helpdesk.domain.triggers import Trigger, UpdateContext, run_triggers
from helpdesk.domain.users import User
from helpdesk.services.auth import require_admin

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
PAGE = 100
COMMENT_FIELDS = frozenset({"comment_includes_word", "comment_is_public", "role"})


def parse_limit(raw: str | None) -> int:
    """``?limit=``: how many recent tickets to try (default 100, at most 500)."""
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not ascii_digits(raw.strip()) or int(raw) < 1:
        raise InvalidInput("limit must be a positive whole number")
    return min(int(raw), MAX_LIMIT)


def dry_run(deps: Container, payload: Mapping[str, Any], caller: User, limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
    """``{"dry_run": {"evaluated": n, "matched": [{"ticket_id", "changes": {field: [old, new]}, "notifications"}]}}``"""
    require_admin(caller)
    data = payload.get("trigger")
    if not isinstance(data, Mapping):
        raise InvalidInput('the body must be {"trigger": {...}}')
    trigger = dataclasses.replace(Trigger.from_api(data, id=0, now_iso=iso(deps.clock.now()) or ""), active=True)
    wants_comment = any(c["field"] in COMMENT_FIELDS for group in trigger.conditions.values() for c in group)
    people: dict[int, dict[str, Any]] = {}
    matched, evaluated = [], 0
    for ticket in _recent(deps, limit):
        evaluated += 1
        run = run_triggers(ticket.snapshot(), [trigger], _context(deps, ticket, people, wants_comment),
                           placeholders=_placeholders(deps, ticket, people))
        if run.fired:
            changes = {field: [old, new] for field, (old, new) in run.changes.items()}
            matched.append({"ticket_id": ticket.id, "changes": changes, "notifications": len(run.notifications)})
    return {"dry_run": {"evaluated": evaluated, "matched": matched}}


def _recent(deps: Container, limit: int) -> list[Ticket]:
    found: list[Ticket] = []
    after: str | None = None
    while len(found) < limit:
        page = deps.tickets.list_recent(min(PAGE, limit - len(found)), after)
        found += page.tickets
        after = page.after_cursor
        if after is None:
            break
    return found[:limit]


def _person(deps: Container, user_id: int | None, people: dict[int, dict[str, Any]]) -> dict[str, Any]:
    if user_id is None:
        return {}
    if user_id not in people:
        try:
            people[user_id] = deps.users.get(user_id).view()
        except NotFound:
            people[user_id] = {"id": user_id}
    return people[user_id]


def _context(deps: Container, ticket: Ticket, people: dict[int, dict[str, Any]], wants_comment: bool) -> UpdateContext:
    comment: dict[str, Any] | None = None
    actor: dict[str, Any] = {}
    if wants_comment:
        comments = deps.tickets.comments(ticket.id)
        if comments:
            last = comments[-1]
            comment = {"body": last.body, "public": last.public, "author_id": last.author_id}
            actor = _person(deps, last.author_id, people)
    created = ticket.audit_count <= 1
    return UpdateContext(
        update_type="Create" if created else "Change", via=ticket.via,
        actor_role=str(actor.get("role") or "system"), actor_id=actor.get("id"), comment=comment,
        previous=None if created else ticket.snapshot(), requester=_person(deps, ticket.requester_id, people),
    )


def _placeholders(deps: Container, ticket: Ticket, people: dict[int, dict[str, Any]]) -> dict[str, Any]:
    base = (deps.settings.public_api_url or "").rstrip("/")
    return {"ticket": {"url": f"{base}/api/v2/tickets/{ticket.id}.json",
                       "requester": _person(deps, ticket.requester_id, people)}}
