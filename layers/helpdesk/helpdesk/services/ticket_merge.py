"""Zendesk's ticket merge (``POST /api/v2/tickets/{id}/merge``): up to five source tickets are closed, each with a
comment saying where it went, and the target gets a comment naming them and their requesters as CCs. Answered
with a job status, as Zendesk's. Every ticket is checked before anything is written: a source that is closed, the
target itself, or a closed target refuses the whole merge."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.errors import HelpdeskError, InvalidInput, InvalidRecord
from helpdesk.domain.users import User
from helpdesk.services import api_tickets
from helpdesk.services.ticket_bulk import job

MAX_SOURCES = 5


def _flag(payload: Mapping[str, Any], name: str, default: bool) -> bool:
    value = payload.get(name, default)
    if not isinstance(value, bool):
        raise InvalidInput(f"{name} must be true or false")
    return value


def _text(payload: Mapping[str, Any], name: str, default: str) -> str:
    value = payload.get(name)
    if value is None:
        return default
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{name} must be a non-empty text")
    return value


def merge(deps: Container, target_id: int, payload: Mapping[str, Any], caller: User, base: str) -> dict[str, Any]:
    ids = payload.get("ids")
    if (not isinstance(ids, list) or not ids or len(ids) > MAX_SOURCES
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)):
        raise InvalidInput(f"ids must list the 1 to {MAX_SOURCES} ticket ids to merge into ticket {target_id}")
    if target_id in ids:
        raise InvalidInput(f"ticket {target_id} cannot be merged into itself")
    target = deps.tickets.get(target_id)
    sources = [deps.tickets.get(number) for number in dict.fromkeys(ids)]
    for ticket in (target, *sources):
        if ticket.status == "closed":
            raise InvalidRecord(f"ticket {ticket.id} is closed: closed tickets cannot be merged")
    names = ", ".join(f"#{s.id} \"{s.subject}\"" for s in sources)
    source_comment = _text(payload, "source_comment",
                           f"This request was closed and merged into request #{target.id} \"{target.subject}\".")
    target_comment = _text(payload, "target_comment", f"Requests {names} were closed and merged into this request.")
    source_public = _flag(payload, "source_comment_is_public", False)
    target_public = _flag(payload, "target_comment_is_public", False)
    results: list[dict[str, Any]] = []
    for source in sources:
        try:
            api_tickets.update_ticket_audited(deps, source.id, {"ticket": {
                "status": "closed", "comment": {"body": source_comment, "public": source_public}}}, caller)
            results.append({"id": source.id, "action": "merge", "success": True, "status": "Merged"})
        except HelpdeskError as exc:
            results.append({"id": source.id, "action": "merge", "success": False, "error": type(exc).__name__,
                            "details": str(exc)})
    merged = [s for s, r in zip(sources, results, strict=True) if r["success"]]
    if merged:
        copied = [s.requester_id for s in merged if s.requester_id != target.requester_id]
        ccs = list(dict.fromkeys([*target.collaborator_ids, *copied]))
        api_tickets.update_ticket_audited(deps, target.id, {"ticket": {
            "collaborator_ids": ccs, "comment": {"body": target_comment, "public": target_public}}}, caller)
    results.append({"id": target.id, "action": "merge_target", "success": bool(merged),
                    "status": "Updated" if merged else "Unchanged"})
    return job(deps, base, results, len(results))
