"""What every view needs from the request: the request itself, the container, the authenticated caller, the
JSON body, ids from path segments, and Zendesk's listing envelope. One place, for the app and its blueprints."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Chalice, Request

from helpdesk.domain.errors import InvalidInput
from helpdesk.domain.inputs import ascii_digits, load_json
from helpdesk.domain.users import User


class RequestContext:
    def __init__(self, source: Chalice | Blueprint) -> None:
        self._source = source

    def request(self) -> Request:
        request: Request | None = self._source.current_request
        if request is None:  # pragma: no cover - Chalice sets it before calling a view
            raise RuntimeError("no current request")
        return request

    def deps(self) -> Any:
        from helpdesk.bootstrap import container

        return container()

    def caller(self) -> User:
        from helpdesk.services.auth import authenticate

        return authenticate(self.deps(), self.request().headers.get("authorization"))

    def json(self) -> dict[str, Any]:
        """The JSON object in the body, read with the nesting and number bounds of ``load_json`` (Chalice's
        ``json_body`` would let a deeply nested body through as a RecursionError)."""
        request = self.request()
        if not request.headers.get("content-type", "").startswith("application/json"):
            raise InvalidInput("the body must be a JSON object sent as application/json")
        body = load_json(request.raw_body or b"", "the body")
        if not isinstance(body, dict):
            raise InvalidInput("the body must be a JSON object")
        return body

    def listing(self, key: str, items: list[dict[str, Any]], path: str | None = None) -> dict[str, Any]:
        """A listing held whole in memory, paginated as Zendesk does (both styles: helpdesk.api.pagination);
        its links point at this request's path unless ``path`` is given."""
        from helpdesk.api.pagination import lister

        return lister(self, key, path or self.public_path()).from_list(items)

    def page_size(self) -> int:
        """Zendesk's ``page[size]`` (or ``per_page``): 100 unless given, from 1 to 100 (a 400 otherwise)."""
        from helpdesk.api.pagination import MAX_PER_PAGE

        params = dict(self.request().query_params or {})
        raw = (params.get("page[size]") or params.get("per_page") or str(MAX_PER_PAGE)).strip()
        if not ascii_digits(raw) or int(raw) < 1:
            raise InvalidInput(f"page[size] must be a whole number of 1 or more, not {raw!r}")
        return min(int(raw), MAX_PER_PAGE)

    def cursor_page(self, key: str, items: list[dict[str, Any]], after: str | None) -> dict[str, Any]:
        """Zendesk's cursor envelope for a listing whose own service signs its cursors (keeping its filters in
        them): ``meta``, and ``links.next`` as an absolute URL on the API's public base."""
        from urllib.parse import urlencode

        from helpdesk.api.pagination import public_base

        base = public_base(self.deps(), self.request().headers)
        link = f"{base}{self.public_path()}?{urlencode({'page[size]': self.page_size(), 'page[after]': after})}"
        return {key: items, "meta": {"has_more": after is not None, "after_cursor": after, "before_cursor": None},
                "links": {"next": link if after else None, "prev": None}}

    def public_path(self) -> str:
        """The path of this request as a client wrote it: the route with its variables filled in."""
        request = self.request()
        route = str((request.context or {}).get("resourcePath") or "")
        return route.format(**(request.uri_params or {}))


def path_id(raw: str, what: str) -> int:
    """API Gateway path parameters are whole segments: ``/tickets/42.json`` arrives as ``42.json``."""
    value = raw.removesuffix(".json")
    if not ascii_digits(value):
        raise InvalidInput(f"{raw!r} is not a {what} id")
    return int(value)
