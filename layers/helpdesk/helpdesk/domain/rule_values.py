"""The vocabulary business rules speak: ticket field values, their orders, channels and roles.

Values are checked and put in one canonical form here so that conditions and actions agree on them.
Every ``canon_*`` function raises ``ValueError`` with a short reason; callers wrap it in ``InvalidRule``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from helpdesk.domain.errors import InvalidRule
from helpdesk.domain.inputs import MAX_WHOLE_NUMBER, ascii_digits, whole_number

STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
TYPES = ("question", "incident", "problem", "task")
SATISFACTION_SCORES = ("unoffered", "offered", "good", "bad")
# what conditions may ask: Zendesk's "Good with comment" / "Bad with comment" besides the scores
SATISFACTION_CONDITION_VALUES = (*SATISFACTION_SCORES, "goodwithcomment", "badwithcomment")

# Ranks for less_than / greater_than. An unset priority ("-" in Zendesk) ranks below low.
STATUS_RANK = {name: rank for rank, name in enumerate(STATUSES)}
PRIORITY_RANK: dict[str | None, int] = {None: 0, **{name: rank + 1 for rank, name in enumerate(PRIORITIES)}}

# Instagram direct messages have no via id in Zendesk's documented list (developer.zendesk.com, "Via types
# reference"): this product gives them one of its own, far above Zendesk's range (0 to about 100) so that an id
# Zendesk adds later never collides with it. Rules store the number a name stands for: keep this one stable.
INSTAGRAM_DM_VIA_ID = 1001

# Zendesk's numeric channel ids (via_id), keyed by the channel names this product and Zendesk use. A ticket's
# ``via.channel`` "facebook" is a Messenger conversation here (the product reads no page posts): 41, Zendesk's
# facebook_message; a page post is "facebook_post" (38).
VIA_IDS: dict[str, int] = {
    "web": 0,
    "web_form": 0,
    "email": 4,
    "mail": 4,
    "api": 5,
    "web_service": 5,
    "rule": 8,
    "automation": 8,
    "get_satisfaction": 16,
    "feedback_tab": 17,
    "twitter_like": 23,
    "twitter_favorite": 23,
    "forum_topic": 24,
    "twitter_dm": 26,
    "closed_ticket": 27,
    "chat": 29,
    "twitter": 30,
    "ticket_sharing": 31,
    "voicemail": 33,
    "voice": 34,
    "phone": 34,
    "phone_call_inbound": 34,
    "phone_call_outbound": 35,
    "facebook_post": 38,
    "facebook": 41,
    "facebook_message": 41,
    "cti_voicemail": 44,
    "cti_phone_call_inbound": 45,
    "cti_phone_call_outbound": 46,
    "web_widget": 48,
    "mobile_sdk": 49,
    "help_center": 50,
    "satisfaction_prediction": 54,
    "mobile": 56,
    "sms": 57,
    "text": 57,
    "whatsapp": 74,
    "instagram_dm": INSTAGRAM_DM_VIA_ID,
}

# Zendesk's numeric role ids as listed for requester_role (definitions.json), and our spellings.
ROLE_NAMES: dict[Any, str] = {
    0: "end_user",
    4: "agent",
    2: "admin",
    "end_user": "end_user",
    "end-user": "end_user",
    "enduser": "end_user",
    "agent": "agent",
    "admin": "admin",
}


def choice(value: Any, allowed: Iterable[str], *, blank: bool = False) -> str:
    """One of ``allowed`` (case-insensitive); ``""`` or None too when ``blank`` (the field is unset)."""
    if value is None or value == "":
        if blank:
            return ""
        raise ValueError("a value is required")
    options = tuple(allowed)
    if isinstance(value, str) and value.strip().lower() in options:
        return value.strip().lower()
    raise ValueError(f"{value!r} is not one of {', '.join(options)}")


def entity_id(value: Any, *, symbols: Iterable[str] = ()) -> int | str:
    """A positive id (int or digit string), ``""`` for none, or one of the symbolic ``symbols``."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an id")
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str):
        text = value.strip()
        if ascii_digits(text) and int(text) > 0:
            return int(text)
        if text in tuple(symbols):
            return text
    allowed = ", ".join(("an id", '""', *symbols))
    raise ValueError(f"{value!r} is not {allowed}")


def via_id(value: Any) -> int:
    """A Zendesk channel id (int or digit string) or a channel name mapped to its id."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a channel")
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if ascii_digits(text):
            return int(text)
        if text in VIA_IDS:
            return VIA_IDS[text]
    raise ValueError(f"{value!r} is not a channel id or one of {', '.join(sorted(VIA_IDS))}")


def channel_id(via: Any) -> int | None:
    """The numeric channel of a ticket's ``via`` (a name, an id, or Zendesk's ``{"channel": ...}``)."""
    if isinstance(via, Mapping):
        via = via.get("channel")
    try:
        return via_id(via)
    except ValueError:
        return None


def role(value: Any) -> str:
    """A role name: ``end_user``, ``agent`` or ``admin`` (Zendesk's 0, 4 and 2 accepted)."""
    key = value.strip().lower() if isinstance(value, str) else value
    if isinstance(key, str) and ascii_digits(key):
        key = int(key)
    if isinstance(key, bool) or key not in ROLE_NAMES:
        raise ValueError(f"{value!r} is not one of end_user, agent, admin")
    return ROLE_NAMES[key]


def role_matches(wanted: str, actual: Any) -> bool:
    """Whether a user of role ``actual`` counts as ``wanted``; admins are agents too, as in Zendesk."""
    try:
        name = role(actual)
    except ValueError:
        return False
    return name == wanted or (wanted == "agent" and name == "admin")


def tag_list(value: Any) -> list[str]:
    """Tags from a space-separated string or a list of strings, without blanks or repeats, in order."""
    if isinstance(value, str):
        words = value.split()
    elif isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        words = [word for item in value for word in item.split()]
    else:
        raise ValueError(f"{value!r} is not a space-separated list of tags")
    tags = list(dict.fromkeys(words))
    if not tags:
        raise ValueError("at least one tag is required")
    return tags


def loose(value: Any) -> str | None:
    """A comparable form for custom field values: ``True`` and ``"true"`` agree, as do ``3`` and ``"3"``."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return " ".join(sorted(str(item) for item in value))
    return str(value).strip().lower()


def count(value: Any) -> int:
    """A count: a non-negative integer (or its digits as text)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and ascii_digits(value.strip()):
        return int(value.strip())
    raise ValueError(f"{value!r} is not a whole number of zero or more")


def boolean(value: Any) -> bool:
    """``true`` or ``false`` (a boolean, or its name as text)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"{value!r} is not true or false")


@dataclass(frozen=True)
class RuleHeader:
    """What every business rule (trigger, automation, macro) has besides its conditions and actions."""

    title: str
    active: bool
    position: int
    description: str


def rule_header(data: Mapping[str, Any]) -> RuleHeader:
    """Title, active, position and description from an API body, checked the same way for every kind of rule."""
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise InvalidRule("title is required")
    active, position, description = data.get("active", True), data.get("position", 0), data.get("description")
    if not isinstance(active, bool):
        raise InvalidRule("active must be true or false")
    if not isinstance(position, int) or whole_number(position) is None:  # kept in a DynamoDB number
        raise InvalidRule(f"position must be an integer from 0 to {MAX_WHOLE_NUMBER}")
    if description is not None and not isinstance(description, str):
        raise InvalidRule("description must be text")
    return RuleHeader(title.strip(), active, position, description or "")
