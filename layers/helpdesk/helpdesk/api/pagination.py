"""Zendesk's two pagination styles, for every listing of the API.

- Cursor pagination (``page[size]``, ``page[after]``, ``page[before]``): ``meta`` with ``has_more``,
  ``after_cursor`` and ``before_cursor``, and ``links.next`` / ``links.prev`` as absolute URLs on the API's public
  base URL, keeping ``page[size]`` and the listing's filters. Cursors are opaque and signed
  (helpdesk.domain.cursors): a tampered one is a 400.
- Offset pagination (``page``, ``per_page``): ``next_page`` / ``previous_page`` as absolute URLs (null at the ends),
  and ``count``, so zdesk's ``get_all_pages`` and zenpy's offset generators read everything.

A request with neither style's parameters gets the first page in both shapes (Zendesk answers such a request with
offset pagination; a cursor client asks with ``page[size]``): both continuations lead to the same next items.
An offset page's ``next_page`` carries a signed position (``page_token``) as well as ``page``, so following it
reads the next items only; a page asked for by number alone is found by reading the items before it, which is why
offset pagination stops at the first 10,000 items of a listing (as Zendesk's does): past them, use cursors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from helpdesk.domain.cursors import cursor_key as signing_key
from helpdesk.domain.cursors import seal, unseal
from helpdesk.domain.errors import InvalidInput
from helpdesk.domain.inputs import ascii_digits

MAX_PER_PAGE = 100
OFFSET_LIMIT = 10_000
PAGINATION_PARAMS = ("page", "per_page", "page[size]", "page[after]", "page[before]", "page_token")

Position = dict[str, Any]
# a listing read from the store: (limit, the position to continue after or None) -> [(item, its position)]
Source = Callable[[int, Position | None], Sequence[tuple[dict[str, Any], Position]]]


def _number(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip()
    if not ascii_digits(value) or int(value) < 1:
        raise InvalidInput(f"{name} must be a whole number of 1 or more, not {raw!r}")
    return int(value)


def cursor_key(deps: Any) -> bytes:
    """The key cursors are signed with: derived from the deployment's signing secret, never the secret itself."""
    return signing_key(deps.secrets.survey_secret())


def public_base(deps: Any, headers: Mapping[str, str]) -> str:
    """The API's public base URL: the deployment's configured one (PUBLIC_API_URL), as every other public link;
    the request's own host only when none is configured."""
    configured = (deps.settings.public_api_url or "").rstrip("/")
    if configured:
        return configured
    proto = headers.get("x-forwarded-proto", "https")
    return f"{proto}://{headers.get('host', 'localhost')}"


