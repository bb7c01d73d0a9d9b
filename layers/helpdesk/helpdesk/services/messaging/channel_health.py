"""A channel account's health, kept as its sends and receipts go: the last success, the last error (with the
provider's code), and the token's state, so a channel silently broken (a revoked token) shows, and alarms."""

from __future__ import annotations

from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.channels.messaging.items import SendResult
from helpdesk.domain.channel_accounts import ChannelAccount
from helpdesk.domain.clock import iso


def succeeded(deps: Container, account: ChannelAccount) -> None:
    deps.channel_health.record(account.channel, account.account,
                               {"last_success_at": iso(deps.clock.now()), "token_state": "valid"})


def failed(deps: Container, account: ChannelAccount, result: SendResult) -> None:
    changes: dict[str, Any] = {"last_error_at": iso(deps.clock.now()),
                               "last_error": {"outcome": result.outcome, "code": result.code, "detail": result.detail}}
    if result.outcome == "reauthorise":
        changes["token_state"] = "needs_reauthorisation"
    deps.channel_health.record(account.channel, account.account, changes)


def token_refused(deps: Container, channel: str, account: str, detail: str) -> None:
    """The provider refused our token for something other than a send (a media download)."""
    deps.channel_health.record(channel, account, {
        "last_error_at": iso(deps.clock.now()), "token_state": "needs_reauthorisation",
        "last_error": {"outcome": "reauthorise", "code": "unauthorized", "detail": detail[:300]}})


def health(deps: Container, account: ChannelAccount) -> dict[str, Any]:
    found = deps.channel_health.health(account.channel, account.account)
    return {"last_success_at": found.get("last_success_at"), "last_error_at": found.get("last_error_at"),
            "last_error": found.get("last_error"), "token_state": found.get("token_state", "unknown")}
