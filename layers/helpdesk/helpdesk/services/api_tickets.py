"""The REST API's use cases for tickets, comments, triggers and SLA policies (Zendesk-compatible shapes)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.addresses import RecipientAddress
from helpdesk.domain.clock import iso
from helpdesk.domain.errors import InvalidInput, InvalidRecord, NotFound, TagsUnchanged, UpdateConflict, UserNotFound
from helpdesk.domain.safe_update import CONFLICT as SAFE_UPDATE_CONFLICT
from helpdesk.domain.safe_update import check_stamp, requested_stamp
from helpdesk.domain.sla import SlaPolicy
from helpdesk.domain.sla.view import stage as sla_stage
from helpdesk.domain.tickets import (
    EDITABLE_FIELDS,
    TAG_EDITS,
    Actor,
    Audit,
    Comment,
    NewComment,
    Ticket,
    Update,
    change_ticket,
    field_id,
    open_ticket,
)
from helpdesk.domain.triggers import Trigger
from helpdesk.domain.users import User, valid_email
from helpdesk.ports import VersionConflict
from helpdesk.services.auth import require_admin
from helpdesk.services.common import commit, read_sla_rules, with_retries

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def ticket_to_api(ticket: Ticket) -> dict[str, Any]:
    sat = ticket.satisfaction
    return {
        "id": ticket.id, "external_id": ticket.external_id, "type": ticket.type, "subject": ticket.subject,
        "raw_subject": ticket.subject, "description": ticket.description, "priority": ticket.priority,
        "status": ticket.status, "requester_id": ticket.requester_id, "submitter_id": ticket.submitter_id,
        "assignee_id": ticket.assignee_id, "organization_id": ticket.organization_id,
        "group_id": ticket.group_id, "brand_id": ticket.brand_id, "collaborator_ids": ticket.collaborator_ids,
        "email_cc_ids": ticket.collaborator_ids, "follower_ids": [], "tags": ticket.tags,
        "via": {"channel": ticket.via, "source": {"from": {}, "to": {}, "rel": None}},
        "custom_fields": [{"id": k, "value": v} for k, v in ticket.custom_fields.items()],
        "satisfaction_rating": {"score": sat.score, "comment": sat.comment or None},
        "followup_source_id": ticket.follow_up_of, "is_public": True, "recipient": ticket.recipient,
        "sla": {m: {"due_at": iso(t.due_at), "breached_at": iso(t.breached_at), "stage": sla_stage(t),
                    "fulfilled_at": iso(t.fulfilled_at)} for m, t in ticket.sla_targets.items()},
        "created_at": iso(ticket.created_at), "updated_at": iso(ticket.updated_at),
        **_zendesk_ticket_keys(ticket),
    }


def _zendesk_ticket_keys(ticket: Ticket) -> dict[str, Any]:
    """Zendesk's other ticket keys, from what the product keeps where it keeps it (the custom fields, whether a
    messaging ticket can answer in its channel), at Zendesk's defaults for what it does not (forms, problems)."""
    from helpdesk.bootstrap import container

    base = (container().settings.public_api_url or "").rstrip("/")
    return {
        "url": f"{base}/api/v2/tickets/{ticket.id}.json", "due_at": None, "problem_id": None,
        "has_incidents": False, "followup_ids": [], "fields": [{"id": k, "value": v}
                                                              for k, v in ticket.custom_fields.items()],
        "ticket_form_id": None, "allow_channelback": ticket.conversation is not None,
        "from_messaging_channel": ticket.conversation is not None, "allow_attachments": True,
        "forum_topic_id": None, "sharing_agreement_ids": [], "custom_status_id": None,
        "encoded_id": f"{ticket.id}", "generated_timestamp": int(ticket.updated_at.timestamp()),
    }


def answer(ticket: Ticket, update: Update | None, base: str = "") -> dict[str, Any]:
    """Zendesk's answer to a create or an update: the ticket and the audit the write made."""
    body: dict[str, Any] = {"ticket": ticket_to_api(ticket)}
    if update is not None:
        comments = {update.comment.id: update.comment} if update.comment is not None else {}
        body["audit"] = audit_to_api(update.audit, comments, base)
    return body


