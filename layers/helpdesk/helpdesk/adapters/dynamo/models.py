"""PynamoDB models of the four tables. Table names are bound at run time from Settings (see bind_tables)."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

SLA_BUCKET = "due"  # the one partition tickets written before sharding still sit in, until they are next saved
SLA_SHARDS = 16  # the sla_due index's partitions, by ticket id (see the README's partition arithmetic)


def sla_shard(ticket_id: int) -> str:
    return f"{SLA_BUCKET}#{ticket_id % SLA_SHARDS}"
SURVEY_BUCKET = "due"
LIST_BUCKET = "all"
DELETED_BUCKET = "deleted"  # a soft-deleted ticket's list_bucket (and status): out of every listing and sweep


class SlaDueIndex(GlobalSecondaryIndex["TicketModel"]):
    class Meta:
        index_name = "sla_due"
        projection = AllProjection()

    sla_bucket = UnicodeAttribute(hash_key=True)
    sla_due_at = NumberAttribute(range_key=True)


class SurveyDueIndex(GlobalSecondaryIndex["TicketModel"]):
    class Meta:
        index_name = "survey_due"
        projection = AllProjection()

    survey_bucket = UnicodeAttribute(hash_key=True)
    survey_due_at = NumberAttribute(range_key=True)


class ByUpdatedIndex(GlobalSecondaryIndex["TicketModel"]):
    class Meta:
        index_name = "by_updated"
        projection = AllProjection()

    list_bucket = UnicodeAttribute(hash_key=True)
    updated_at = NumberAttribute(range_key=True)


class ByAssigneeIndex(GlobalSecondaryIndex["TicketModel"]):
    """Tickets per assignee by status: an agent's open load is one query (sparse: assigned tickets only)."""

    class Meta:
        index_name = "by_assignee"
        projection = KeysOnlyProjection()

    assignee_key = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute(range_key=True)


class ByRequesterIndex(GlobalSecondaryIndex["TicketModel"]):
    """A requester's tickets, most recently updated first (/api/v2/users/{id}/tickets/requested)."""

    class Meta:
        index_name = "by_requester"
        projection = KeysOnlyProjection()

    requester_key = UnicodeAttribute(hash_key=True)
    updated_at = NumberAttribute(range_key=True)


class ByOrganizationIndex(GlobalSecondaryIndex["TicketModel"]):
    """An organization's tickets, most recently updated first (sparse: tickets with an organization only)."""

    class Meta:
        index_name = "by_organization"
        projection = KeysOnlyProjection()

    organization_key = UnicodeAttribute(hash_key=True)
    updated_at = NumberAttribute(range_key=True)


class ByExternalIdIndex(GlobalSecondaryIndex["TicketModel"]):
    """Tickets by their external_id (Zendesk's ticket list filter; sparse: tickets that have one)."""

    class Meta:
        index_name = "by_external_id"
        projection = KeysOnlyProjection()

    external_key = UnicodeAttribute(hash_key=True)
    updated_at = NumberAttribute(range_key=True)


class ByStatusIndex(GlobalSecondaryIndex["TicketModel"]):
    """Tickets by status, oldest status change first: what automations read (``hours since <status>``)."""

    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    status_updated_at = NumberAttribute(range_key=True)


class ByRatingIndex(GlobalSecondaryIndex["TicketModel"]):
    """Satisfaction ratings by score (offered, good, bad), newest first by when the survey was offered or rated
    (sparse: tickets whose survey went out or that were rated): the satisfaction ratings API's reads."""

    class Meta:
        index_name = "by_rating"
        projection = AllProjection()

    rating_score = UnicodeAttribute(hash_key=True)
    rating_at = NumberAttribute(range_key=True)


class TicketModel(Model):
    class Meta:
        table_name = "Tickets"

    id = NumberAttribute(hash_key=True)
    status = UnicodeAttribute()
    updated_at = NumberAttribute()
    list_bucket = UnicodeAttribute(default=LIST_BUCKET)
    sla_bucket = UnicodeAttribute(null=True)
    sla_due_at = NumberAttribute(null=True)
    survey_bucket = UnicodeAttribute(null=True)
    survey_due_at = NumberAttribute(null=True)
    status_updated_at = NumberAttribute(null=True)
    assignee_key = UnicodeAttribute(null=True)
    requester_key = UnicodeAttribute(null=True)
    organization_key = UnicodeAttribute(null=True)
    external_key = UnicodeAttribute(null=True)
    deleted_at = NumberAttribute(null=True)  # soft deletion (helpdesk.adapters.dynamo.deleted_tickets)
    deleted_by = NumberAttribute(null=True)
    rating_score = UnicodeAttribute(null=True)
    rating_at = NumberAttribute(null=True)
    parked = UnicodeSetAttribute(null=True)  # sweeps this ticket kept failing in, until it is next saved
    doc: JSONAttribute = JSONAttribute()
    version = VersionAttribute()

    sla_due = SlaDueIndex()
    survey_due = SurveyDueIndex()
    by_updated = ByUpdatedIndex()
    by_status = ByStatusIndex()
    by_assignee = ByAssigneeIndex()
    by_requester = ByRequesterIndex()
    by_organization = ByOrganizationIndex()
    by_external_id = ByExternalIdIndex()
    by_rating = ByRatingIndex()


