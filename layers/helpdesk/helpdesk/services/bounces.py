"""A bounce or a complaint about our mail is attached to the ticket whose mail caused it; a bounce marks the
address as bouncing (a temporary failure only when it repeats), a complaint marks its owner as complaining. Neither
is ever answered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from helpdesk.bootstrap import Container
from helpdesk.channels.email.message import ParsedEmail
from helpdesk.domain.events import DomainEvent
from helpdesk.domain.tickets import SYSTEM, NewComment, change_ticket
from helpdesk.domain.users import User
from helpdesk.services.common import commit, with_retries
from helpdesk.services.email_threading import ticket_for_ids

SOFT_BOUNCES_TO_MARK = 2  # a temporary failure marks the address when it repeats


def mark_bouncing(deps: Container, address: str | None, *, temporary: bool = False) -> bool:
    """Record a failed delivery to ``address``; True when the address is now marked bouncing."""
    def bounced(user: User) -> User | None:
        if user.bouncing:
            return None
        soft = user.soft_bounces + 1 if temporary else user.soft_bounces
        return replace(user, bouncing=not temporary or soft >= SOFT_BOUNCES_TO_MARK, soft_bounces=soft)

    changed = _change_user(deps, address, bounced)
    return bool(changed and changed.bouncing)


def mark_complained(deps: Container, address: str | None) -> bool:
    """Record that the owner of ``address`` reported our mail as spam; True when that is new."""
    return _change_user(deps, address, lambda user: None if user.complained else replace(user, complained=True)
                        ) is not None


def _change_user(deps: Container, address: str | None, change: Callable[[User], User | None]) -> User | None:
    """Apply ``change`` to the user with this address (None from it: nothing to change); the user saved."""
    if not address:
        return None

    def attempt() -> User | None:
        user = deps.users.find_by_email(address)
        changed = change(user) if user is not None else None
        if changed is not None:
            deps.users.put(changed)
        return changed

    return with_retries(attempt, what="user")


def attach_bounce(deps: Container, mail: ParsedEmail, raw_key: str, key: str) -> int | None:
    """Returns the ticket the bounce was attached to, None when it belongs to no ticket."""
    bounce = mail.bounce
    recipient = bounce.recipient if bounce else None
    if mail.kind == "complaint":
        mark_complained(deps, recipient)
    else:
        mark_bouncing(deps, recipient, temporary=bool(bounce and bounce.temporary))
    ids = [m for m in [bounce.original_message_id if bounce else None, *mail.references, mail.in_reply_to] if m]
    ticket = ticket_for_ids(deps, ids) if ids else None
    if ticket is None or ticket.status == "closed":
        deps.tickets.record_operation(key, [])
        return None
    author = deps.users.ensure(mail.from_.address if mail.from_ else "mailer-daemon@invalid", "Mail Delivery System")
    status = bounce.status if bounce and bounce.status else "unknown"
    if mail.kind == "complaint":
        said = f"{recipient or 'A recipient'} reported this ticket's mail as abuse or spam ({mail.kind_reason})."
    elif bounce and bounce.temporary:
        said = f"Delivery to {recipient or 'a recipient'} is delayed (status {status}); it may still arrive."
    else:
        said = f"Delivery to {recipient or 'a recipient'} failed (status {status})."
    body = f"{said}\n\n{mail.text.strip()[:4000]}"
    note = NewComment(body=body, public=False, author_id=author.id, via="email", message_id=mail.message_id,
                      full_body=mail.text, raw_key=raw_key, automatic=True)

    def attempt() -> list[DomainEvent]:
        current = deps.tickets.get(ticket.id)
        update = change_ticket(current, actor=SYSTEM, via="email", now=deps.clock.now(), comment=note)
        return commit(deps, update, idempotency_key=key, message_ids=[mail.message_id])

    with_retries(attempt)
    return ticket.id
