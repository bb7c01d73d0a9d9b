"""Inbound email: a verified delivery is stored and queued (api, email_ingest), then becomes a ticket or a
comment on the right ticket (ticket_create), exactly once per Message-ID.

Automatic mail (auto-replies, bounces) is recorded but never answered and never opens a ticket; a bounce is
attached to the ticket whose mail bounced. Mail that fails DMARC (or SPF and DKIM) is suspended (Zendesk's
suspended tickets), and once an agent recovers it, it is never threaded into an existing ticket: it opens a new one
tagged ``suspicious``. Spam or virus verdicts are quarantined in S3 and suspended.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.channels.email.message import AUTOMATIC_KINDS, ParsedEmail
from helpdesk.channels.email.parse import parse_email
from helpdesk.channels.email.providers.delivery import InboundDelivery, spoofed_by
from helpdesk.domain.addresses import RecipientAddress, is_ours, route
from helpdesk.domain.errors import InvalidInput, ReplayedRequest
from helpdesk.domain.events import DomainEvent
from helpdesk.domain.mailboxes import unmailable_reason
from helpdesk.domain.tickets import Actor, NewComment, change_ticket, open_ticket
from helpdesk.domain.users import User
from helpdesk.services.bounces import attach_bounce
from helpdesk.services.common import commit, with_retries
from helpdesk.services.email_threading import find_ticket
from helpdesk.services.organizations import organization_of

RAW_PREFIX = "inbound/"
QUARANTINE_PREFIX = "quarantine/"
ATTACHMENT_PREFIX = "attachments/"
SUSPICIOUS_TAG = "suspicious"
UNMAILABLE_TAG = "requester_unmailable"  # the sender's address is one SES cannot send to (domain.mailboxes)


@dataclass(frozen=True)
class Queued:
    message_id: str
    raw_key: str
    dropped: str | None = None


@dataclass(frozen=True)
class Outcome:
    ticket_id: int | None
    created: bool
    duplicate: bool
    follow_up_of: int | None = None
    dropped: str | None = None


def thread_key(mail: ParsedEmail) -> str:
    """The FIFO group: replies of one thread are handled one at a time, so they cannot open two tickets."""
    root = mail.references[0] if mail.references else mail.in_reply_to or mail.message_id
    return hashlib.sha256(root.encode()).hexdigest()


def accept_delivery(deps: Container, delivery: InboundDelivery, *, raw_key: str | None = None) -> Queued:
    """Store the raw mail (unless the provider already did) and queue it; loops dropped, spam quarantined,
    a signed post's token reused for other content refused (ReplayedRequest)."""
    if not delivery.raw.strip():
        raise InvalidInput("the message is empty")
    _refuse_replay(deps, delivery)
    mail = parse_email(delivery.raw)
    sender = mail.from_.address if mail.from_ else ""
    addresses = deps.rules.recipient_addresses()
    if mail.loop_marker is not None or (sender and is_ours(addresses, deps.settings.sender_address, sender)):
        return Queued(mail.message_id, raw_key or "", dropped="our own mail came back (loop)")
    digest = hashlib.sha256(delivery.raw).hexdigest()
    if delivery.quarantine_reason is not None:
        kept = deps.raw_store.put(f"{QUARANTINE_PREFIX}{delivery.provider}/{digest}.eml", delivery.raw)
        from helpdesk.services.suspended_tickets import suspend

        suspend(deps, mail, delivery.quarantine_reason, kept, delivery.provider, delivery.verdicts,
                delivery.recipients)
        return Queued(mail.message_id, kept, dropped=f"quarantined: {delivery.quarantine_reason} verdict FAIL")
    if raw_key is None:
        raw_key = deps.raw_store.put(f"{RAW_PREFIX}{delivery.provider}/{digest}.eml", delivery.raw)
    body = {"raw_key": raw_key, "message_id": mail.message_id, "source": delivery.provider,
            "verdicts": dict(delivery.verdicts), "recipients": list(delivery.recipients)}
    deps.inbound_queue.send(body, group_id=thread_key(mail),
                            dedup_id=hashlib.sha256(mail.message_id.encode()).hexdigest())
    return Queued(mail.message_id, raw_key)


def _refuse_replay(deps: Container, delivery: InboundDelivery) -> None:
    """Mailgun signs timestamp + token and advises refusing a token seen before. A token is remembered for the
    freshness window either side of its timestamp with a digest of what the delivery carries (the message, its
    envelope recipients and the provider's verdicts), so Mailgun's retry of the same post still gets in (the
    Message-ID dedup keeps it to one ticket) while a captured post replayed with other content does not."""
    if delivery.signed_token is None:
        return
    from helpdesk.channels.email.providers.mailgun import FRESHNESS_SECONDS

    carried = [hashlib.sha256(delivery.raw).hexdigest(), sorted(delivery.recipients), sorted(delivery.verdicts.items())]
    digest = hashlib.sha256(json.dumps(carried).encode()).hexdigest()
    if not deps.signed_tokens.admit(delivery.signed_token, digest, 2 * FRESHNESS_SECONDS):
        raise ReplayedRequest(f"this {delivery.provider} token was already used for a different message: "
                              "refused as a replay")


def queue_raw_email(deps: Container, raw: bytes, *, source: str, raw_key: str | None = None) -> Queued:
    """Raw ``message/rfc822`` mail (the local stack's channel, replays)."""
    return accept_delivery(deps, InboundDelivery(provider=source, raw=raw, recipients=[], verdicts={}),
                           raw_key=raw_key)


