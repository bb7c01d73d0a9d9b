"""Channel accounts through the API (admins), and finding the account a message came to.

A deployment knows its accounts (a WhatsApp number, a page...): a message to one it does not know is recorded and
dropped with a counted reason. The local stack creates an account the first time it sees one, so any test number
works. Accounts change rarely: a function keeps what it read for a minute, so an inbound message costs no read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from helpdesk.bootstrap import Container
from helpdesk.domain.channel_accounts import ChannelAccount
from helpdesk.domain.clock import iso
from helpdesk.ports import RuleStore
from helpdesk.services.rule_crud import RuleCrud

CACHE_SECONDS = 60.0


def _store(deps: Container) -> RuleStore[ChannelAccount]:
    store: RuleStore[ChannelAccount] = deps.channel_accounts
    return store


CRUD: RuleCrud[ChannelAccount] = RuleCrud("channel_account", _store, ChannelAccount.from_api, positioned=False)
create_account, update_account, delete_account = CRUD.create, CRUD.update, CRUD.delete


def list_accounts(deps: Container) -> list[ChannelAccount]:
    return _store(deps).all()


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
