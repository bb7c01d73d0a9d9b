"""Tickets, comments and audits: the ticket model of product.md (Zendesk semantics), pure Python."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from helpdesk.domain.clock import iso
from helpdesk.domain.errors import InvalidInput, InvalidTransition, TagsUnchanged
from helpdesk.domain.inputs import whole_number

if TYPE_CHECKING:
    from helpdesk.domain.ticket_metrics import TicketMetrics

STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
TYPES = ("question", "incident", "problem", "task")
ActorType = Literal["end-user", "agent", "admin", "rule", "system"]
CLOSE_SOLVED_DAYS = (1, 4, 28)  # a solved ticket closes after N days: at least, by default, at most
EDITABLE_FIELDS = frozenset(
    {"subject", "status", "priority", "type", "tags", "assignee_id", "group_id", "organization_id",
     "brand_id", "custom_fields", "external_id", "collaborator_ids", "satisfaction_score"}
)
TAG_EDITS = ("additional_tags", "remove_tags")  # Zendesk's tag changes relative to the tags a ticket has


@dataclass(frozen=True)
class Actor:
    """Who or what makes a change: recorded on every audit."""

    type: ActorType
    id: int | None = None

    @property
    def is_agent(self) -> bool:
        return self.type in ("agent", "admin")


SYSTEM = Actor("system")
RULE = Actor("rule")


@dataclass
class Satisfaction:
    score: str = "unoffered"  # unoffered | offered | good | bad
    comment: str = ""
    survey_due_at: datetime | None = None
    survey_nonce: str | None = None
    offered_at: datetime | None = None
    rated_at: datetime | None = None


@dataclass
class SlaTarget:
    """One instance of an SLA metric on the ticket (helpdesk.domain.sla.metrics keeps it).

    ``segments`` are the stretches the metric ran, ``[start, end]`` (end None while running); its measured time
    is their sum, in calendar or business time. ``due_at`` is None while paused. ``active``: still watched for a
    breach (neither fulfilled nor breached); ``open``: not fulfilled (a breached target stays open until it is).
    """

    metric: str
    start_at: datetime
    due_at: datetime | None
    target_minutes: int
    fulfilled_at: datetime | None = None
    breached_at: datetime | None = None
    instance_id: int = 1
    target_seconds: int = 0  # 0: target_minutes * 60 (targets stored before seconds existed)
    business_hours: bool = False
    cycle: int = 0  # what started this instance (a reply count, a reopen count): a new cycle, a new instance
    segments: list[list[datetime | None]] = field(default_factory=list)
    warned: bool = False
    escalated: int = 0  # escalation steps run after the breach (0: the breach itself not yet escalated)
    warn_before_seconds: int = 0  # the policy's warning, copied here so the due index needs no policy
    level_minutes: list[int] = field(default_factory=list)  # the policy's escalation levels: minutes after breach

    @property
    def active(self) -> bool:
        return self.fulfilled_at is None and self.breached_at is None

    @property
    def open(self) -> bool:
        return self.fulfilled_at is None

    @property
    def seconds(self) -> int:
        return self.target_seconds or self.target_minutes * 60

    @property
    def running(self) -> bool:
        return bool(self.segments) and self.segments[-1][1] is None


@dataclass
class Ticket:
    id: int
    subject: str
    description: str
    requester_id: int
    submitter_id: int
    via: str
    created_at: datetime
    updated_at: datetime
    status: str = "new"
    priority: str | None = None
    type: str | None = None
    tags: list[str] = field(default_factory=list)
    assignee_id: int | None = None
    group_id: int | None = None
    organization_id: int | None = None
    brand_id: int | None = None
    external_id: str | None = None
    custom_fields: dict[str, Any] = field(default_factory=dict)
    collaborator_ids: list[int] = field(default_factory=list)
    satisfaction: Satisfaction = field(default_factory=Satisfaction)
    sla_policy_id: int | None = None
    sla_targets: dict[str, SlaTarget] = field(default_factory=dict)
    first_reply_at: datetime | None = None
    solved_at: datetime | None = None
    follow_up_of: int | None = None
    recipient: str | None = None  # the support address the ticket came in to (chooses brand, group, sender)
    conversation: str | None = None  # a messaging ticket's conversation (channel#account#identity): replies go there
    # what time rules and metrics read (Zendesk's ticket metrics): when each thing last happened, and counts
    status_updated_at: datetime | None = None
    assigned_at: datetime | None = None
    requester_updated_at: datetime | None = None
    agent_updated_at: datetime | None = None
    reopens: int = 0
    replies: int = 0  # public agent comments
    unanswered_requester_comments: int = 0  # public requester comments since the last public agent comment
    comment_count: int = 0
    audit_count: int = 0
    assignment_due_at: datetime | None = None  # unassigned in a group with a limit: when the manager gets it
    metrics: TicketMetrics | None = None  # Zendesk's ticket metrics, advanced by each commit (domain.ticket_metrics)
    version: int | None = None

    def snapshot(self) -> dict[str, Any]:
        """The plain view rules and events work on (see helpdesk.domain.triggers)."""
        return {
            "id": self.id, "subject": self.subject, "description": self.description,
            "status": self.status, "priority": self.priority, "type": self.type, "tags": list(self.tags),
            "group_id": self.group_id, "assignee_id": self.assignee_id, "requester_id": self.requester_id,
            "organization_id": self.organization_id, "brand_id": self.brand_id, "via": self.via,
            "custom_fields": dict(self.custom_fields), "collaborator_ids": list(self.collaborator_ids),
            "external_id": self.external_id, "conversation": self.conversation,
            "satisfaction_score": self.satisfaction.score,
            "satisfaction_comment": self.satisfaction.comment,
            "created_at": iso(self.created_at), "updated_at": iso(self.updated_at),
            "status_updated_at": iso(self.status_updated_at), "assigned_at": iso(self.assigned_at),
            "requester_updated_at": iso(self.requester_updated_at), "agent_updated_at": iso(self.agent_updated_at),
            "reopens": self.reopens, "replies": self.replies,
            "unanswered_requester_comments": self.unanswered_requester_comments, "recipient": self.recipient,
        }

    def field_value(self, name: str) -> Any:
        if name == "satisfaction_score":
            return self.satisfaction.score
        return getattr(self, name)


@dataclass(frozen=True)
class NewComment:
    body: str
    public: bool
    author_id: int
    via: str
    html_body: str | None = None
    message_id: str | None = None
    full_body: str | None = None
    raw_key: str | None = None
    attachments: tuple[Mapping[str, Any], ...] = ()
    automatic: bool = False  # an auto-reply, bounce or other machine mail: never answered, never reopens
    no_autoreply: bool = False  # mail nothing automatic may answer (list mail, and all automatic mail)


@dataclass(frozen=True)
class Comment:
    id: int
    ticket_id: int
    author_id: int
    body: str
    public: bool
    via: str
    created_at: datetime
    html_body: str | None = None
    message_id: str | None = None
    full_body: str | None = None
    raw_key: str | None = None
    attachments: tuple[Mapping[str, Any], ...] = ()
    delivery: Mapping[str, Any] | None = None
    automatic: bool = False
    no_autoreply: bool = False


@dataclass(frozen=True)
class Audit:
    id: int
    ticket_id: int
    author_id: int | None
    actor_type: ActorType
    via: str
    created_at: datetime
    events: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class Update:
    """What one create or change did: the new ticket, the net changes, its comment and its audit."""

    ticket: Ticket
    previous: Mapping[str, Any] | None
    changes: Mapping[str, tuple[Any, Any]]
    comment: Comment | None
    audit: Audit
    actor: Actor

    @property
    def update_type(self) -> Literal["Create", "Change"]:
        return "Create" if self.previous is None else "Change"


def normalise_tags(tags: Iterable[Any]) -> list[str]:
    """Lower case, split on spaces, each once, in first-seen order (linear: a request with 60,000 tags took
    minutes with a list lookup per tag)."""
    return list(dict.fromkeys(tag for raw in tags for tag in str(raw).lower().split()))


def field_id(name: str, value: Any) -> int:
    """A positive id, as a number or its digits."""
    number = whole_number(value)
    if number is None or number < 1:
        raise InvalidInput(f"{name} must be an id, not {value!r}")
    return number


def _custom_fields(value: Any) -> dict[str, Any]:
    if isinstance(value, list) and all(isinstance(item, Mapping) and "id" in item for item in value):
        return {str(item["id"]): item.get("value") for item in value}
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    raise InvalidInput("custom_fields must be a list of {id, value}")


def _validated(name: str, value: Any) -> Any:
    choices = {"status": STATUSES, "priority": PRIORITIES, "type": TYPES}.get(name)
    if choices is not None:
        if value is None and name != "status":
            return None
        if value not in choices:
            raise InvalidInput(f"{name} must be one of {', '.join(choices)}, not {value!r}")
        return value
    if name == "tags":
        if not isinstance(value, list):
            raise InvalidInput("tags must be a list of strings")
        return normalise_tags(value)
    if name == "collaborator_ids":
        if not isinstance(value, list | None):
            raise InvalidInput("collaborator_ids must be a list of user ids")
        return [field_id(name, v) for v in value or []]
    if name == "custom_fields":
        return _custom_fields(value)
    if name in ("assignee_id", "group_id", "organization_id", "brand_id"):
        return None if value in (None, "") else field_id(name, value)
    if name == "subject":
        return str(value or "")
    if name == "external_id":
        return _external_id(value)
    return value


MAX_EXTERNAL_ID_BYTES = 1024  # tickets are found by it through an index, whose keys DynamoDB caps at 2048 bytes


def _external_id(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidInput(f"external_id must be a text, not {type(value).__name__}")
    text = str(value)
    if len(text.encode("utf-8", "surrogatepass")) > MAX_EXTERNAL_ID_BYTES:
        raise InvalidInput(f"external_id must be at most {MAX_EXTERNAL_ID_BYTES} bytes")
    return text


def _edited_tags(tags: list[str], edits: Mapping[str, Any]) -> list[str]:
    """``additional_tags`` then ``remove_tags`` (each a list of tags or one space-delimited string) applied to the
    tags the ticket has when the change is applied, so writers adding tags at once never lose each other's."""
    def named(name: str) -> list[str]:
        value = edits.get(name)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | None) or not all(isinstance(v, str | int) for v in value or []):
            raise InvalidInput(f"{name} must be a list of tags or a space-delimited string of them")
        return normalise_tags(value or [])

    removed = set(named("remove_tags"))
    return [tag for tag in normalise_tags([*tags, *named("additional_tags")]) if tag not in removed]