def _store_attachments(deps: Container, mail: ParsedEmail) -> tuple[Mapping[str, Any], ...]:
    kept = []
    for part in mail.attachments:
        key = deps.raw_store.put(f"{ATTACHMENT_PREFIX}{part.sha256}", part.data, part.content_type)
        kept.append({"filename": part.filename, "content_type": part.content_type, "size": part.size,
                     "sha256": part.sha256, "inline": part.inline, "content_id": part.content_id, "key": key})
    return tuple(kept)


def _actor(user: User) -> Actor:
    return Actor("admin" if user.role == "admin" else "agent" if user.role == "agent" else "end-user", user.id)


@dataclass(frozen=True)
class _Inbound:
    mail: ParsedEmail
    sender: User
    raw_key: str
    key: str
    spoofed: bool
    address: RecipientAddress | None
    cc_ids: list[int]
    attachments: tuple[Mapping[str, Any], ...]


def create_from_email(deps: Container, body: dict[str, Any]) -> Outcome:
    """ticket_create's use case for one queued inbound message."""
    raw_key = body.get("raw_key")
    if not isinstance(raw_key, str) or not raw_key:
        raise InvalidInput("queued inbound message has no raw_key")
    mail = parse_email(deps.raw_store.get(raw_key))
    key = f"msg#{mail.message_id}"
    stored = deps.tickets.stored_events(key)
    if stored is not None:  # a redelivery: publish again what the first delivery produced
        deps.publisher.publish(stored)
        return Outcome(_ticket_of(stored), created=False, duplicate=True)
    if mail.kind in ("bounce", "complaint"):
        ticket_id = attach_bounce(deps, mail, raw_key, key)
        return Outcome(ticket_id, created=False, duplicate=False,
                       dropped=None if ticket_id else f"a {mail.kind} about no ticket's mail")
    if mail.from_ is None:
        raise InvalidInput("the message has no sender address")
    verdicts = body.get("verdicts") or {}
    if spoofed_by(verdicts) and not body.get("recovered"):  # held back as Zendesk does, until an agent recovers it
        from helpdesk.services.suspended_tickets import suspend

        held = suspend(deps, mail, "dmarc", raw_key, str(body.get("source") or "email"), verdicts,
                       list(body.get("recipients") or []))
        return Outcome(None, created=False, duplicate=False, dropped=f"suspended ticket {held.id}: {held.cause}")
    addresses = deps.rules.recipient_addresses()
    candidates = [*(body.get("recipients") or []), *(a.address for a in [*mail.to, *mail.cc])]
    sender = deps.users.ensure(mail.from_.address, mail.from_.name)
    inbound = _Inbound(mail, sender, raw_key, key, spoofed_by(body.get("verdicts") or {}), route(addresses, candidates),
                       _cc_users(deps, mail, sender, addresses), _store_attachments(deps, mail))
    return with_retries(lambda: _write(deps, inbound))


def _cc_users(deps: Container, mail: ParsedEmail, sender: User, addresses: Sequence[RecipientAddress]) -> list[int]:
    ids = []
    for cc in mail.cc:
        if cc.address and cc.address != sender.email and not is_ours(addresses, deps.settings.sender_address,
                                                                      cc.address):
            ids.append(deps.users.ensure(cc.address, cc.name).id)
    return ids


def _ticket_of(events: Sequence[DomainEvent]) -> int | None:
    return next((e.ticket_id for e in events if e.ticket_id is not None), None)


def _write(deps: Container, inbound: _Inbound) -> Outcome:
    mail, sender = inbound.mail, inbound.sender
    now = deps.clock.now()
    automatic = mail.auto_submitted or mail.kind in AUTOMATIC_KINDS
    existing = None if inbound.spoofed else find_ticket(deps, mail, sender)
    if existing is None and automatic:
        deps.tickets.record_operation(inbound.key, [])
        return Outcome(None, created=False, duplicate=False, dropped="automatic mail that belongs to no ticket")
    comment = NewComment(
        body=mail.reply_text.strip() or mail.text.strip() or "(empty message)", public=not automatic,
        author_id=sender.id, via="email", html_body=mail.html, message_id=mail.message_id, full_body=mail.text,
        raw_key=inbound.raw_key, attachments=inbound.attachments, automatic=automatic,
        no_autoreply=mail.kind == "list")
    fields: dict[str, Any] = {}
    if existing is not None and existing.status != "closed":
        new_ccs = [i for i in inbound.cc_ids if i not in existing.collaborator_ids]
        if new_ccs:
            fields["collaborator_ids"] = [*existing.collaborator_ids, *new_ccs]
        update = change_ticket(existing, actor=_actor(sender), via="email", now=now, comment=comment, fields=fields)
        follow_up_of = None
    else:
        follow_up_of = existing.id if existing is not None else None
        fields["collaborator_ids"] = inbound.cc_ids
        if inbound.address is not None:
            fields.update(group_id=inbound.address.group_id, brand_id=inbound.address.brand_id)
        tags = [SUSPICIOUS_TAG] if inbound.spoofed else []
        if unmailable_reason(sender.email) is not None:
            tags.append(UNMAILABLE_TAG)
        if tags:
            fields["tags"] = tags
        organization = organization_of(deps, sender)
        if organization is not None:
            fields["organization_id"] = organization.id
            if "group_id" not in fields or fields["group_id"] is None:
                fields["group_id"] = organization.group_id
        update = open_ticket(ticket_id=deps.tickets.allocate_id(), subject=mail.subject, comment=comment,
                             requester_id=sender.id, actor=_actor(sender), via="email", now=now, fields=fields)
        update.ticket.follow_up_of = follow_up_of
        update.ticket.recipient = inbound.address.email if inbound.address else None
    events = commit(deps, update, idempotency_key=inbound.key, message_ids=[mail.message_id])
    return Outcome(_ticket_of(events), created=update.previous is None, duplicate=False, follow_up_of=follow_up_of)
