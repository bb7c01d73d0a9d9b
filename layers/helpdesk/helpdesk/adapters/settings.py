"""Settings read from the environment at invocation (never at import)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from helpdesk.domain.errors import HelpdeskError
from helpdesk.domain.tickets import CLOSE_SOLVED_DAYS


class MissingSetting(HelpdeskError):
    """A required environment variable is not set for this function."""


@dataclass(frozen=True)
class Settings:
    tickets_table: str
    activity_table: str
    directory_table: str
    rules_table: str
    event_bus_name: str
    sender_address: str
    stage: str = "dev"
    inbound_queue_url: str | None = None
    raw_mail_bucket: str | None = None
    survey_secret_arn: str | None = None
    survey_delay_minutes: int = 1440
    public_api_url: str | None = None
    quote_history: bool = True
    inbound_secret_arn: str | None = None
    region: str = "us-east-1"
    endpoint_url: str | None = None
    webhook_private_targets: bool = False
    close_solved_after_days: int = CLOSE_SOLVED_DAYS[1]
    api_rate_limit_per_minute: int = 700  # the account's default (Zendesk's); 0: no limit. An admin may set another
    # messaging channels
    messaging_queue_url: str | None = None  # the FIFO queue of inbound messaging items
    messaging_dead_letter_url: str | None = None  # where an item that cannot be read goes, with its cause
    messaging_secret_arn: str | None = None  # outbound credentials (provider tokens)
    messaging_auto_accounts: bool = False  # the local stack: an account seen for the first time is created
    messaging_survey_delay_minutes: int = 0  # a messaging ticket's survey is asked in the chat, while it is open
    whatsapp_api_base: str = "https://graph.facebook.com/v21.0"
    messenger_api_base: str = "https://graph.facebook.com/v21.0"
    twilio_api_base: str = "https://api.twilio.com"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        source = os.environ if env is None else env

        def need(name: str) -> str:
            value = source.get(name)
            if not value:
                raise MissingSetting(f"environment variable {name} is not set")
            return value

        return cls(
            tickets_table=need("TICKETS_TABLE"), activity_table=need("ACTIVITY_TABLE"),
            directory_table=need("DIRECTORY_TABLE"), rules_table=need("RULES_TABLE"),
            event_bus_name=need("EVENT_BUS_NAME"), sender_address=need("SENDER_ADDRESS"),
            stage=source.get("STAGE", "dev"), inbound_queue_url=source.get("INBOUND_QUEUE_URL"),
            raw_mail_bucket=source.get("RAW_MAIL_BUCKET"), survey_secret_arn=source.get("SURVEY_SECRET_ARN"),
            survey_delay_minutes=int(source.get("SURVEY_DELAY_MINUTES", "1440")),
            public_api_url=source.get("PUBLIC_API_URL"),
            quote_history=source.get("REPLY_QUOTE_HISTORY", "true").lower() != "false",
            inbound_secret_arn=source.get("INBOUND_SECRET_ARN"),
            region=source.get("AWS_REGION") or source.get("AWS_DEFAULT_REGION") or "us-east-1",
            endpoint_url=source.get("AWS_ENDPOINT_URL"),
            webhook_private_targets=source.get("WEBHOOK_PRIVATE_TARGETS", "deny").lower() == "allow",
            close_solved_after_days=_days(source.get("CLOSE_SOLVED_AFTER_DAYS")),
            api_rate_limit_per_minute=int(source.get("API_RATE_LIMIT_PER_MINUTE") or "700"),
            messaging_queue_url=source.get("MESSAGING_QUEUE_URL"),
            messaging_dead_letter_url=source.get("MESSAGING_DEAD_LETTER_URL"),
            messaging_secret_arn=source.get("MESSAGING_SECRET_ARN"),
            messaging_auto_accounts=source.get("MESSAGING_AUTO_ACCOUNTS", "false").lower() == "true",
            messaging_survey_delay_minutes=int(source.get("MESSAGING_SURVEY_DELAY_MINUTES", "0")),
            whatsapp_api_base=source.get("WHATSAPP_API_BASE") or cls.whatsapp_api_base,
            messenger_api_base=source.get("MESSENGER_API_BASE") or cls.messenger_api_base,
            twilio_api_base=source.get("TWILIO_API_BASE") or cls.twilio_api_base,
        )

    @property
    def mail_domain(self) -> str:
        return self.sender_address.rsplit("@", 1)[-1].lower()

    def require(self, value: str | None, name: str) -> str:
        if not value:
            raise MissingSetting(f"environment variable {name} is not set for this function")
        return value


def _days(value: str | None) -> int:
    """Days a solved ticket stays solved before it closes: 4 unless set, and within 1..28 as in Zendesk."""
    least, default, most = CLOSE_SOLVED_DAYS
    try:
        days = int(value) if value else default
    except ValueError as exc:
        raise MissingSetting(f"CLOSE_SOLVED_AFTER_DAYS must be a whole number of days, not {value!r}") from exc
    return min(max(days, least), most)