def _set_field(ticket: Ticket, name: str, value: Any) -> None:
    if name == "satisfaction_score":
        ticket.satisfaction.score = value
    elif name == "custom_fields":
        ticket.custom_fields = {**ticket.custom_fields, **value}
    else:
        setattr(ticket, name, value)


def _check_status(old: str, new: str) -> None:
    if old == "closed" and new != "closed":
        raise InvalidTransition("a closed ticket cannot be changed; reply to open a follow-up")
    if new == "new" and old != "new":
        raise InvalidTransition("a ticket never returns to new")


def _implied_status(ticket: Ticket, actor: Actor, comment: NewComment | None) -> str | None:
    if comment is None or not comment.public or comment.automatic:
        return None
    if actor.type == "end-user" and ticket.status in ("pending", "hold", "solved"):
        return "open"
    if actor.is_agent and ticket.status == "new":
        return "open"
    return None


def _stamp(ticket: Ticket, previous: Mapping[str, Any] | None, actor: Actor, comment: NewComment | None,
           now: datetime) -> None:
    """Keep the timestamps and counters time rules read, from what this update did."""
    previous_status = previous["status"] if previous else None
    public = comment is not None and comment.public and not comment.automatic
    if public and actor.is_agent:
        ticket.first_reply_at = ticket.first_reply_at or now
        ticket.replies += 1
        ticket.unanswered_requester_comments = 0
    elif public and actor.id == ticket.requester_id:
        ticket.unanswered_requester_comments += 1
    if actor.is_agent:
        ticket.agent_updated_at = now
    elif actor.id is not None and actor.id == ticket.requester_id and comment is not None:
        ticket.requester_updated_at = now
    if ticket.status != previous_status:
        ticket.status_updated_at = now
        if previous_status == "solved" and ticket.status not in ("solved", "closed"):
            ticket.reopens += 1
    if ticket.assignee_id is not None and (previous is None or previous["assignee_id"] != ticket.assignee_id):
        ticket.assigned_at = now
    if previous is not None and (previous["assignee_id"], previous["group_id"]) != (ticket.assignee_id,
                                                                                    ticket.group_id):
        ticket.assignment_due_at = None  # a new stretch unassigned (or none): assignment sets it again
    if ticket.status == "solved" and previous_status != "solved":
        ticket.solved_at = now
    elif ticket.status not in ("solved", "closed"):
        ticket.solved_at = None


