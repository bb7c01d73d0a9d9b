"""Deleting tickets as Zendesk does: ``DELETE /api/v2/tickets/{id}`` (and ``destroy_many``) moves a ticket to the
deleted tickets, where it can be listed, restored (``restore``, ``restore_many``) or deleted for good
(``DELETE /api/v2/deleted_tickets/{id}``, ``destroy_many``), the bulk and permanent deletions answered with a
job status."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.clock import from_epoch, iso
from helpdesk.domain.errors import HelpdeskError, UserNotFound
from helpdesk.domain.tickets import Ticket
from helpdesk.domain.users import User
from helpdesk.services.ticket_bulk import job


def destroy(deps: Container, ticket_id: int, caller: User) -> None:
    deps.deleted_tickets.soft_delete(ticket_id, deps.clock.now(), caller.id)


def restore(deps: Container, ticket_id: int) -> Ticket:
    restored: Ticket = deps.deleted_tickets.restore(ticket_id)
    return restored


def _each(deps: Container, ids: Sequence[int], action: str, done: str, base: str,
          run: Callable[[int], object]) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    for number in ids:
        try:
            run(number)
            results.append({"id": number, "action": action, "success": True, "status": done})
        except HelpdeskError as exc:
            results.append({"id": number, "action": action, "success": False, "error": type(exc).__name__,
                            "details": str(exc)})
    return job(deps, base, results, len(results))


def destroy_many(deps: Container, ids: Sequence[int], caller: User, base: str) -> dict[str, Any]:
    return _each(deps, ids, "delete", "Deleted", base, lambda n: destroy(deps, n, caller))


def restore_many(deps: Container, ids: Sequence[int], base: str) -> dict[str, Any]:
    return _each(deps, ids, "restore", "Restored", base, lambda n: restore(deps, n))


def purge_many(deps: Container, ids: Sequence[int], base: str) -> dict[str, Any]:
    return _each(deps, ids, "destroy", "Deleted", base, deps.deleted_tickets.purge)


def deleted_to_api(deps: Container, ticket: Ticket, deleted: dict[str, Any]) -> dict[str, Any]:
    """Zendesk's deleted ticket: who deleted it when, and the status it had."""
    actor: dict[str, Any] = {"id": deleted.get("deleted_by"), "name": None}
    if isinstance(deleted.get("deleted_by"), int):
        with contextlib.suppress(UserNotFound):
            actor["name"] = deps.users.get(int(deleted["deleted_by"])).name
    return {"id": ticket.id, "subject": ticket.subject, "description": ticket.description, "actor": actor,
            "deleted_at": iso(from_epoch(deleted["deleted_at"])), "previous_state": ticket.status}