@dataclass
class Lister:
    """One listing request: its parameters, where its links point, and how its cursors are signed."""

    key: str  # the envelope's key: "tickets", "users"...
    path: str  # the listing's public path, such as /api/v2/tickets.json
    params: Mapping[str, str]
    base: str
    secret: bytes

    def __post_init__(self) -> None:
        self.scope = self.path.removesuffix(".json")
        cursor = any(name in self.params for name in ("page[size]", "page[after]", "page[before]"))
        offset = "page" in self.params or "page_token" in self.params
        if cursor and offset:
            raise InvalidInput("use either cursor pagination (page[size], page[after], page[before]) or offset "
                               "pagination (page, per_page), not both")
        self.style = "cursor" if cursor else "offset" if offset else "both"
        size_name = "page[size]" if cursor else "per_page"
        self.size = min(_number(self.params, size_name, MAX_PER_PAGE), MAX_PER_PAGE)
        if cursor and "per_page" in self.params:
            self.size = min(_number(self.params, "per_page", self.size), MAX_PER_PAGE)
        self.page = _number(self.params, "page", 1)
        if "page[after]" in self.params and "page[before]" in self.params:
            raise InvalidInput("give page[after] or page[before], not both")

    # -- links -----------------------------------------------------------------------------------------------
    def _url(self, **wanted: Any) -> str:
        kept = [(k, v) for k, v in self.params.items() if k not in PAGINATION_PARAMS]
        return f"{self.base}{self.path}?{urlencode(kept + [(k, str(v)) for k, v in wanted.items()])}"

    def _seal(self, direction: str, position: Mapping[str, Any]) -> str:
        return seal(self.secret, self.scope, {"d": direction, **position})

    def _unseal(self, name: str, direction: str) -> Position:
        position = unseal(self.secret, self.scope, self.params[name], name)
        if position.pop("d", None) != direction:
            raise InvalidInput(f"{name} must be a cursor this listing gave for {name}")
        return position

    def _cursor_envelope(self, items: list[dict[str, Any]], after: str | None, before: str | None,
                         has_more: bool) -> dict[str, Any]:
        return {
            "meta": {"has_more": has_more, "after_cursor": after, "before_cursor": before},
            "links": {
                "next": self._url(**{"page[size]": self.size, "page[after]": after}) if has_more and after else None,
                "prev": self._url(**{"page[size]": self.size, "page[before]": before}) if before else None,
            },
        }

    def _offset_envelope(self, count: int, has_more: bool, token: str | None) -> dict[str, Any]:
        following: dict[str, Any] = {"page": self.page + 1, "per_page": self.size}
        if token is not None:
            following["page_token"] = token
        return {
            "next_page": self._url(**following) if has_more else None,
            "previous_page": self._url(page=self.page - 1, per_page=self.size) if self.page > 1 else None,
            "count": count,
        }

    # -- a listing held in memory (rules, groups, macros...: small and read whole) ---------------------------
    def from_list(self, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
        total = len(items)
        if self.style == "cursor":
            if "page[before]" in self.params:
                end = min(int(self._unseal("page[before]", "b").get("i", 0)), total)
                start = max(0, end - self.size)
            else:
                start = int(self._unseal("page[after]", "a").get("i", 0)) if "page[after]" in self.params else 0
                end = min(start + self.size, total)
            page = list(items[start:end])
            after = self._seal("a", {"i": end}) if end < total else None
            before = self._seal("b", {"i": start}) if start > 0 else None
            return {self.key: page, **self._cursor_envelope(page, after, before, end < total)}
        start = (self.page - 1) * self.size
        page = list(items[start:start + self.size])
        has_more = start + self.size < total
        body: dict[str, Any] = {self.key: page, **self._offset_envelope(total, has_more, None)}
        if self.style == "both":
            after = self._seal("a", {"i": start + self.size}) if has_more else None
            body.update(self._cursor_envelope(page, after, None, has_more))
        return body

    # -- a listing read from the store page by page (tickets) ------------------------------------------------
    def from_source(self, read: Source, count: Callable[[], int] | None = None) -> dict[str, Any]:
        if self.style == "cursor":
            if "page[before]" in self.params:
                raise InvalidInput("page[before] is not offered by this listing: follow links.next from the start")
            start = self._unseal("page[after]", "a") if "page[after]" in self.params else None
            found = list(read(self.size + 1, start))
            page, has_more = found[:self.size], len(found) > self.size
            after = self._seal("a", page[-1][1]) if has_more else None
            return {self.key: [item for item, _ in page], **self._cursor_envelope([], after, None, has_more)}
        start = self._offset_start(read)
        found = list(read(self.size + 1, start))
        page, has_more = found[:self.size], len(found) > self.size
        items = [item for item, _ in page]
        seen = (self.page - 1) * self.size + len(page)
        total = seen if not has_more else max(seen + 1, count() if count is not None else 0)
        token = self._seal("o", {"p": self.page + 1, "at": page[-1][1]}) if has_more else None
        body: dict[str, Any] = {self.key: items, **self._offset_envelope(total, has_more, token)}
        if self.style == "both":
            after = self._seal("a", page[-1][1]) if has_more else None
            body.update(self._cursor_envelope(items, after, None, has_more))
        return body

    def _offset_start(self, read: Source) -> Position | None:
        """Where offset page ``page`` starts: the signed position its ``page_token`` carries, else found by reading
        the items before it (at most OFFSET_LIMIT of them)."""
        if "page_token" in self.params:
            token = self._unseal("page_token", "o")
            if token.get("p") != self.page or not isinstance(token.get("at"), dict):
                raise InvalidInput("page_token belongs to another page: follow next_page as it was given")
            return dict(token["at"])
        skip = (self.page - 1) * self.size
        if skip == 0:
            return None
        if skip + self.size > OFFSET_LIMIT:
            raise InvalidInput(f"offset pagination reads the first {OFFSET_LIMIT} items of a listing; use cursor "
                               "pagination (page[size] and links.next) to read further")
        position: Position | None = None
        while skip > 0:
            chunk = list(read(min(skip, MAX_PER_PAGE), position))
            if not chunk:
                return position
            position, skip = chunk[-1][1], skip - len(chunk)
        return position


def lister(context: Any, key: str, path: str) -> Lister:
    """The Lister of the current request of a view (``context`` is its helpdesk.api.requests.RequestContext)."""
    request = context.request()
    deps = context.deps()
    params = dict(request.query_params or {})
    return Lister(key, path, params, public_base(deps, request.headers), cursor_key(deps))