def _comment(ticket: Ticket, new: NewComment, now: datetime) -> Comment:
    ticket.comment_count += 1
    return Comment(
        id=ticket.comment_count, ticket_id=ticket.id, author_id=new.author_id, body=new.body,
        public=new.public, via=new.via, created_at=now, html_body=new.html_body,
        message_id=new.message_id, full_body=new.full_body, raw_key=new.raw_key,
        attachments=new.attachments, automatic=new.automatic,
        no_autoreply=new.no_autoreply or new.automatic,
    )


def _audit(ticket: Ticket, actor: Actor, via: str, now: datetime, events: list[Mapping[str, Any]]) -> Audit:
    ticket.audit_count += 1
    return Audit(ticket.audit_count, ticket.id, actor.id, actor.type, via, now, tuple(events))


def open_ticket(
    *, ticket_id: int, subject: str, comment: NewComment, requester_id: int, actor: Actor,
    via: str, now: datetime, fields: Mapping[str, Any] | None = None,
) -> Update:
    """A new ticket whose first comment is its description."""
    ticket = Ticket(
        id=ticket_id, subject=subject or "(no subject)", description=comment.body,
        requester_id=requester_id, submitter_id=actor.id or requester_id, via=via,
        created_at=now, updated_at=now,
    )
    for name, value in (fields or {}).items():
        if name not in EDITABLE_FIELDS:
            raise InvalidInput(f"unknown ticket field {name!r}")
        _set_field(ticket, name, _validated(name, value))
    if ticket.status == "new" and ticket.assignee_id is not None and "status" not in (fields or {}):
        ticket.status = "open"  # Zendesk: a new ticket created with an assignee is open
    _stamp(ticket, None, actor, comment if actor.id == requester_id else None, now)
    first = _comment(ticket, comment, now)
    snapshot = ticket.snapshot()
    changes = {k: (None, v) for k, v in snapshot.items() if v not in (None, [], {}, "") and k in EDITABLE_FIELDS}
    events: list[Mapping[str, Any]] = [{"type": "Create", "field_name": k, "value": v} for k, (_, v) in changes.items()]
    events.append({"type": "Comment", "comment_id": first.id, "public": first.public})
    return Update(ticket, None, changes, first, _audit(ticket, actor, via, now, events), actor)


