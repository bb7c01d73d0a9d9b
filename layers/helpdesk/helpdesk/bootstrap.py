"""The composition root: settings read at invocation, adapters created lazily and cached per settings."""

from __future__ import annotations

import functools
from datetime import datetime
from functools import cached_property
from typing import Any

from helpdesk.adapters.settings import Settings
from helpdesk.domain.clock import Clock, SystemClock
from helpdesk.ports import (
    DeliveryLog,
    EventPublisher,
    InboundQueue,
    Mailer,
    RateLimiter,
    RawMailStore,
    RuleRepository,
    SecretSource,
    SignedTokenLedger,
    TextStore,
    TicketRepository,
    UploadRegistry,
    UserRepository,
)

_clock: Clock = SystemClock()


def set_clock(clock: Clock) -> None:
    """Replace the clock (the local stack's advanceable clock, tests)."""
    global _clock
    _clock = clock


def current_clock() -> Clock:
    return _clock


class _CurrentClock:
    """Delegates to whatever clock is current, so adapters built earlier follow set_clock."""

    def now(self) -> datetime:
        return _clock.now()


class Container:
    """Every adapter a service may need, each built on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def clock(self) -> Clock:
        return _clock

    def _client(self, service: str) -> Any:
        from helpdesk.adapters.aws import client

        return client(service, self.settings.region, self.settings.endpoint_url)

    @cached_property
    def _connection(self) -> Any:
        from pynamodb.connection import Connection

        from helpdesk.adapters.dynamo.models import bind_tables

        s = self.settings
        bind_tables({"tickets": s.tickets_table, "activity": s.activity_table, "directory": s.directory_table,
                     "rules": s.rules_table}, s.region, s.endpoint_url)
        return Connection(region=s.region, host=s.endpoint_url)

    @cached_property
    def tickets(self) -> TicketRepository:
        from helpdesk.adapters.dynamo.repositories import DynamoTicketRepository

        return DynamoTicketRepository(self._connection, lambda: _clock.now().timestamp(), self.texts)

    @cached_property
    def users(self) -> UserRepository:
        from helpdesk.adapters.dynamo.repositories import DynamoUserRepository

        return DynamoUserRepository(self._connection)

    @cached_property
    def rules(self) -> RuleRepository:
        from helpdesk.adapters.dynamo.repositories import DynamoRuleRepository

        self._connection  # noqa: B018 - binds the models to this deployment's tables
        return DynamoRuleRepository()

    @cached_property
    def deliveries(self) -> DeliveryLog:
        from helpdesk.adapters.delivery import DynamoDeliveryLog

        self._connection  # noqa: B018
        return DynamoDeliveryLog(_CurrentClock())

    @cached_property
    def rate_limiter(self) -> RateLimiter:
        from helpdesk.adapters.delivery import DynamoRateLimiter

        self._connection  # noqa: B018
        return DynamoRateLimiter(_CurrentClock())

    @cached_property
    def signed_tokens(self) -> SignedTokenLedger:
        from helpdesk.adapters.delivery import DynamoSignedTokenLedger

        self._connection  # noqa: B018
        return DynamoSignedTokenLedger(_CurrentClock())

    @cached_property
    def uploads(self) -> UploadRegistry:
        from helpdesk.adapters.delivery import DynamoUploadRegistry

        self._connection  # noqa: B018
        return DynamoUploadRegistry(_CurrentClock())

    @cached_property
    def publisher(self) -> EventPublisher:
        from helpdesk.adapters.eventbridge import EventBridgePublisher

        return EventBridgePublisher(self._client("events"), self.settings.event_bus_name, self.texts)

    @cached_property
    def inbound_queue(self) -> InboundQueue:
        from helpdesk.adapters.sqs import SqsInboundQueue

        url = self.settings.require(self.settings.inbound_queue_url, "INBOUND_QUEUE_URL")
        return SqsInboundQueue(self._client("sqs"), url)

    @cached_property
    def mailer(self) -> Mailer:
        from helpdesk.adapters.ses import SesMailer

        return SesMailer(self._client("ses"))

    @cached_property
    def raw_store(self) -> RawMailStore:
        from helpdesk.adapters.s3 import S3RawMailStore

        bucket = self.settings.require(self.settings.raw_mail_bucket, "RAW_MAIL_BUCKET")
        return S3RawMailStore(self._client("s3"), bucket)

    @cached_property
    def texts(self) -> TextStore:
        """Large texts of comments, tickets and events, in the raw-mail bucket under ``bodies/``."""
        from helpdesk.adapters.texts import ObjectStoreTexts

        return ObjectStoreTexts(lambda: self.raw_store)

    @cached_property
    def inbound_credentials(self) -> Any:
        from helpdesk.adapters.secrets import InboundCredentials

        arn = self.settings.require(self.settings.inbound_secret_arn, "INBOUND_SECRET_ARN")
        return InboundCredentials(self._client("secretsmanager"), arn)

    # ---- extension points: each area appends its adapters below its own marker ----
    # [area: webhooks]

    @cached_property
    def webhooks(self) -> Any:  # a helpdesk.ports.WebhookRepository
        from helpdesk.adapters.dynamo.webhooks import DynamoWebhookRepository

        self._connection  # noqa: B018 - binds the models to this deployment's tables
        return DynamoWebhookRepository()

    @cached_property
    def webhook_transport(self) -> Any:  # a helpdesk.ports.WebhookTransport
        from helpdesk.adapters.webhook_http import UrllibWebhookTransport

        return UrllibWebhookTransport(allow_private_targets=self.settings.webhook_private_targets)

    @cached_property
    def trigger_store(self) -> Any:  # a helpdesk.ports.TriggerStore
        from helpdesk.adapters.dynamo.webhooks import DynamoTriggerStore

        return DynamoTriggerStore(self._connection)

    # [area: automations]

    @cached_property
    def schedules(self) -> Any:  # a helpdesk.ports.RuleStore[Schedule]
        from helpdesk.adapters.dynamo.automation_store import schedule_store

        self._connection  # noqa: B018 - binds the models to this deployment's tables
        return schedule_store()

    @cached_property
    def automations(self) -> Any:  # a helpdesk.ports.RuleStore[Automation]
        from helpdesk.adapters.dynamo.automation_store import automation_store

        self._connection  # noqa: B018
        return automation_store()

    @cached_property
    def organizations(self) -> Any:  # a helpdesk.ports.RuleStore[Organization]
        from helpdesk.adapters.dynamo.automation_store import organization_store

        self._connection  # noqa: B018
        return organization_store()

    @cached_property
    def api_tokens(self) -> Any:  # a helpdesk.ports.RuleStore[ApiToken]
        from helpdesk.adapters.dynamo.automation_store import api_token_store

        self._connection  # noqa: B018
        return api_token_store()

    @cached_property
    def rule_sets(self) -> Any:  # a helpdesk.ports.RuleStore[RuleSet]
        from helpdesk.adapters.dynamo.automation_store import rule_set_store

        self._connection  # noqa: B018
        return rule_set_store()

    @cached_property
    def tickets_by_status(self) -> Any:  # a helpdesk.ports.TicketsByStatus
        from helpdesk.adapters.dynamo.automation_store import DynamoTicketsByStatus

        self._connection  # noqa: B018
        return DynamoTicketsByStatus(self.texts)

    # [area: groups-macros]

    @cached_property
    def groups(self) -> Any:  # a helpdesk.ports.GroupRepository
        from helpdesk.adapters.dynamo.groups import DynamoGroupRepository

        self._connection  # noqa: B018 - binds the models to this deployment's tables
        return DynamoGroupRepository()

    @cached_property
    def assignment_state(self) -> Any:  # a helpdesk.ports.AssignmentState
        from helpdesk.adapters.dynamo.groups import DynamoAssignmentState

        self._connection  # noqa: B018
        return DynamoAssignmentState()

    @cached_property
    def macros(self) -> Any:  # a helpdesk.ports.MacroRepository
        from helpdesk.adapters.dynamo.groups import DynamoMacroRepository

        self._connection  # noqa: B018
        return DynamoMacroRepository()
    # [area: views]

    @cached_property
    def views(self) -> Any:  # a helpdesk.ports.ViewStore
        from helpdesk.adapters.dynamo.views import DynamoViewStore

        return DynamoViewStore(self._connection)

    @cached_property
    def view_tickets(self) -> Any:  # a helpdesk.ports.ViewTickets
        from helpdesk.adapters.dynamo.views import DynamoViewTickets

        self._connection  # noqa: B018
        return DynamoViewTickets(self.texts)
    # [area: satisfaction ratings]

    @cached_property
    def satisfaction_ratings(self) -> Any:  # a helpdesk.ports.SatisfactionRatings
        from helpdesk.adapters.dynamo.satisfaction_ratings import DynamoSatisfactionRatings

        self._connection  # noqa: B018
        return DynamoSatisfactionRatings(self.texts)
    # [area: suspended tickets]

    @cached_property
    def suspended_tickets(self) -> Any:  # a helpdesk.ports.SuspendedTickets
        from helpdesk.adapters.dynamo.suspended import DynamoSuspendedTickets

        return DynamoSuspendedTickets(self._connection)
    # [area: rule-stats]

    @cached_property
    def rule_stats(self) -> Any:  # a helpdesk.ports.RuleStatistics
        from helpdesk.adapters.dynamo.rule_stats import DynamoRuleStatistics

        self._connection  # noqa: B018 - binds the models to this deployment's tables
        return DynamoRuleStatistics()

    @cached_property
    def deleted_tickets(self) -> Any:  # a helpdesk.adapters.dynamo.deleted_tickets.DynamoDeletedTickets
        from helpdesk.adapters.dynamo.deleted_tickets import DynamoDeletedTickets

        self._connection  # noqa: B018
        return DynamoDeletedTickets(self.texts)

    @cached_property
    def account_settings(self) -> Any:  # a helpdesk.adapters.dynamo.account_settings.DynamoAccountSettings
        from helpdesk.adapters.dynamo.account_settings import DynamoAccountSettings

        self._connection  # noqa: B018
        return DynamoAccountSettings()

    @cached_property
    def ticket_lists(self) -> Any:  # a helpdesk.adapters.dynamo.ticket_lists.DynamoTicketLists
        from helpdesk.adapters.dynamo.ticket_lists import DynamoTicketLists

        self._connection  # noqa: B018
        return DynamoTicketLists(self.texts)

    @cached_property
    def job_statuses(self) -> Any:  # a helpdesk.adapters.dynamo.job_statuses.DynamoJobStatuses
        from helpdesk.adapters.dynamo.job_statuses import DynamoJobStatuses

        self._connection  # noqa: B018
        return DynamoJobStatuses()

    @cached_property
    def rule_remover(self) -> Any:  # a helpdesk.ports.RuleRemover
        from helpdesk.adapters.dynamo.rule_stats import DynamoRuleRemover

        self._connection  # noqa: B018
        return DynamoRuleRemover()

    # [area: messaging]

    @cached_property
    def messaging_transport(self) -> Any:  # a helpdesk.ports.MessagingTransport
        from helpdesk.adapters.provider_http import HttpMessagingTransport, MessagingCredentials

        s = self.settings
        arn = s.require(s.messaging_secret_arn, "MESSAGING_SECRET_ARN")
        return HttpMessagingTransport(MessagingCredentials(self._client("secretsmanager"), arn),
                                      whatsapp_base=s.whatsapp_api_base, messenger_base=s.messenger_api_base,
                                      twilio_base=s.twilio_api_base, public_api_url=s.public_api_url)

    @cached_property
    def media_downloads(self) -> Any:  # a helpdesk.ports.MediaDownloads
        from helpdesk.adapters.provider_http import HttpMediaDownloads, MessagingCredentials

        s = self.settings
        arn = s.require(s.messaging_secret_arn, "MESSAGING_SECRET_ARN")
        return HttpMediaDownloads(MessagingCredentials(self._client("secretsmanager"), arn),
                                  whatsapp_base=s.whatsapp_api_base, twilio_base=s.twilio_api_base,
                                  allow_private_sources=s.webhook_private_targets)

    @cached_property
    def channel_health(self) -> Any:  # a helpdesk.ports.ChannelHealthLog
        from helpdesk.adapters.dynamo.conversations import DynamoChannelHealth

        self._connection  # noqa: B018 - binds the models to this deployment's tables
        return DynamoChannelHealth()

    @cached_property
    def messaging_queue(self) -> Any:  # a helpdesk.ports.MessagingQueue
        from helpdesk.adapters.sqs import SqsMessagingQueue

        url = self.settings.require(self.settings.messaging_queue_url, "MESSAGING_QUEUE_URL")
        return SqsMessagingQueue(self._client("sqs"), url, self.settings.messaging_dead_letter_url)

    @cached_property
    def channel_accounts(self) -> Any:  # a helpdesk.ports.RuleStore[ChannelAccount]
        from helpdesk.adapters.dynamo.automation_store import channel_account_store

        self._connection  # noqa: B018 - binds the models to this deployment's tables
        return channel_account_store()

    @cached_property
    def conversations(self) -> Any:  # a helpdesk.ports.ConversationStore
        from helpdesk.adapters.dynamo.conversations import DynamoConversations

        self._connection  # noqa: B018 - binds the models to this deployment's tables
        return DynamoConversations(lambda: _clock.now().timestamp())

    # [area: sweeps]

    @cached_property
    def sweep_failures(self) -> Any:  # a helpdesk.ports.SweepFailures
        from helpdesk.adapters.dynamo.sweeps import DynamoSweepFailures

        self._connection  # noqa: B018 - binds the models to this deployment's tables
        return DynamoSweepFailures(lambda: _clock.now().timestamp())

    @cached_property
    def secrets(self) -> SecretSource:
        from helpdesk.adapters.secrets import SecretsManagerSecret

        arn = self.settings.require(self.settings.survey_secret_arn, "SURVEY_SECRET_ARN")
        return SecretsManagerSecret(self._client("secretsmanager"), arn)


@functools.lru_cache(maxsize=8)
def _container_for(settings: Settings) -> Container:
    return Container(settings)


def container() -> Container:
    """The container for the current environment (read now, at invocation)."""
    return _container_for(Settings.from_env())


def reset() -> None:
    """Forget cached containers and clients (tests and the local stack between runs)."""
    from helpdesk.adapters.aws import client

    _container_for.cache_clear()
    client.cache_clear()
