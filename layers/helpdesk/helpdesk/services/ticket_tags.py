"""A ticket's tags as Zendesk serves them at ``/api/v2/tickets/{id}/tags``: GET lists them, PUT adds, POST sets
(replaces), DELETE removes; each write goes through the ticket update (audited, concurrent writers lose no tag,
``safe_update`` with ``updated_stamp`` honoured)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.errors import InvalidInput
from helpdesk.domain.users import User
from helpdesk.services import api_tickets

EDIT_BY_METHOD = {"PUT": "additional_tags", "POST": "tags", "DELETE": "remove_tags"}


def _tags(payload: Mapping[str, Any], query: str | None) -> Any:
    tags = payload.get("tags")
    if tags is None and query:
        tags = [t for t in query.split(",") if t.strip()]
    if isinstance(tags, str):
        tags = tags.split()
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidInput('tags must be given as {"tags": ["a", "b"]} (a list of tags, or a space-delimited '
                           "string)")
    return tags


def tags(deps: Container, ticket_id: int) -> list[str]:
    return list(deps.tickets.get(ticket_id).tags)


def edit_tags(deps: Container, ticket_id: int, method: str, payload: Mapping[str, Any], query: str | None,
              caller: User) -> list[str]:
    edit = {EDIT_BY_METHOD[method]: _tags(payload, query)}
    for key in ("safe_update", "updated_stamp"):
        if key in payload:
            edit[key] = payload[key]
    ticket, _ = api_tickets.update_ticket_audited(deps, ticket_id, {"ticket": edit}, caller)
    return list(ticket.tags)