class MetricEventsIndex(GlobalSecondaryIndex["ActivityModel"]):
    """SLA metric events by time (sparse: only ``m#`` items carry ``metric_bucket``, one partition a UTC day):
    the incremental export reads from its start time on, never the whole table."""

    class Meta:
        index_name = "metric_events"
        projection = AllProjection()

    metric_bucket = UnicodeAttribute(hash_key=True)
    metric_at = NumberAttribute(range_key=True)


class ActivityModel(Model):
    """Comments (sk ``c#<seq>``), audits (``a#<seq>``) and message events (``e#<provider id>``: reactions, edits,
    deletions) of a ticket. A comment's delivery lives beside its document: what the send recorded (``delivery``)
    and the furthest status the provider reported (``delivery_state``, ranked by ``delivery_rank``), so a status is
    one conditional update that never rewrites the comment, the send's record, or a further status. Its media
    fetched later (``attachment_states``) are recorded the same way, beside the document."""

    class Meta:
        table_name = "Activity"

    ticket_id = NumberAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    doc: JSONAttribute = JSONAttribute()
    delivery: JSONAttribute = JSONAttribute(null=True)
    delivery_state: JSONAttribute = JSONAttribute(null=True)
    delivery_rank = NumberAttribute(null=True)
    # messaging media fetched after the comment was written: {position: state}, written at a version of its own
    attachment_states: JSONAttribute = JSONAttribute(null=True)
    attachment_version = NumberAttribute(null=True)
    # SLA metric events written by one update (sk ``m#<audit seq>``), by time through the metric_events index
    metric_bucket = UnicodeAttribute(null=True)
    metric_at = NumberAttribute(null=True)

    metric_events = MetricEventsIndex()


class UsersByRoleIndex(GlobalSecondaryIndex["DirectoryModel"]):
    """Users of one role in id order (sparse: only ``user#`` items carry ``user_role``): the users API's listing
    and the agent list read one role's items, never the whole directory."""

    class Meta:
        index_name = "users_by_role"
        projection = AllProjection()

    user_role = UnicodeAttribute(hash_key=True)
    user_id = NumberAttribute(range_key=True)


class DirectoryModel(Model):
    """Users (``user#``), addresses (``email#``), counters (``counter#``), message ids (``msg#``),
    idempotency records (``op#``) and delivery records (``sent#``)."""

    class Meta:
        table_name = "Directory"

    pk = UnicodeAttribute(hash_key=True)
    ticket_id = NumberAttribute(null=True)
    user_id = NumberAttribute(null=True)
    user_role = UnicodeAttribute(null=True)
    user_version = NumberAttribute(null=True)  # a user# item's optimistic lock (absent on items saved before it)
    users_by_role = UsersByRoleIndex()
    value = NumberAttribute(null=True)
    doc: JSONAttribute = JSONAttribute(null=True)
    expires_at = NumberAttribute(null=True)


class RuleModel(Model):
    """Triggers, automations, macros, SLA policies, schedules, groups, webhooks...: admin-written documents whose
    texts (a notification body, a macro's comment) can grow without bound, so each is checked against the item
    budget before it is written (413 with the reason, never DynamoDB's 400 KB refusal as a 500)."""

    class Meta:
        table_name = "Rules"

    kind = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)
    position = NumberAttribute(default=0)
    doc: JSONAttribute = JSONAttribute()

    def save(self, *args: Any, **kwargs: Any) -> Any:
        from helpdesk.domain.bodies import ITEM_BUDGET, document_size
        from helpdesk.domain.errors import ContentTooLarge

        size = document_size(self.doc)
        if size > ITEM_BUDGET:
            raise ContentTooLarge(f"this {self.kind.replace('_', ' ')} is {size // 1024} KB stored; "
                                  f"a rule is limited to {ITEM_BUDGET // 1024} KB")
        return super().save(*args, **kwargs)


MODELS: dict[str, type[Model]] = {
    "tickets": TicketModel, "activity": ActivityModel, "directory": DirectoryModel, "rules": RuleModel,
}


def bind_tables(names: dict[str, str], region: str, host: str | None) -> None:
    """Point the models at this deployment's tables (called by the composition root at invocation)."""
    for key, model in MODELS.items():
        meta: Any = model.Meta
        if (getattr(meta, "table_name", None), getattr(meta, "region", None), getattr(meta, "host", None)) == (
            names[key], region, host,
        ):
            continue
        meta.table_name = names[key]
        meta.region = region
        meta.host = host
        model._connection = None


def open_connections() -> None:
    """Create every model's botocore client now. PynamoDB creates one on first use without a lock, so threads
    starting at once (the local stack serves requests and queues from threads; a Lambda invocation is single
    threaded) each built their own, which cost 0.2 s of interpreter time apiece: 49 at once under 100 clients."""
    for model in MODELS.values():
        model._get_connection().connection.client  # noqa: B018 - the property creates and keeps the client
