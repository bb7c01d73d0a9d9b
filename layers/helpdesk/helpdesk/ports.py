"""Ports: the small abstract classes services depend on. Adapters implement them (helpdesk.adapters)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from helpdesk.channels.messaging.items import SendResult as SendResult
from helpdesk.domain.addresses import RecipientAddress
from helpdesk.domain.events import DomainEvent
from helpdesk.domain.sla import SlaPolicy
from helpdesk.domain.tickets import Audit, Comment, Ticket
from helpdesk.domain.triggers import Trigger
from helpdesk.domain.users import User


class AlreadyApplied(Exception):
    """The operation's idempotency key was already written; carries the events it produced then."""

    def __init__(self, key: str, events: Sequence[DomainEvent]) -> None:
        super().__init__(key)
        self.key = key
        self.events = list(events)


class VersionConflict(Exception):
    """Another writer saved the ticket (or user) first (optimistic locking)."""


@dataclass(frozen=True)
class Page:
    tickets: list[Ticket]
    after_cursor: str | None


class TicketRepository(ABC):
    @abstractmethod
    def allocate_id(self) -> int: ...

    @abstractmethod
    def get(self, ticket_id: int) -> Ticket: ...

    @abstractmethod
    def save(
        self, ticket: Ticket, *, comment: Comment | None = None, audit: Audit | None = None,
        events: Sequence[DomainEvent] = (), idempotency_key: str | None = None,
        message_ids: Sequence[str] = (), created: bool = False, conversation: Conversation | None = None,
        metric_events: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        """One transaction: the ticket (version-checked), its comment and audit, the message ids that thread
        to it, the conversation that points to it (version-checked), the SLA metric events of the update (with
        its audit), and the idempotency record holding the events (raises AlreadyApplied / VersionConflict)."""

    @abstractmethod
    def metric_events(self, ticket_id: int) -> list[dict[str, Any]]:
        """The ticket's SLA metric events, in the order they were written."""

    @abstractmethod
    def metric_events_since(self, start: int, until: int, limit: int) -> tuple[list[dict[str, Any]], int, bool]:
        """Metric events written at epoch seconds ``start`` and later (up to ``until``), oldest first, at most
        about ``limit``: (events, the time the next page starts at, whether the stream ended)."""

    @abstractmethod
    def record_operation(self, key: str, events: Sequence[DomainEvent]) -> None:
        """Write only an idempotency record (raises AlreadyApplied)."""

    @abstractmethod
    def stored_events(self, key: str) -> list[DomainEvent] | None: ...

    @abstractmethod
    def audits(self, ticket_id: int) -> list[Audit]:
        """Every audit of the ticket, oldest first."""

    @abstractmethod
    def comments(self, ticket_id: int, after: int = 0) -> list[Comment]:
        """The ticket's comments in order; with ``after``, only those after that comment id (a key range)."""

    @abstractmethod
    def set_delivery(self, ticket_id: int, comment_id: int, delivery: Mapping[str, Any]) -> None: ...

    @abstractmethod
    def record_message_event(self, ticket_id: int, ref: str, event: Mapping[str, Any]) -> None:
        """Keep a reaction, edit or deletion of one of the ticket's messages (once per ``ref``), beside the
        ticket: the ticket itself is not written."""

    @abstractmethod
    def message_events(self, ticket_id: int) -> list[dict[str, Any]]: ...

    @abstractmethod
    def advance_delivery(self, ticket_id: int, comment_id: int, rank: int, state: Mapping[str, Any]) -> bool:
        """Record a delivery status of a comment sent on a messaging channel (``status``, its time, an error) only
        if it ranks above the one recorded (statuses arriving in any order end at the furthest); False when it did
        not. Kept apart from what ``set_delivery`` records of the send; never touches the ticket."""

    @abstractmethod
    def attachment_states(self, ticket_id: int, comment_id: int) -> dict[int, dict[str, Any]]:
        """What was recorded of the comment's attachments fetched after it was written (messaging media), by the
        attachment's position (1 for the first); CommentNotFound when the comment does not exist."""

    @abstractmethod
    def set_attachment_state(self, ticket_id: int, comment_id: int, position: int, state: Mapping[str, Any]) -> bool:
        """Record the state of one attachment of a comment (``stored`` with its key, or ``failed`` with the
        reason), seen through the comment's attachments; False, changing nothing, when it was stored already.
        Writes the comment's attachment states only: never the ticket (no ``updated_at``, trigger or SLA)."""

    @abstractmethod
    def ticket_for_message_ids(self, message_ids: Sequence[str]) -> int | None: ...

    @abstractmethod
    def remember_message_id(self, message_id: str, ticket_id: int) -> None: ...

    @abstractmethod
    def list_recent(self, limit: int, after: str | None) -> Page: ...

    def comment(self, ticket_id: int, comment_id: int) -> Comment:
        """One comment of a ticket (CommentNotFound when it has none of that id)."""
        raise NotImplementedError

    def list_updated(self, limit: int, after: tuple[int, int] | None) -> list[tuple[Ticket, tuple[int, int]]]:
        """Tickets most recently updated first, each with its (updated_at epoch, id) position, continuing after
        ``after``."""
        raise NotImplementedError

    def stored_count(self) -> int:
        """About how many tickets are stored (for offset pagination's ``count``)."""
        raise NotImplementedError

    @abstractmethod
    def due_for_sla(self, now: datetime, limit: int) -> list[int]: ...

    @abstractmethod
    def due_for_survey(self, now: datetime, limit: int) -> list[int]: ...


class UserRepository(ABC):
    @abstractmethod
    def get(self, user_id: int) -> User: ...

    @abstractmethod
    def find_by_email(self, email: str) -> User | None: ...

    @abstractmethod
    def ensure(self, email: str, name: str, role: str = "end-user") -> User:
        """The user with this address, created once even when two writers race."""

    @abstractmethod
    def put(self, user: User) -> User:
        """Save the user as read at ``user.version`` (None: a new user) and return it at its new version; a changed
        email moves its address (EmailTaken when another user has it). VersionConflict when someone else saved
        the user since it was read: reload, re-apply and put again."""

    @abstractmethod
    def allocate_id(self) -> int:
        """A new user id (never reused)."""

    @abstractmethod
    def find_by_identity(self, kind: str, value: str) -> User | None:
        """The user with this identity (``email`` kinds look up addresses)."""

    @abstractmethod
    def create(self, user: User) -> User:
        """Save a new user with every identity it has (raises IdentityTaken / EmailTaken)."""

    @abstractmethod
    def list_users(self, roles: Sequence[str], limit: int, after: int | None) -> UserPage:
        """Users of these roles in id order, after the user id ``after``; at most ``limit``."""


@dataclass(frozen=True)
class UserPage:
    users: list[User]
    after_id: int | None


class RuleRepository(ABC):
    @abstractmethod
    def allocate_id(self, kind: str) -> int: ...

    @abstractmethod
    def triggers(self) -> list[Trigger]: ...

    @abstractmethod
    def put_trigger(self, trigger: Trigger) -> None: ...

    @abstractmethod
    def sla_policies(self) -> list[SlaPolicy]: ...

    @abstractmethod
    def put_sla_policy(self, policy: SlaPolicy) -> None: ...

    @abstractmethod
    def recipient_addresses(self) -> list[RecipientAddress]: ...

    @abstractmethod
    def put_recipient_address(self, address: RecipientAddress) -> None: ...


class EventPublisher(ABC):
    @abstractmethod
    def publish(self, events: Sequence[DomainEvent]) -> None: ...


class InboundQueue(ABC):
    @abstractmethod
    def send(self, body: Mapping[str, Any], *, group_id: str, dedup_id: str) -> None: ...


class Mailer(ABC):
    @abstractmethod
    def send_raw(self, raw: bytes, *, sender: str, recipients: Sequence[str]) -> str: ...


class RawMailStore(ABC):
    @abstractmethod
    def put(self, key: str, data: bytes, content_type: str = "message/rfc822") -> str: ...

    @abstractmethod
    def get(self, key: str) -> bytes: ...

    @abstractmethod
    def link(self, key: str, expires_seconds: int) -> str:
        """A URL anyone holding it can fetch the object from, for a while (a provider fetching an attachment)."""


class SecretSource(ABC):
    @abstractmethod
    def survey_secret(self) -> bytes: ...


class UploadRegistry(ABC):
    """Zendesk-style upload tokens: a file stored in S3, attached to a comment by its token."""

    @abstractmethod
    def register(self, token: str, attachment: Mapping[str, Any]) -> None: ...

    @abstractmethod
    def lookup(self, token: str) -> Mapping[str, Any] | None: ...


class RateLimiter(ABC):
    """Counts events per key in fixed windows; says whether one more is allowed."""

    @abstractmethod
    def allow(self, key: str, limit: int, window_seconds: int) -> bool: ...

    @abstractmethod
    def take(self, key: str, limit: int, window_seconds: int) -> tuple[bool, int]:
        """Like allow, also saying how many events the current window holds."""


class DeliveryLog(ABC):
    """Remembers which outbound deliveries were made (notify's idempotency)."""

    @abstractmethod
    def already_sent(self, key: str) -> bool: ...

    @abstractmethod
    def mark_sent(self, key: str, provider_id: str) -> None: ...


class SignedTokenLedger(ABC):
    """The one-time tokens of signed provider posts (Mailgun's), each remembered for its freshness window with a
    digest of the delivery it carried, so a captured post cannot be replayed with other content."""

    @abstractmethod
    def admit(self, token: str, digest: str, ttl_seconds: int) -> bool:
        """True for a token not seen in its window, and again for the same digest (the provider's retry of one
        post); False when the token already came with another digest."""


# ---- extension points: each area appends its ports below its own marker ----
# [area: webhooks]
from helpdesk.domain.webhooks import Webhook  # noqa: E402


class TriggerStore(ABC):
    """Trigger writes beyond RuleRepository's: deleting one, and saving new positions together (reorder)."""

    @abstractmethod
    def delete_trigger(self, trigger_id: int) -> None: ...

    @abstractmethod
    def put_triggers(self, triggers: Sequence[Trigger]) -> None: ...


class WebhookRepository(ABC):
    @abstractmethod
    def webhooks(self) -> list[Webhook]: ...

    @abstractmethod
    def get(self, webhook_id: int) -> Webhook:
        """The webhook (raises NotFound)."""

    @abstractmethod
    def put(self, webhook: Webhook) -> None: ...

    @abstractmethod
    def delete(self, webhook_id: int) -> None: ...

    @abstractmethod
    def record_invocation(self, webhook_id: int, invocation_id: str, record: Mapping[str, Any]) -> None:
        """Keep what one call of a webhook gave (status, error, when), for a while."""

    @abstractmethod
    def invocations(self, webhook_id: int, limit: int = 100) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class HttpResult:
    status: int
    body: str = ""


class EndpointUnreachable(Exception):
    """The endpoint did not answer: refused, timed out, unknown host, broken TLS."""


class EndpointForbidden(Exception):
    """The endpoint is an address webhooks may not reach (loopback, private, link-local such as the instance
    metadata service); permanent, so never retried."""


class WebhookTransport(ABC):
    """Sends one HTTP request and returns the status, whatever it is (raises EndpointUnreachable, or
    EndpointForbidden before a byte is sent to an address outside the public internet)."""

    @abstractmethod
    def send(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None,
             timeout: float) -> HttpResult: ...
# [area: automations]
from collections.abc import Callable, Iterator  # noqa: E402
from typing import Generic, TypeVar  # noqa: E402

R = TypeVar("R")


class RuleStore(ABC, Generic[R]):
    """One kind of stored rule (schedules, automations, rule sets): list, show, save, delete."""

    @abstractmethod
    def all(self) -> list[R]:
        """Every stored rule of the kind, ordered by position then id."""

    @abstractmethod
    def get(self, rule_id: int) -> R:
        """The rule (raises NotFound)."""

    @abstractmethod
    def put(self, rule: R) -> None: ...

    @abstractmethod
    def delete(self, rule_id: int) -> None:
        """Remove the rule (raises NotFound)."""


class TicketsByStatus(ABC):
    """Tickets read through the ``by_status`` index (status, time the status was set): automations' candidates."""

    @abstractmethod
    def with_status(self, status: str, set_after: datetime | None = None, set_before: datetime | None = None, *,
                    sweep: str | None = None,
                    unreadable: Callable[[int, Exception], None] | None = None) -> Iterator[Ticket]:
        """Tickets whose status is ``status``, set within (``set_after``, ``set_before``]; each item read once.
        With ``sweep``, tickets parked from that sweep are left out; a stored ticket that cannot be read is
        passed to ``unreadable`` (and left out) rather than ending the iteration (it raises without one)."""
# [area: groups-macros]
from helpdesk.domain.groups import Group, GroupMembership  # noqa: E402
from helpdesk.domain.macros import Macro  # noqa: E402


class GroupRepository(ABC):
    """Groups and group memberships (the RulesTable, kinds ``group`` and ``group_membership``)."""

    @abstractmethod
    def allocate_id(self, kind: str) -> int: ...

    @abstractmethod
    def groups(self) -> list[Group]: ...

    @abstractmethod
    def get(self, group_id: int) -> Group:
        """The group (raises NotFound)."""

    @abstractmethod
    def put(self, group: Group) -> None: ...

    @abstractmethod
    def delete(self, group_id: int) -> None:
        """Delete the group and its memberships."""

    @abstractmethod
    def memberships(self, group_id: int | None = None, user_id: int | None = None) -> list[GroupMembership]: ...

    @abstractmethod
    def membership(self, membership_id: int) -> GroupMembership:
        """The membership (raises NotFound)."""

    @abstractmethod
    def put_membership(self, membership: GroupMembership) -> None: ...

    @abstractmethod
    def delete_membership(self, membership_id: int) -> None: ...


class AssignmentState(ABC):
    """What assignment reads and moves outside the rules: agents' loads and each group's round-robin cursor."""

    @abstractmethod
    def open_tickets(self, agent_id: int) -> int:
        """How many tickets in new, open, pending or on hold the agent is assignee of (an index query)."""

    @abstractmethod
    def last_assigned(self, group_id: int) -> int | None:
        """The agent the group's round robin gave a ticket to last."""

    @abstractmethod
    def move_cursor(self, group_id: int, previous: int | None, agent_id: int) -> bool:
        """Set the group's cursor to ``agent_id`` if it still is ``previous``; False when another won."""


class MacroRepository(ABC):
    """Macros (the RulesTable, kind ``macro``)."""

    @abstractmethod
    def allocate_id(self) -> int: ...

    @abstractmethod
    def macros(self) -> list[Macro]: ...

    @abstractmethod
    def get(self, macro_id: int) -> Macro:
        """The macro (raises NotFound)."""

    @abstractmethod
    def put(self, macro: Macro) -> None: ...

    @abstractmethod
    def delete(self, macro_id: int) -> None: ...
# [area: rule-stats]

class RuleStatistics(ABC):
    """Firings of rules counted in hour buckets (``helpdesk.domain.rule_stats``), kept 8 days."""

    @abstractmethod
    def record(self, kind: str, rule_ids: Sequence[int], hour: int) -> None:
        """Count one firing of each rule in ``hour`` (one atomic increment per rule)."""

    @abstractmethod
    def hourly(self, kind: str, rule_ids: Sequence[int], hours: Sequence[int]) -> dict[int, dict[int, int]]:
        """Rule id -> hour -> firings, for the hours asked (hours without firings are left out)."""


class RuleRemover(ABC):
    """Deletes stored rules of any kind (``trigger``, ``sla_policy``, ...): what ``rules import --prune`` uses."""

    @abstractmethod
    def remove(self, kind: str, rule_id: int) -> None: ...
# [area: sweeps]


class SweepFailures(ABC):
    """Failures of single tickets in a scheduled sweep (``sla``, ``survey``, ``automations``, ``close_solved``):
    counted per sweep and ticket for a day; a ticket that keeps failing is parked, left out of that sweep until
    it next changes, so one bad record never costs every run."""

    @abstractmethod
    def record(self, sweep: str, ticket_id: int, cause: str) -> int:
        """Count one failure (with its cause); how many there were in the last day, this one included."""

    @abstractmethod
    def park(self, sweep: str, ticket_id: int) -> None:
        """Leave the ticket out of the sweep until it is next saved."""
# [area: bodies]


class TextStore(ABC):
    """Texts too large for a table item or an event, kept out of line (``helpdesk.domain.bodies``)."""

    @abstractmethod
    def shrink(self, value: Any, ticket_id: int | None, *, budget: int, what: str = "the document") -> Any:
        """``value`` fitted to ``budget`` bytes; its large texts are stored before this returns (raises
        ContentTooLarge when it cannot fit)."""

    @abstractmethod
    def expand(self, value: Any) -> Any:
        """The whole document a shrunk one stands for (no read when nothing is out of line)."""


# [area: messaging]

@dataclass(frozen=True)
class Conversation:
    """One person on one channel account (``key``: channel#account#identity): the ticket their messages go to now,
    when they last wrote by the provider's clock (the 24-hour window), and a satisfaction survey offered in the
    chat (``survey``: ticket_id, asked_at, rated_at). Written in the same transaction as the ticket it points to,
    only if still at ``version`` (None: not written yet)."""

    key: str
    requester_id: int
    ticket_id: int | None = None
    last_inbound_at: datetime | None = None
    survey: Mapping[str, Any] | None = None
    version: int | None = None


@dataclass(frozen=True)
class ConversationLookup:
    conversation: Conversation | None
    users: Mapping[tuple[str, str], int]  # (identity kind, value) -> user id, for the identities that have one


class ConversationStore(ABC):
    """Conversations, and what maps a provider's message ids to our comments."""

    @abstractmethod
    def lookup(self, key: str, identities: Sequence[tuple[str, str]]) -> ConversationLookup:
        """The conversation and the users of these identities, in one read."""

    @abstractmethod
    def get(self, key: str) -> Conversation | None: ...

    @abstractmethod
    def save(self, conversation: Conversation) -> None:
        """Write the conversation alone, if still at its version (raises VersionConflict)."""

    @abstractmethod
    def remember_sent(self, ref: str, ticket_id: int, comment_id: int) -> None:
        """Our comment that went out as the provider's message ``ref`` (channel:account:provider id)."""

    @abstractmethod
    def sent(self, ref: str) -> tuple[int, int] | None:
        """(ticket, comment) of a message we sent."""

    @abstractmethod
    def park_status(self, ref: str, status: Mapping[str, Any]) -> None:
        """Keep a status for a message whose send has not been recorded yet (a day at most)."""

    @abstractmethod
    def take_parked(self, ref: str) -> list[dict[str, Any]]:
        """The statuses parked for ``ref``, removed."""

    @abstractmethod
    def lease(self, name: str, seconds: int) -> bool:
        """Hold ``name`` for ``seconds`` (False when another holder's lease has not run out)."""

    @abstractmethod
    def release(self, name: str) -> None: ...


@dataclass(frozen=True)
class Queued:
    body: Mapping[str, Any]
    group: str  # the FIFO group: one conversation's items are handled one at a time, in order
    dedup: str  # the same item queued twice within five minutes is queued once


class MessagingQueue(ABC):
    """The FIFO queue of normalised messaging items, and its dead-letter queue for items that cannot be read."""

    @abstractmethod
    def send(self, items: Sequence[Queued]) -> None:
        """Queue every item, or raise (the webhook then answers 5xx and the provider delivers again)."""

    @abstractmethod
    def dead_letter(self, body: Mapping[str, Any], cause: str) -> None: ...


@dataclass(frozen=True)
class OutboundMessage:
    """What goes out on a messaging channel: text (and media by link), or reply buttons (a survey), or an
    approved template (WhatsApp, outside the 24-hour window); ``correlation`` comes back on its statuses."""

    text: str
    correlation: str | None = None
    media_urls: tuple[str, ...] = ()
    buttons: tuple[tuple[str, str], ...] = ()  # (payload, title)
    template: str | None = None
    template_language: str = "en"
    template_parameters: tuple[str, ...] = ()
    human_agent: bool = False  # Messenger/Instagram: a person's reply after the 24-hour window (HUMAN_AGENT tag)


class MessagingTransport(ABC):
    """Sends one message to a person on a channel account, through the provider's HTTP API."""

    @abstractmethod
    def send(self, channel: str, account: str, to: tuple[str, str], message: OutboundMessage) -> SendResult:
        """``to`` is the person's identity (kind, value) on that channel."""


class ChannelHealthLog(ABC):
    """Per channel account: the last success, the last error, and whether its token needs re-authorisation."""

    @abstractmethod
    def record(self, channel: str, account: str, changes: Mapping[str, Any]) -> None: ...

    @abstractmethod
    def health(self, channel: str, account: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class MediaDownload:
    """A media's bytes as the provider served them, with the SHA-256 digests it gave along the way (WhatsApp's
    media endpoint gives one beside the URL)."""

    data: bytes
    content_type: str | None = None
    sha256: tuple[str, ...] = ()


class MediaUnavailable(Exception):
    """A media could not be fetched: ``reason`` is the word the attachment shows (``not_found``, ``unauthorized``,
    ``provider_error``, ``unreachable``, ``too_large``, ``forbidden_source``, ``bad_url``...), ``retry`` whether
    another attempt may succeed (a provider error) or cannot (a file over the size cap)."""

    def __init__(self, reason: str, detail: str, *, retry: bool) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail, self.retry = reason, detail, retry


class MediaDownloads(ABC):
    """Fetches a media a person sent on a messaging channel, with the provider's credentials sent to the provider's
    own hosts only."""

    @abstractmethod
    def download(self, channel: str, account: str, ref: str, limit: int) -> MediaDownload:
        """``ref`` is the provider's media id (WhatsApp) or URL (Messenger, Instagram, Twilio); at most ``limit``
        bytes are read. Raises MediaUnavailable."""


# [area: views]
from helpdesk.domain.views import ReadPlan, View  # noqa: E402


@dataclass(frozen=True)
class ViewRead:
    """The tickets one index read found for a view, and whether the read stopped at its limit."""

    tickets: list[Ticket]
    items_read: int
    truncated: bool


class ViewStore(RuleStore[View]):
    """Views in the RulesTable (kind ``view``)."""

    @abstractmethod
    def allocate_id(self) -> int: ...

    @abstractmethod
    def seed(self, views: Sequence[View]) -> bool:
        """Save the account's default views once (the first caller wins; False when they were seeded already)."""

    @abstractmethod
    def seeded(self) -> bool: ...


class ViewTickets(ABC):
    """The tickets a view's read plan names, read through the tickets' indexes (never a scan)."""

    @abstractmethod
    def read(self, plan: ReadPlan) -> ViewRead: ...

    @abstractmethod
    def user_names(self, user_ids: Sequence[int]) -> dict[int, str]:
        """The names of these users (BatchGetItem, 100 a request), for sorting by requester or assignee."""


# [area: satisfaction ratings]
class SatisfactionRatings(ABC):
    """Rated and offered tickets through the tickets' ``by_rating`` index (score, time offered or rated)."""

    @abstractmethod
    def newest_first(self, score: str, start: int | None, end: int | None) -> Iterator[Ticket]:
        """Tickets whose rating is ``score`` (offered, good, bad), rated (or offered) within [start, end] epoch
        seconds, newest first; read lazily, page by page."""


# [area: suspended tickets]
from helpdesk.domain.suspended import SuspendedTicket  # noqa: E402


class SuspendedTickets(ABC):
    """Mail held back (the RulesTable, kind ``suspended_ticket``, newest id first)."""

    @abstractmethod
    def suspend(self, draft: SuspendedTicket) -> SuspendedTicket:
        """Keep it under a new id; the same Message-ID suspended again is the one kept already."""

    @abstractmethod
    def get(self, suspended_id: int) -> SuspendedTicket:
        """Raises NotFound."""

    @abstractmethod
    def page(self, size: int, before: int | None) -> tuple[list[SuspendedTicket], int | None]:
        """Newest first, ids below ``before``; and the id to continue before, when there are more."""

    @abstractmethod
    def remove(self, suspended_id: int) -> bool:
        """Delete it; False when it was gone already (another recover or delete won)."""