def comment_to_api(comment: Comment, base: str = "") -> dict[str, Any]:
    from helpdesk.services.attachments import attachment_to_api

    attachments = [attachment_to_api(base, comment.ticket_id, comment.id, position, doc)
                   for position, doc in enumerate(comment.attachments, start=1)]
    return {
        "id": comment.id, "type": "Comment", "author_id": comment.author_id, "body": comment.body,
        "html_body": comment.html_body, "plain_body": comment.full_body or comment.body,
        "public": comment.public, "via": {"channel": comment.via}, "attachments": attachments,
        "metadata": {"message_id": comment.message_id, "delivery": comment.delivery},
        "created_at": iso(comment.created_at),
    }


SYSTEM_AUTHOR = -1  # Zendesk's author_id for changes made by triggers, automations and the system


def audit_to_api(audit: Audit, comments: Mapping[int, Comment], base: str = "") -> dict[str, Any]:
    """Zendesk's audit object: who (``author_id``, -1 for rules and the system), through which channel (``via``),
    and its events: ``Create`` / ``Change`` with ``field_name``, ``value``, ``previous_value``, and ``Comment``
    with the comment itself."""
    events: list[dict[str, Any]] = []
    for index, event in enumerate(audit.events, start=1):
        comment = comments.get(int(event["comment_id"])) if event.get("type") == "Comment" else None
        if comment is not None:
            events.append({**comment_to_api(comment, base), "audit_id": audit.id})
        else:
            events.append({"id": audit.id * 1000 + index, **event})
    return {
        "id": audit.id, "ticket_id": audit.ticket_id, "created_at": iso(audit.created_at),
        "author_id": audit.author_id if audit.author_id is not None else SYSTEM_AUTHOR,
        "via": {"channel": audit.via, "source": {"from": {}, "to": {}, "rel": None}},
        "metadata": {"system": {"actor": audit.actor_type}, "custom": {}}, "events": events,
    }


def ticket_audits(deps: Container, ticket_id: int) -> list[dict[str, Any]]:
    deps.tickets.get(ticket_id)  # 404 for a ticket that does not exist
    comments = {c.id: c for c in deps.tickets.comments(ticket_id)}
    base = _public_base(deps)
    return [audit_to_api(audit, comments, base) for audit in deps.tickets.audits(ticket_id)]


def ticket_comments(deps: Container, ticket_id: int) -> list[dict[str, Any]]:
    """A ticket's comments in Zendesk's shape, each with the ``audit_id`` of the audit that added it."""
    deps.tickets.get(ticket_id)  # 404 for a ticket that does not exist
    audit_of = {int(event["comment_id"]): audit.id for audit in deps.tickets.audits(ticket_id)
                for event in audit.events if event.get("type") == "Comment" and event.get("comment_id") is not None}
    base = _public_base(deps)
    return [{**comment_to_api(c, base), "audit_id": audit_of.get(c.id)} for c in deps.tickets.comments(ticket_id)]


def _public_base(deps: Container) -> str:
    return (deps.settings.public_api_url or "").rstrip("/")


def _actor(user: User) -> Actor:
    return Actor("admin" if user.role == "admin" else "agent", user.id)


