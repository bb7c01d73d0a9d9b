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
    """Another writer saved the ticket first (optimistic locking)."""


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
    def put(self, user: User) -> None: ...


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


# ---- extension points: each area appends its ports below its own marker ----
# [area: webhooks]
# [area: automations]
# [area: groups-macros]
# [area: rule-stats]
