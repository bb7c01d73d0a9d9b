"""Ports: the small abstract classes services depend on. Adapters implement them (helpdesk.adapters)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
        message_ids: Sequence[str] = (), created: bool = False,
    ) -> None:
        """One transaction: the ticket (version-checked), its comment and audit, the message ids that thread
        to it, and the idempotency record holding the events (raises AlreadyApplied / VersionConflict)."""

    @abstractmethod
    def record_operation(self, key: str, events: Sequence[DomainEvent]) -> None:
        """Write only an idempotency record (raises AlreadyApplied)."""

    @abstractmethod
    def stored_events(self, key: str) -> list[DomainEvent] | None: ...

    @abstractmethod
    def audits(self, ticket_id: int) -> list[Audit]:
        """Every audit of the ticket, oldest first."""

    @abstractmethod
    def comments(self, ticket_id: int) -> list[Comment]: ...

    @abstractmethod
    def set_delivery(self, ticket_id: int, comment_id: int, delivery: Mapping[str, Any]) -> None: ...

    @abstractmethod
    def ticket_for_message_ids(self, message_ids: Sequence[str]) -> int | None: ...

    @abstractmethod
    def remember_message_id(self, message_id: str, ticket_id: int) -> None: ...

    @abstractmethod
    def list_recent(self, limit: int, after: str | None) -> Page: ...

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