def change_ticket(
    ticket: Ticket, *, actor: Actor, via: str, now: datetime,
    fields: Mapping[str, Any] | None = None, comment: NewComment | None = None,
) -> Update:
    """Apply an update to a copy of the ticket; the caller persists the result."""
    before = ticket.snapshot()
    new = replace(ticket, satisfaction=replace(ticket.satisfaction),
                  sla_targets={k: replace(v, segments=[list(s) for s in v.segments],
                                          level_minutes=list(v.level_minutes))
                               for k, v in ticket.sla_targets.items()})
    requested = dict(fields or {})
    tag_edits = {name: requested.pop(name) for name in TAG_EDITS if name in requested}
    if ticket.status == "closed":
        # closed is terminal; only the satisfaction rating (with its private note) still arrives, for as long
        # as the survey link lives (closed + 28 days)
        if set(requested) != {"satisfaction_score"} or tag_edits or (comment is not None and comment.public):
            raise InvalidTransition("a closed ticket cannot be changed; reply to open a follow-up")
    elif "status" not in requested:
        implied = _implied_status(ticket, actor, comment)
        if implied:
            requested["status"] = implied
    for name, value in requested.items():
        if name not in EDITABLE_FIELDS:
            raise InvalidInput(f"unknown ticket field {name!r}")
        checked = _validated(name, value)
        if name == "status":
            _check_status(ticket.status, checked)
        _set_field(new, name, checked)
    if tag_edits:
        new.tags = _edited_tags(new.tags, tag_edits)
    after = new.snapshot()
    changes = {k: (before[k], after[k]) for k in after if before[k] != after[k] and k != "updated_at"}
    if not changes and comment is None:
        if tag_edits:
            raise TagsUnchanged("the ticket already has these tags (and lacks those to remove)")
        raise InvalidInput("the update changes nothing")
    new.updated_at = now
    _stamp(new, before, actor, comment, now)
    added = _comment(new, comment, now) if comment is not None else None
    events: list[Mapping[str, Any]] = [
        {"type": "Change", "field_name": k, "value": v, "previous_value": old} for k, (old, v) in changes.items()
    ]
    if added is not None:
        events.append({"type": "Comment", "comment_id": added.id, "public": added.public})
    return Update(new, before, changes, added, _audit(new, actor, via, now, events), actor)


def next_priority(priority: str | None) -> str:
    """One step up the priority ladder (an escalation); urgent stays urgent."""
    index = PRIORITIES.index(priority) if priority in PRIORITIES else 1
    return PRIORITIES[min(index + 1, len(PRIORITIES) - 1)]
