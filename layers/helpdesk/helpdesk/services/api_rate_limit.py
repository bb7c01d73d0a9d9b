"""The API's rate limit as Zendesk signals it: requests per minute for the whole account, every answer carrying
``X-Rate-Limit`` and ``X-Rate-Limit-Remaining``, and a request over the limit refused with 429 and
``Retry-After`` (the seconds until the minute ends), which zenpy and zdesk wait out and retry.

The limit is the account's setting ``api.rate_limit`` (``/api/v2/account/settings``), else the deployment's
``ApiRateLimitPerMinute`` (700 by default, as Zendesk's Enterprise plan; 0 for none). A request costs one
conditional UpdateItem of the minute's counter; the setting is read at most every SETTING_SECONDS per process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.clock import to_epoch
from helpdesk.domain.errors import InvalidInput
from helpdesk.domain.users import User
from helpdesk.services.auth import require_admin

WINDOW_SECONDS = 60
SETTING_SECONDS = 10.0
MAX_RATE_LIMIT = 1_000_000


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int

    def headers(self) -> dict[str, str]:
        return {"X-Rate-Limit": str(self.limit), "X-Rate-Limit-Remaining": str(self.remaining),
                "ratelimit-limit": str(self.limit), "ratelimit-remaining": str(self.remaining),
                "ratelimit-reset": str(self.retry_after)}


def _account_limit(deps: Container) -> int | None:
    value = (deps.account_settings.recent(SETTING_SECONDS).get("api") or {}).get("rate_limit")
    return int(value) if isinstance(value, int) else None


def limit_per_minute(deps: Container) -> int:
    own = _account_limit(deps)
    return own if own is not None else deps.settings.api_rate_limit_per_minute


def check(deps: Container) -> Decision | None:
    """Count this request; None when the account has no limit."""
    limit = limit_per_minute(deps)
    if limit <= 0:
        return None
    allowed, used = deps.rate_limiter.take("api", limit, WINDOW_SECONDS)
    retry_after = WINDOW_SECONDS - to_epoch(deps.clock.now()) % WINDOW_SECONDS
    return Decision(allowed, limit, max(0, limit - used), retry_after)


def account_settings(deps: Container) -> dict[str, Any]:
    stored = deps.account_settings.get()
    api = dict(stored.get("api") or {})
    return {"settings": {**stored, "api": {**api, "rate_limit": limit_per_minute(deps),
                                           "rate_limit_default": deps.settings.api_rate_limit_per_minute}}}


def update_account_settings(deps: Container, payload: Mapping[str, Any], caller: User) -> dict[str, Any]:
    """Admins set ``{"settings": {"api": {"rate_limit": N}}}`` (0 for no limit, null for the deployment's)."""
    require_admin(caller)
    settings = payload.get("settings")
    api = settings.get("api") if isinstance(settings, Mapping) else None
    if not isinstance(api, Mapping) or set(api) - {"rate_limit"} or "rate_limit" not in api:
        raise InvalidInput('the body must be {"settings": {"api": {"rate_limit": N}}} (requests per minute; 0 for '
                           "no limit, null for the deployment's default)")
    value = api["rate_limit"]
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                              or not 0 <= value <= MAX_RATE_LIMIT):
        raise InvalidInput(f"settings.api.rate_limit must be a whole number from 0 to {MAX_RATE_LIMIT}, or null")
    stored = deps.account_settings.get()
    stored["api"] = {k: v for k, v in {**(stored.get("api") or {}), "rate_limit": value}.items() if v is not None}
    deps.account_settings.put(stored)
    return account_settings(deps)