def _body(payload: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    inner = payload.get(key)
    if not isinstance(inner, Mapping):
        raise InvalidInput(f'the body must be {{"{key}": {{...}}}}')
    return inner


def create_upload(deps: Container, filename: str, content_type: str, data: bytes) -> dict[str, Any]:
    """Store a file for a later comment (Zendesk's POST /api/v2/uploads); returns the upload with its token."""
    name = filename.strip().replace("/", "_")[:200]
    if not name:
        raise InvalidInput("the filename query parameter is required")
    if not data:
        raise InvalidInput("the upload is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"uploads are limited to {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    token = secrets.token_urlsafe(18)
    key = deps.raw_store.put(f"uploads/{token}/{name}", data, content_type)
    attachment = {"filename": name, "content_type": content_type, "size": len(data),
                  "sha256": hashlib.sha256(data).hexdigest(), "inline": False, "content_id": None, "key": key}
    deps.uploads.register(token, attachment)
    return {"token": token, "attachment": attachment, "attachments": [attachment]}


def _attachments(deps: Container, tokens: Any) -> tuple[Mapping[str, Any], ...]:
    if tokens is None:
        return ()
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise InvalidInput("comment.uploads must be a list of upload tokens")
    found = []
    for token in tokens:
        attachment = deps.uploads.lookup(token)
        if attachment is None:
            raise InvalidInput(f"upload token {token!r} is unknown or expired")
        found.append(attachment)
    return tuple(found)


def _new_comment(data: Any, author: User, default_public: bool = True,
                 deps: Container | None = None) -> NewComment | None:
    if data is None:
        return None
    if isinstance(data, str):
        data = {"body": data}
    if not isinstance(data, Mapping) or not str(data.get("body") or data.get("html_body") or "").strip():
        raise InvalidInput("comment.body is required")
    public = data.get("public", default_public)
    if not isinstance(public, bool):
        raise InvalidInput("comment.public must be true or false")
    attachments = _attachments(deps, data.get("uploads")) if deps is not None else ()
    return NewComment(body=str(data.get("body") or data.get("html_body")), public=public, author_id=author.id,
                      via="api", html_body=data.get("html_body"), attachments=attachments)


def _fields(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k in EDITABLE_FIELDS}


def _user(deps: Container, value: Any, name: str) -> User:
    try:
        return deps.users.get(field_id(name, value))
    except UserNotFound as exc:
        raise InvalidRecord(f"{name}: user {value} does not exist") from exc


def _check_assignee(deps: Container, data: Mapping[str, Any]) -> None:
    """As in Zendesk, only an active agent can be assigned (one read, only when the update names an assignee)."""
    if data.get("assignee_id") in (None, ""):
        return
    assignee = _user(deps, data["assignee_id"], "assignee_id")
    if not assignee.is_agent or not assignee.active:
        raise InvalidRecord(f"assignee_id: user {assignee.id} is not an active agent")


def create_ticket(deps: Container, payload: Mapping[str, Any], caller: User) -> Ticket:
    return create_ticket_audited(deps, payload, caller).ticket


def create_ticket_audited(deps: Container, payload: Mapping[str, Any], caller: User) -> Update:
    """Create a ticket; the Update holds the ticket and the audit Zendesk answers with."""
    data = _body(payload, "ticket")
    comment = _new_comment(data.get("comment") or data.get("description"), caller, deps=deps)
    if comment is None:
        raise InvalidInput("ticket.comment.body is required")
    requester = caller
    if isinstance(data.get("requester"), Mapping) and data["requester"].get("email"):
        requester = deps.users.ensure(valid_email(data["requester"]["email"]),
                                      str(data["requester"].get("name") or ""))
    elif data.get("requester_id") is not None:
        requester = _user(deps, data["requester_id"], "requester_id")
    _check_assignee(deps, data)
    subject = str(data.get("subject") or comment.body.splitlines()[0][:80])
    update = open_ticket(ticket_id=deps.tickets.allocate_id(), subject=subject, comment=comment,
                         requester_id=requester.id, actor=_actor(caller), via="api", now=deps.clock.now(),
                         fields=_fields(data))
    commit(deps, update)
    return update


def update_ticket(deps: Container, ticket_id: int, payload: Mapping[str, Any], caller: User) -> Ticket:
    """Applied to the ticket as last saved, again after a reload when another writer saved it in between (so
    ``additional_tags`` / ``remove_tags`` never lose a concurrent writer's tags); a safe update (``safe_update``
    with ``updated_stamp``) is refused with 409 instead, never re-applied."""
    return update_ticket_audited(deps, ticket_id, payload, caller)[0]


def update_ticket_audited(deps: Container, ticket_id: int, payload: Mapping[str, Any],
                          caller: User) -> tuple[Ticket, Update | None]:
    """update_ticket, with the Update it saved (None when the update changed nothing, such as tags already
    there)."""
    data = _body(payload, "ticket")
    stamp = requested_stamp(data)
    _check_assignee(deps, data)
    comment = _new_comment(data.get("comment"), caller, deps=deps)
    fields = {k: v for k, v in data.items() if k in EDITABLE_FIELDS or k in TAG_EDITS}
    sla_rules = read_sla_rules(deps)

    def attempt() -> tuple[Ticket, Update | None]:
        ticket = deps.tickets.get(ticket_id)
        check_stamp(ticket, stamp)
        try:
            update = change_ticket(ticket, actor=_actor(caller), via="api", now=deps.clock.now(), fields=fields,
                                   comment=comment)
        except TagsUnchanged:
            return ticket, None
        try:
            commit(deps, update, sla_rules=sla_rules)
        except VersionConflict as exc:
            if stamp is not None:
                raise UpdateConflict(SAFE_UPDATE_CONFLICT) from exc
            raise
        return update.ticket, update

    return with_retries(attempt)


def list_triggers(deps: Container, active: str | None = None) -> list[Trigger]:
    """The triggers in the order they run (position, then id); ``active=true|false`` keeps only those."""
    ordered = sorted(deps.rules.triggers(), key=lambda t: (t.position, t.id))
    if active is None:
        return ordered
    if active.lower() not in ("true", "false"):
        raise InvalidInput("active must be true or false")
    return [t for t in ordered if t.active == (active.lower() == "true")]


def create_trigger(deps: Container, payload: Mapping[str, Any], caller: User) -> Trigger:
    require_admin(caller)
    data = _body(payload, "trigger")
    trigger = Trigger.from_api(data, id=deps.rules.allocate_id("trigger"), now_iso=iso(deps.clock.now()) or "")
    if "position" not in data:
        existing = deps.rules.triggers()
        trigger = Trigger(**{**trigger.__dict__, "position": max((t.position for t in existing), default=0) + 1})
    deps.rules.put_trigger(trigger)
    return trigger


def create_recipient_address(deps: Container, payload: Mapping[str, Any], caller: User) -> RecipientAddress:
    require_admin(caller)
    address = RecipientAddress.from_api(_body(payload, "recipient_address"),
                                        id=deps.rules.allocate_id("recipient_address"))
    deps.rules.put_recipient_address(address)
    return address


def sla_policy(deps: Container, policy_id: int) -> SlaPolicy:
    found = next((p for p in deps.rules.sla_policies() if p.id == policy_id), None)
    if found is None:
        raise NotFound(f"SLA policy {policy_id} does not exist")
    return found


def update_sla_policy(deps: Container, policy_id: int, payload: Mapping[str, Any], caller: User) -> SlaPolicy:
    """Zendesk's update: the attributes given replace the stored ones (``filter`` and ``policy_metrics`` whole)."""
    require_admin(caller)
    existing = sla_policy(deps, policy_id)
    policy = SlaPolicy.from_api({**existing.to_api(), **_body(payload, "sla_policy")}, id=existing.id)
    deps.rules.put_sla_policy(policy)
    return policy


def delete_sla_policy(deps: Container, policy_id: int, caller: User) -> None:
    """Tickets keep the targets they have; they follow the remaining policies from their next update on."""
    require_admin(caller)
    deps.rule_remover.remove("sla_policy", sla_policy(deps, policy_id).id)


def create_sla_policy(deps: Container, payload: Mapping[str, Any], caller: User) -> SlaPolicy:
    require_admin(caller)
    policy = SlaPolicy.from_api(_body(payload, "sla_policy"), id=deps.rules.allocate_id("sla_policy"))
    deps.rules.put_sla_policy(policy)
    return policy
