"""Channel accounts through the API (admins), and finding the account a message came to.

A deployment knows its accounts (a WhatsApp number, a page...): a message to one it does not know is recorded and
dropped with a counted reason. The local stack creates an account the first time it sees one, so any test number
works. Accounts change rarely: a function keeps what it read for a minute, so an inbound message costs no read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.channel_accounts import ChannelAccount
from helpdesk.domain.clock import iso
from helpdesk.domain.errors import InvalidRecord
from helpdesk.domain.users import User
from helpdesk.ports import RuleStore
from helpdesk.services.auth import require_admin
from helpdesk.services.messaging.channel_health import health
from helpdesk.services.rule_crud import RuleCrud

CACHE_SECONDS = 60.0


def _store(deps: Container) -> RuleStore[ChannelAccount]:
    store: RuleStore[ChannelAccount] = deps.channel_accounts
    return store


CRUD: RuleCrud[ChannelAccount] = RuleCrud("channel_account", _store, ChannelAccount.from_api, positioned=False)


def create_account(deps: Container, payload: Mapping[str, Any], caller: User) -> ChannelAccount:
    require_admin(caller)
    taken = _taken(deps, payload)
    if taken is not None:
        raise InvalidRecord(f"account: {taken.channel} {taken.account} is already channel account {taken.id}")
    created = CRUD.create(deps, payload, caller)
    _cache.forget()
    return created


def update_account(deps: Container, account_id: int, payload: Mapping[str, Any], caller: User) -> ChannelAccount:
    require_admin(caller)
    current = _store(deps).get(account_id)
    inner = _inner(payload)
    merged = {"channel": inner.get("channel", current.channel), "account": inner.get("account", current.account)}
    taken = _taken(deps, merged)
    if taken is not None and taken.id != account_id:
        raise InvalidRecord(f"account: {taken.channel} {taken.account} is already channel account {taken.id}")
    updated = CRUD.update(deps, account_id, payload, caller)
    _cache.forget()
    return updated


def delete_account(deps: Container, account_id: int, caller: User) -> None:
    CRUD.delete(deps, account_id, caller)
    _cache.forget()


def _taken(deps: Container, payload: Mapping[str, Any]) -> ChannelAccount | None:
    inner = _inner(payload)
    channel, account = inner.get("channel"), inner.get("account")
    wanted = (channel, account.strip() if isinstance(account, str) else account)
    return next((a for a in _store(deps).all() if (a.channel, a.account) == wanted), None)


def _inner(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    inner = payload.get("channel_account")
    return inner if isinstance(inner, Mapping) else payload


def list_accounts(deps: Container) -> list[ChannelAccount]:
    return sorted(_store(deps).all(), key=lambda a: a.id)


def get_account(deps: Container, account_id: int) -> ChannelAccount:
    return _store(deps).get(account_id)


def shown(deps: Container, account: ChannelAccount) -> dict[str, Any]:
    """The account as the API shows it, with its health (last success, last error, token state)."""
    return {**account.to_api(), "health": health(deps, account)}


class _Cache:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock, self._lock = clock, threading.Lock()
        self._read_at = -CACHE_SECONDS
        self._accounts: dict[tuple[str, str], ChannelAccount] = {}

    def find(self, deps: Container, channel: str, account: str, *, fresh: bool = False) -> ChannelAccount | None:
        with self._lock:
            if fresh or self._clock() - self._read_at >= CACHE_SECONDS:
                self._accounts = {(a.channel, a.account): a for a in _store(deps).all()}
                self._read_at = self._clock()
            return self._accounts.get((channel, account))

    def forget(self) -> None:
        with self._lock:
            self._read_at = -CACHE_SECONDS


_cache = _Cache()


def resolve(deps: Container, channel: str, account: str) -> ChannelAccount | None:
    """The active account a message came to; None when this deployment does not know it (or it is off)."""
    found = _cache.find(deps, channel, account)
    if found is None:
        found = _cache.find(deps, channel, account, fresh=True)  # created since the last read?
    if found is None and deps.settings.messaging_auto_accounts:
        found = ChannelAccount(id=deps.rules.allocate_id("channel_account"), channel=channel, account=account,
                               name=f"{channel} {account}", created_at=iso(deps.clock.now()) or "",
                               updated_at=iso(deps.clock.now()) or "")
        _store(deps).put(found)
        _cache.forget()
    return found if found is not None and found.active else None
