"""Channel accounts: a WhatsApp phone number, a Facebook page, an Instagram account, a Twilio number or messaging
service, a web chat widget. Messages come to one and replies leave from it; each says what happens to a message
that arrives after its conversation's ticket was solved, and which approved WhatsApp template carries a reply
outside the 24-hour window."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from helpdesk.domain.errors import InvalidRecord

CHANNELS = ("whatsapp", "facebook", "instagram_dm", "sms", "web_widget")
WINDOW_HOURS = {"whatsapp": 24.0, "facebook": 24.0, "instagram_dm": 24.0}  # no window: sms, web_widget
HUMAN_AGENT_HOURS = 7 * 24.0  # Messenger and Instagram: a human agent's reply, tagged HUMAN_AGENT
ALWAYS = "always"  # reopen_window_hours: a solved ticket always reopens (Zendesk's messaging)


@dataclass(frozen=True)
class ChannelAccount:
    id: int
    channel: str
    account: str  # the provider's id of the account (see helpdesk.channels.messaging.items.InboundMessage)
    name: str
    active: bool = True
    reopen_window_hours: float = 0.0  # after solved: 0 opens a linked ticket; within N hours reopens; -1 always
    window_template: str | None = None  # WhatsApp: the approved template a reply outside the window goes in
    template_language: str = "en"
    brand_id: int | None = None
    group_id: int | None = None
    created_at: str = ""
    updated_at: str = ""

    @classmethod
    def from_api(cls, data: Mapping[str, Any], *, id: int, now_iso: str) -> ChannelAccount:
        channel = data.get("channel")
        if channel not in CHANNELS:
            raise InvalidRecord(f"channel: {channel!r} is not one of {', '.join(CHANNELS)}")
        account = data.get("account")
        if not isinstance(account, str) or not account.strip() or len(account) > 200:
            raise InvalidRecord("account: the provider's id of the account is required (text)")
        reopen = data.get("reopen_window_hours", 0)
        if reopen == ALWAYS:
            reopen = -1.0
        elif isinstance(reopen, bool) or not isinstance(reopen, int | float) or not (0 <= reopen < 10**6) or (
                isinstance(reopen, float) and math.isnan(reopen)):
            raise InvalidRecord(f"reopen_window_hours: 0 (a new linked ticket), hours, or {ALWAYS!r} (Zendesk's way)")
        return cls(id=id, channel=channel, account=account.strip(), name=_text(data, "name", account.strip()),
                   active=bool(data.get("active", True)), reopen_window_hours=float(reopen),
                   window_template=_optional_text(data, "window_template"),
                   template_language=_text(data, "template_language", "en"),
                   brand_id=_optional_id(data, "brand_id"), group_id=_optional_id(data, "group_id"),
                   created_at=str(data.get("created_at") or now_iso), updated_at=now_iso)

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "url": f"/api/v2/channel_accounts/{self.id}.json", "channel": self.channel,
                "account": self.account, "name": self.name, "active": self.active,
                "reopen_window_hours": ALWAYS if self.reopen_window_hours < 0 else self.reopen_window_hours,
                "window_template": self.window_template,
                "template_language": self.template_language, "brand_id": self.brand_id,
                "group_id": self.group_id, "created_at": self.created_at, "updated_at": self.updated_at}

    def reopens(self, solved_hours_ago: float) -> bool:
        """Whether a message this long after the ticket was solved reopens it (else: a new linked ticket)."""
        return self.reopen_window_hours < 0 or solved_hours_ago < self.reopen_window_hours


def _text(data: Mapping[str, Any], name: str, default: str) -> str:
    value = data.get(name, default)
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise InvalidRecord(f"{name}: must be text of at most 200 characters")
    return value.strip()


def _optional_text(data: Mapping[str, Any], name: str) -> str | None:
    return None if data.get(name) in (None, "") else _text(data, name, "")


def _optional_id(data: Mapping[str, Any], name: str) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRecord(f"{name}: must be an id")
    return value
