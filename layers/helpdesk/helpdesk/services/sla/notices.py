"""Who an SLA warning or escalation level mails, and the mail itself (sent through NotificationRequested, the
notify function's path: bouncing addresses and rate limits apply as to any automatic mail)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.clock import iso
from helpdesk.domain.errors import NotFound
from helpdesk.domain.events import DomainEvent, ticket_event
from helpdesk.domain.sla.escalation import Level
from helpdesk.domain.tickets import SYSTEM, SlaTarget, Ticket


def group_members(deps: Container, group_id: int) -> list[int]:
    """The agents of a group (its memberships), in id order."""
    return sorted({m.user_id for m in deps.groups.memberships(group_id=group_id)})


def group_manager(deps: Container, group_id: int) -> int | None:
    try:
        manager: int | None = deps.groups.get(group_id).assignment.manager_id
    except NotFound:
        return None
    return manager


def level_recipients(deps: Container, ticket: Ticket, level: Level) -> list[int]:
    found: list[int] = []
    if level.notify_assignee and ticket.assignee_id is not None:
        found.append(ticket.assignee_id)
    found += level.agent_ids
    if level.group_id is not None:
        found += group_members(deps, level.group_id)
    if level.group_manager_of is not None and (manager := group_manager(deps, level.group_manager_of)):
        found.append(manager)
    return list(dict.fromkeys(found))


def warning_recipients(deps: Container, ticket: Ticket) -> list[int]:
    """The assignee; an unassigned ticket's group members."""
    if ticket.assignee_id is not None:
        return [ticket.assignee_id]
    return group_members(deps, ticket.group_id) if ticket.group_id is not None else []


def _label(metric: str) -> str:
    return metric.replace("_", " ")


def _late(breached_at: datetime | None, now: datetime) -> str:
    minutes = int(((now - breached_at).total_seconds() if breached_at else 0) // 60)
    return "just now" if minutes < 1 else f"{minutes} minute{'s' if minutes != 1 else ''} ago"


def mails(deps: Container, ticket: Ticket, target: SlaTarget, key: str, recipients: list[int], now: datetime,
          *, warning: bool, level: int = 0) -> list[DomainEvent]:
    base = (deps.settings.public_api_url or "").rstrip("/")
    link = f"{base}/api/v2/tickets/{ticket.id}.json"
    if warning:
        subject = f"SLA warning: ticket #{ticket.id} {_label(target.metric)} is due at {iso(target.due_at)}"
        lead = (f"The {_label(target.metric)} target of ticket #{ticket.id} \"{ticket.subject}\" breaches at "
                f"{iso(target.due_at)} unless someone acts.")
    else:
        subject = f"SLA escalation (level {level}): ticket #{ticket.id} {_label(target.metric)} breached"
        lead = (f"The {_label(target.metric)} target of ticket #{ticket.id} \"{ticket.subject}\" was breached "
                f"{_late(target.breached_at, now)} (due {iso(target.due_at) or iso(target.breached_at)}, "
                f"breach recorded {iso(target.breached_at)}). Escalation level {level}.")
    body = f"{lead}\n\nTicket: {link}\nPriority: {ticket.priority or 'normal'}\n"
    detail: dict[str, Any] = {"subject": subject, "body": body, "responding_to_automatic": False,
                              "messaging": False, "sla_metric": target.metric}
    return [ticket_event("NotificationRequested", ticket.id, f"{key}:{user}", SYSTEM, now, recipient=user, **detail)
            for user in recipients]
