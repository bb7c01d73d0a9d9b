"""Large texts in the raw-mail bucket under ``bodies/`` (see ``helpdesk.domain.bodies``)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from helpdesk.domain import bodies
from helpdesk.ports import RawMailStore, TextStore

CACHE_BYTES = 32 * 1024 * 1024
"""Texts read or written lately, kept in memory for the warm container: the keys are content addressed, so an
entry never goes stale. One update of a ticket with a large description reads it, publishes it in its events
and writes it back; the cache makes that one read and no write."""


class ObjectStoreTexts(TextStore):
    def __init__(self, store: Callable[[], RawMailStore], cache_bytes: int = CACHE_BYTES) -> None:
        self._store = store  # resolved on the first large text: functions that never meet one need no bucket
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._cached_bytes = 0
        self._limit = cache_bytes

    def shrink(self, value: Any, ticket_id: int | None, *, budget: int, what: str = "the document") -> Any:
        shrunk = bodies.shrink(value, ticket_id, budget=budget, what=what)
        for key, text in shrunk.texts.items():
            if key not in self._cache:
                self._store().put(key, text.encode(), "text/plain; charset=utf-8")
            self._remember(key, text)
        return shrunk.value

    def expand(self, value: Any) -> Any:
        return bodies.expand(value, self._text)

    def _text(self, key: str) -> str:
        found = self._cache.get(key)
        if found is None:
            found = bodies.verified(key, self._store().get(key).decode())
        self._remember(key, found)
        return found

    def _remember(self, key: str, text: str) -> None:
        if key in self._cache:
            self._cache.move_to_end(key)
            return
        size = bodies.utf8_size(text)
        if size > self._limit:
            return
        self._cache[key] = text
        self._cached_bytes += size
        while self._cached_bytes > self._limit:
            _, dropped = self._cache.popitem(last=False)
            self._cached_bytes -= bodies.utf8_size(dropped)
