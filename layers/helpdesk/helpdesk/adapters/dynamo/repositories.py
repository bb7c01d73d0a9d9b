"""DynamoDB repositories behind the ports, built on the PynamoDB models."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from helpdesk.adapters.dynamo.attachment_states import (
    attachment_states,
    set_attachment_state,
    with_attachment_states,
)
from helpdesk.adapters.dynamo.conversations import conversation_write
from helpdesk.adapters.dynamo.mapping import (
    audit_from_doc,
    audit_to_doc,
    comment_from_doc,
    comment_to_doc,
    ticket_from_doc,
    ticket_to_doc,
)
from helpdesk.adapters.dynamo.models import (
    DELETED_BUCKET,
    LIST_BUCKET,
    SLA_BUCKET,
    SLA_SHARDS,
    SURVEY_BUCKET,
    ActivityModel,
    DirectoryModel,
    RuleModel,
    TicketModel,
    sla_shard,
)
from helpdesk.domain import sla
from helpdesk.domain.addresses import RecipientAddress
from helpdesk.domain.bodies import EVENT_BUDGET, ITEM_BUDGET
from helpdesk.domain.clock import to_epoch
from helpdesk.domain.errors import (
    CommentNotFound,
    EmailTaken,
    IdentityTaken,
    InvalidInput,
    TicketNotFound,
    UserNotFound,
)
from helpdesk.domain.events import DomainEvent
from helpdesk.domain.identities import UserIdentity, pointer_key
from helpdesk.domain.inputs import ascii_digits
from helpdesk.domain.satisfaction_ratings import rating_time
from helpdesk.domain.sla import SlaPolicy
from helpdesk.domain.tickets import MAX_EXTERNAL_ID_BYTES, Audit, Comment, Ticket
from helpdesk.domain.triggers import Trigger
from helpdesk.domain.users import User, display_name
from helpdesk.ports import (
    AlreadyApplied,
    Conversation,
    Page,
    RuleRepository,
    TextStore,
    TicketRepository,
    UserPage,
    UserRepository,
    VersionConflict,
)

OPERATION_TTL_SECONDS = 14 * 24 * 3600
COUNT_SECONDS = 300.0
_COUNTS: dict[str, tuple[float, int]] = {}  # table name: (when read, DynamoDB's item count)
MAX_KEY_BYTES = 2048  # DynamoDB's limit on a partition key value


def _next_counter(name: str) -> int:
    item = DirectoryModel(f"counter#{name}")
    item.update(actions=[DirectoryModel.value.add(1)])
    return int(item.value or 0)


def _ticket_item(ticket: Ticket, texts: TextStore) -> TicketModel:
    item = TicketModel(ticket.id, status=ticket.status, updated_at=to_epoch(ticket.updated_at),
                       status_updated_at=to_epoch(ticket.status_updated_at or ticket.created_at),
                       doc=texts.shrink(ticket_to_doc(ticket), ticket.id, budget=ITEM_BUDGET,
                                        what=f"ticket {ticket.id}"))
    if ticket.version is not None:
        item.version = ticket.version
    due = sla.next_due(ticket)
    if due is not None:
        item.sla_bucket, item.sla_due_at = sla_shard(ticket.id), to_epoch(due)
    if ticket.assignee_id is not None:
        item.assignee_key = str(ticket.assignee_id)
    item.requester_key = str(ticket.requester_id)
    if ticket.organization_id is not None:
        item.organization_key = str(ticket.organization_id)
    if isinstance(ticket.external_id, str) and 0 < len(ticket.external_id.encode()) <= MAX_EXTERNAL_ID_BYTES:
        item.external_key = ticket.external_id  # (one stored before external_id was checked stays unindexed)
    rated = rating_time(ticket)
    if rated is not None:  # the satisfaction ratings' index
        item.rating_score, item.rating_at = ticket.satisfaction.score, to_epoch(rated)
    survey_due = ticket.satisfaction.survey_due_at
    if survey_due is not None and ticket.satisfaction.score == "unoffered":
        item.survey_bucket, item.survey_due_at = SURVEY_BUCKET, to_epoch(survey_due)
    return item


METRIC_DAYS_PER_PAGE = 31


def metric_bucket_of(epoch: int) -> str:
    return "m#" + datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


def _metric_item(ticket_id: int, audit: Audit, events: Sequence[Mapping[str, Any]]) -> ActivityModel:
    at = to_epoch(audit.created_at)
    return ActivityModel(ticket_id, f"m#{audit.id:08d}", doc={"events": [dict(e) for e in events]},
                         metric_bucket=metric_bucket_of(at), metric_at=at)


def _is_condition_failure(reason: Any) -> bool:
    return reason is not None and getattr(reason, "code", None) == "ConditionalCheckFailed"


class DynamoTicketRepository(TicketRepository):
    """Every document is shrunk before it is written and expanded when it is read (helpdesk.domain.bodies):
    eagerly, because the domain works on plain strings and the callers (the API, notifications, rules) use the
    text they read; a read costs an object GET only for a text that is large, never for the others."""

    def __init__(self, connection: Connection, clock_epoch: Any, texts: TextStore) -> None:
        self._connection = connection
        self._epoch = clock_epoch
        self._texts = texts

    def allocate_id(self) -> int:
        return _next_counter("ticket")

    def get(self, ticket_id: int) -> Ticket:
        try:
            item = TicketModel.get(ticket_id, consistent_read=True)
        except DoesNotExist as exc:
            raise TicketNotFound(f"ticket {ticket_id} does not exist") from exc
        if item.list_bucket == DELETED_BUCKET:
            raise TicketNotFound(f"ticket {ticket_id} was deleted (it is listed at /api/v2/deleted_tickets)")
        return ticket_from_doc(self._texts.expand(item.doc), item.version)

    def save(
        self, ticket: Ticket, *, comment: Comment | None = None, audit: Audit | None = None,
        events: Sequence[DomainEvent] = (), idempotency_key: str | None = None,
        message_ids: Sequence[str] = (), created: bool = False, conversation: Conversation | None = None,
        metric_events: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        item = _ticket_item(ticket, self._texts)
        self._fit_bus(events)
        operation = (self._operation(idempotency_key, ticket.id, events) if idempotency_key is not None
                     else None)
        comment_doc = self._activity(ticket.id, comment_to_doc(comment), "a comment") if comment else None
        audit_doc = self._activity(ticket.id, audit_to_doc(audit), "an audit") if audit else None
        try:
            with TransactWrite(connection=self._connection) as tx:
                if operation is not None:
                    tx.save(operation, condition=DirectoryModel.pk.does_not_exist())
                tx.save(item, condition=TicketModel.id.does_not_exist() if created else None)
                if comment is not None:
                    tx.save(ActivityModel(ticket.id, f"c#{comment.id:08d}", doc=comment_doc))
                if audit is not None:
                    tx.save(ActivityModel(ticket.id, f"a#{audit.id:08d}", doc=audit_doc))
                    if metric_events:
                        tx.save(_metric_item(ticket.id, audit, metric_events))
                for message_id in message_ids:
                    if f"msg#{message_id}" != idempotency_key:
                        tx.save(DirectoryModel(f"msg#{message_id}", ticket_id=ticket.id))
                if conversation is not None:
                    conversation_item, condition = conversation_write(conversation)
                    tx.save(conversation_item, condition=condition)
        except TransactWriteError as exc:
            reasons = list(exc.cancellation_reasons or [])
            if idempotency_key is not None and reasons and _is_condition_failure(reasons[0]):
                raise AlreadyApplied(idempotency_key, self.stored_events(idempotency_key) or []) from exc
            if any(_is_condition_failure(r) for r in reasons):
                raise VersionConflict(f"ticket {ticket.id} was saved by someone else") from exc
            raise
        ticket.version = item.version

    def _activity(self, ticket_id: int, doc: dict[str, Any], what: str) -> Any:
        return self._texts.shrink(doc, ticket_id, budget=ITEM_BUDGET, what=f"{what} of ticket {ticket_id}")

    def _fit_bus(self, events: Sequence[DomainEvent]) -> None:
        """Refuse the write now if an event it would publish cannot fit the bus, even shrunk (the publisher
        shrinks each event the same way; its large texts are stored here already)."""
        for event in events:
            self._texts.shrink(event.detail, event.ticket_id, budget=EVENT_BUDGET, what=f"event {event.event_id}")

    def _operation(self, key: str, ticket_id: int | None, events: Sequence[DomainEvent]) -> DirectoryModel:
        doc = self._texts.shrink({"events": [e.to_json() for e in events]}, ticket_id, budget=ITEM_BUDGET,
                                 what=f"the events of {key}")
        return DirectoryModel(key, ticket_id=ticket_id, doc=doc, expires_at=int(self._epoch()) + OPERATION_TTL_SECONDS)

    def record_operation(self, key: str, events: Sequence[DomainEvent]) -> None:
        self._fit_bus(events)
        try:
            self._operation(key, None, events).save(condition=DirectoryModel.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise AlreadyApplied(key, self.stored_events(key) or []) from exc
            raise

    def stored_events(self, key: str) -> list[DomainEvent] | None:
        try:
            item = DirectoryModel.get(key, consistent_read=True)
        except DoesNotExist:
            return None
        doc = self._texts.expand(item.doc or {})
        return [DomainEvent.from_json(e) for e in doc.get("events", [])]

    def metric_events(self, ticket_id: int) -> list[dict[str, Any]]:
        return [dict(e) for item in ActivityModel.query(ticket_id, ActivityModel.sk.startswith("m#"))
                for e in (item.doc or {}).get("events", [])]

    def metric_events_since(self, start: int, until: int, limit: int) -> tuple[list[dict[str, Any]], int, bool]:
        """Day partitions from ``start``'s on, at most METRIC_DAYS_PER_PAGE of them per call (a start far in the
        past costs pages, never one long call); a page ends after the write that reaches ``limit``."""
        found: list[dict[str, Any]] = []
        day = start - start % 86400
        for _ in range(METRIC_DAYS_PER_PAGE):
            if day > until:
                return found, until + 1, True
            query = ActivityModel.metric_events.query(
                metric_bucket_of(day), ActivityModel.metric_at.between(max(start, day), min(until, day + 86399)))
            full_at: int | None = None  # a full page still takes the rest of its last second: none is skipped
            for item in query:
                at = int(item.metric_at or start)
                if full_at is not None and at > full_at:
                    return found, full_at + 1, False
                found += [dict(e) for e in (item.doc or {}).get("events", [])]
                if full_at is None and len(found) >= limit:
                    full_at = at
            if full_at is not None:
                return found, full_at + 1, full_at >= until
            day += 86400
        return found, day, day > until

    def comments(self, ticket_id: int, after: int = 0) -> list[Comment]:
        keys = (ActivityModel.sk.between(f"c#{after + 1:08d}", "c#~") if after > 0
                else ActivityModel.sk.startswith("c#"))
        return [with_attachment_states(_with_delivery(comment_from_doc(self._texts.expand(item.doc)), item), item)
                for item in ActivityModel.query(ticket_id, keys)]

    def comment(self, ticket_id: int, comment_id: int) -> Comment:
        try:
            item = ActivityModel.get(ticket_id, f"c#{comment_id:08d}", consistent_read=True)
        except DoesNotExist as exc:
            raise CommentNotFound(f"comment {comment_id} of ticket {ticket_id} does not exist") from exc
        return with_attachment_states(_with_delivery(comment_from_doc(self._texts.expand(item.doc)), item), item)

    def audits(self, ticket_id: int) -> list[Audit]:
        return [audit_from_doc(self._texts.expand(item.doc)) for item in
                ActivityModel.query(ticket_id, ActivityModel.sk.startswith("a#"))]

    def record_message_event(self, ticket_id: int, ref: str, event: Mapping[str, Any]) -> None:
        doc = self._activity(ticket_id, {**dict(event), "ref": ref}, "a message event")
        ActivityModel(ticket_id, f"e#{ref}", doc=doc).save()

    def message_events(self, ticket_id: int) -> list[dict[str, Any]]:
        return [dict(self._texts.expand(item.doc)) for item in
                ActivityModel.query(ticket_id, ActivityModel.sk.startswith("e#"))]

    def set_delivery(self, ticket_id: int, comment_id: int, delivery: Mapping[str, Any]) -> None:
        ActivityModel(ticket_id, f"c#{comment_id:08d}").update(
            actions=[ActivityModel.delivery.set(dict(delivery))], condition=ActivityModel.sk.exists())

    def advance_delivery(self, ticket_id: int, comment_id: int, rank: int, state: Mapping[str, Any]) -> bool:
        try:
            ActivityModel(ticket_id, f"c#{comment_id:08d}").update(
                actions=[ActivityModel.delivery_state.set(dict(state)), ActivityModel.delivery_rank.set(rank)],
                condition=ActivityModel.sk.exists() & (ActivityModel.delivery_rank.does_not_exist()
                                                       | (ActivityModel.delivery_rank < rank)))
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def attachment_states(self, ticket_id: int, comment_id: int) -> dict[int, dict[str, Any]]:
        return attachment_states(ticket_id, comment_id)

    def set_attachment_state(self, ticket_id: int, comment_id: int, position: int, state: Mapping[str, Any]) -> bool:
        return set_attachment_state(ticket_id, comment_id, position, state)

    def ticket_for_message_ids(self, message_ids: Sequence[str]) -> int | None:
        wanted = [f"msg#{m}" for m in dict.fromkeys(message_ids) if m][:100]
        if not wanted:
            return None
        found = {item.pk: item.ticket_id for item in DirectoryModel.batch_get(wanted)}
        for key in reversed(wanted):  # the nearest ancestor first: References lists oldest first
            if found.get(key) is not None:
                return int(found[key])
        return None

    def remember_message_id(self, message_id: str, ticket_id: int) -> None:
        DirectoryModel(f"msg#{message_id}", ticket_id=ticket_id).save()

    def list_recent(self, limit: int, after: str | None) -> Page:
        start = _list_cursor(after) if after else None
        result = TicketModel.by_updated.query(LIST_BUCKET, scan_index_forward=False, limit=limit,
                                              last_evaluated_key=start)
        tickets = [ticket_from_doc(self._texts.expand(item.doc), item.version) for item in result]
        last = result.last_evaluated_key
        return Page(tickets, json.dumps(last) if last else None)

    def list_updated(self, limit: int, after: tuple[int, int] | None) -> list[tuple[Ticket, tuple[int, int]]]:
        """Tickets most recently updated first, continuing after (updated_at epoch, id); each with that pair, so
        the caller can continue after any ticket it was given (one query of the by_updated index)."""
        start = ({"list_bucket": {"S": LIST_BUCKET}, "updated_at": {"N": str(after[0])}, "id": {"N": str(after[1])}}
                 if after is not None else None)
        result = TicketModel.by_updated.query(LIST_BUCKET, scan_index_forward=False, limit=limit,
                                              last_evaluated_key=start)
        return [(ticket_from_doc(self._texts.expand(item.doc), item.version), (int(item.updated_at), int(item.id)))
                for item in result]

    def stored_count(self) -> int:
        """The tickets stored, as DynamoDB last counted them (refreshed about every six hours; no read of items).
        DescribeTable is a control-plane call with a low request rate, so a process asks at most every
        COUNT_SECONDS."""
        table = str(TicketModel.Meta.table_name)
        now = time.monotonic()
        known = _COUNTS.get(table)
        if known is None or now - known[0] > COUNT_SECONDS:
            known = (now, int(TicketModel.describe_table().get("ItemCount", 0)))
            _COUNTS[table] = known
        return known[1]

    def due_for_sla(self, now: datetime, limit: int) -> list[int]:
        """The tickets due by ``now``, earliest first: one query per shard of the sla_due index (and the
        unsharded partition older items sit in), each reading only what is due, keys only."""
        found: list[tuple[float, int]] = []
        for bucket in [SLA_BUCKET, *(f"{SLA_BUCKET}#{n}" for n in range(SLA_SHARDS))]:
            found += [(float(item.sla_due_at or 0), int(item.id)) for item in TicketModel.sla_due.query(
                bucket, TicketModel.sla_due_at <= to_epoch(now), limit=limit,
                attributes_to_get=["id", "sla_due_at"])]
        return [ticket_id for _, ticket_id in sorted(found)[:limit]]

    def due_for_survey(self, now: datetime, limit: int) -> list[int]:
        return [int(item.id) for item in TicketModel.survey_due.query(
            SURVEY_BUCKET, TicketModel.survey_due_at <= to_epoch(now), limit=limit)]


_CURSOR_KEYS = {"id": "N", "list_bucket": "S", "updated_at": "N"}


def _list_cursor(after: str) -> dict[str, Any]:
    """The by_updated key a listing continues after, checked to be one this API gave out (never handed to
    DynamoDB as the client wrote it)."""
    try:
        key = json.loads(after)
    except ValueError as exc:
        raise InvalidInput("page[after] must be the after_cursor of a previous page") from exc
    valid = isinstance(key, dict) and set(key) == set(_CURSOR_KEYS) and all(
        isinstance(key[name], dict) and list(key[name]) == [kind] and isinstance(key[name][kind], str)
        and (kind == "S" or ascii_digits(key[name][kind])) for name, kind in _CURSOR_KEYS.items())
    if not valid:
        raise InvalidInput("page[after] must be the after_cursor of a previous page")
    return dict(key)


def _with_delivery(comment: Comment, item: ActivityModel) -> Comment:
    """The comment with the delivery recorded beside it (the send's record, then the furthest status reported),
    over one kept in its document (older items)."""
    if item.delivery is None and item.delivery_state is None:
        return comment
    return replace(comment, delivery={**dict(comment.delivery or {}), **dict(item.delivery or {}),
                                      **dict(item.delivery_state or {})})


def _user_from_doc(doc: Mapping[str, Any]) -> User:
    data = {k: v for k, v in doc.items() if k in User.__dataclass_fields__ and k != "version"}
    data["identities"] = tuple(UserIdentity(**i) for i in data.get("identities") or ())
    return User(**data)


def _pointers(user: User | None) -> set[str]:
    """The Directory keys that find this user: email# for its addresses, ident# for its other identities."""
    return set() if user is None else {pointer_key(kind, value) for kind, value in user.identity_keys()}


def _user_from_item(item: DirectoryModel) -> User:
    return replace(_user_from_doc(item.doc or {}), version=int(item.user_version or 0))


def _saved_at(version: int | None) -> Any:
    """The condition that the user# item is still the one read at ``version`` (None: there is none yet; 0: one
    saved before users had a version)."""
    if version is None:
        return DirectoryModel.pk.does_not_exist()
    if version == 0:
        return DirectoryModel.pk.exists() & DirectoryModel.user_version.does_not_exist()
    return DirectoryModel.user_version == version


class DynamoUserRepository(UserRepository):
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def get(self, user_id: int) -> User:
        try:  # consistent: a read-modify-write must start from the last save
            return _user_from_item(DirectoryModel.get(f"user#{user_id}", consistent_read=True))
        except DoesNotExist as exc:
            raise UserNotFound(f"user {user_id} does not exist") from exc

    def find_by_email(self, email: str) -> User | None:
        key = f"email#{email.strip().lower()}"
        if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
            return None  # no such key was ever written, and DynamoDB refuses to read one
        try:
            pointer = DirectoryModel.get(key, consistent_read=True)
        except DoesNotExist:
            return None
        return self.get(int(pointer.user_id or 0))

    def ensure(self, email: str, name: str, role: str = "end-user") -> User:
        address = email.strip().lower()
        existing = self.find_by_email(address)
        if existing is not None:
            return existing
        user = User(id=_next_counter("user"), email=address, name=display_name(address, name), role=role)
        try:
            return self._write(user, None)
        except TransactWriteError:
            found = self.find_by_email(address)  # another writer created it first: use theirs
            if found is None:
                raise
            return found

    def put(self, user: User) -> User:
        try:
            stored: User | None = _user_from_item(DirectoryModel.get(f"user#{user.id}", consistent_read=True))
        except DoesNotExist:
            stored = None
        if (stored.version if stored else None) != user.version:
            raise VersionConflict(f"user {user.id} was saved by someone else")
        try:
            return self._write(user, stored)
        except TransactWriteError as exc:
            reasons = list(exc.cancellation_reasons or [])
            if reasons and _is_condition_failure(reasons[0]):
                raise VersionConflict(f"user {user.id} was saved by someone else") from exc
            found = self.find_by_email(user.email) if user.email else None
            if found is not None and found.id != user.id:
                raise EmailTaken(f"Email: {user.email} is already being used by another user") from exc
            taken = self._taken(user)
            if taken is not None:
                raise IdentityTaken(f"Identity: {taken} is already used by another user") from exc
            raise

    def allocate_id(self) -> int:
        return _next_counter("user")

    def list_users(self, roles: Sequence[str], limit: int, after: int | None) -> UserPage:
        found: list[User] = []
        for role in roles:  # each role is one partition of the index, already in id order
            condition = DirectoryModel.user_id > after if after is not None else None
            found += [_user_from_item(item) for item in DirectoryModel.users_by_role.query(
                role, range_key_condition=condition, limit=limit + 1)]
        found.sort(key=lambda user: user.id)
        page = found[:limit]
        return UserPage(page, page[-1].id if len(found) > limit else None)

    def find_by_identity(self, kind: str, value: str) -> User | None:
        try:
            pointer = DirectoryModel.get(pointer_key(kind, value), consistent_read=True)
        except DoesNotExist:
            return None
        return self.get(int(pointer.user_id or 0))

    def create(self, user: User) -> User:
        """Save a new user with its pointers; IdentityTaken / EmailTaken when another user has one of them."""
        try:
            return self._write(user, None)
        except TransactWriteError as exc:
            if user.email and (found := self.find_by_email(user.email)) is not None and found.id != user.id:
                raise EmailTaken(f"Email: {user.email} is already being used by another user") from exc
            taken = self._taken(user)
            if taken is not None:
                raise IdentityTaken(f"Identity: {taken} is already used by another user") from exc
            raise

    def _taken(self, user: User) -> str | None:
        for kind, value in sorted(user.identity_keys()):
            found = self.find_by_identity(kind, value)
            if found is not None and found.id != user.id:
                return f"{kind} {value}"
        return None

    def _write(self, user: User, stored: User | None) -> User:
        """One transaction: the user# item (only if still at the version read) and the pointers that find it:
        new ones only where no other user has them, gone ones only where they still point here."""
        saved = replace(user, version=(user.version or 0) + 1)
        doc = asdict(saved)
        doc.pop("version")
        new, old = _pointers(user), _pointers(stored)
        with TransactWrite(connection=self._connection) as tx:
            tx.save(DirectoryModel(f"user#{user.id}", user_id=user.id, user_role=user.role,
                                   user_version=saved.version, doc=doc), condition=_saved_at(user.version))
            for key in sorted(new - old):
                tx.save(DirectoryModel(key, user_id=user.id), condition=DirectoryModel.pk.does_not_exist())
            for key in sorted(old - new):
                tx.delete(DirectoryModel(key), condition=DirectoryModel.user_id == user.id)
        return saved


class DynamoRuleRepository(RuleRepository):
    def allocate_id(self, kind: str) -> int:
        return _next_counter(kind)

    def triggers(self) -> list[Trigger]:
        rules = [Trigger(**item.doc) for item in RuleModel.query("trigger")]
        return sorted(rules, key=lambda t: (t.position, t.id))

    def put_trigger(self, trigger: Trigger) -> None:
        RuleModel("trigger", trigger.id, position=trigger.position, doc=asdict(trigger)).save()

    def sla_policies(self) -> list[SlaPolicy]:
        return [SlaPolicy.from_api(item.doc, id=int(item.id)) for item in RuleModel.query("sla_policy")]

    def put_sla_policy(self, policy: SlaPolicy) -> None:
        RuleModel("sla_policy", policy.id, position=policy.position, doc=policy.to_api()).save()

    def recipient_addresses(self) -> list[RecipientAddress]:
        return [RecipientAddress.from_api(item.doc, id=int(item.id)) for item in RuleModel.query("recipient_address")]

    def put_recipient_address(self, address: RecipientAddress) -> None:
        RuleModel("recipient_address", address.id, doc=address.to_api()).save()
