"""What the business-rule blueprints (schedules, automations, rule sets) share: the caller, the JSON body,
the id in the path (``7`` or ``7.json``) and Zendesk's list envelope."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalice.app import BadRequestError, Blueprint, Request

from helpdesk.domain.errors import InvalidInput
from helpdesk.domain.users import User


def deps() -> Any:
    from helpdesk.bootstrap import container

    return container()


def request_of(blueprint: Blueprint) -> Request:
    request = blueprint.current_request
    if request is None:  # pragma: no cover - Chalice sets it before calling a view
        raise RuntimeError("no current request")
    return request


def caller(blueprint: Blueprint) -> User:
    from helpdesk.services.auth import authenticate

    return authenticate(deps(), request_of(blueprint).headers.get("authorization"))


def body(blueprint: Blueprint) -> dict[str, Any]:
    try:
        payload = request_of(blueprint).json_body
    except BadRequestError as exc:  # malformed JSON
        raise InvalidInput("the body must be a JSON object") from exc
    if not isinstance(payload, dict):
        raise InvalidInput("the body must be a JSON object")
    return payload


def path_id(raw: str, what: str) -> int:
    value = raw[:-5] if raw.endswith(".json") else raw
    if not value.isdigit():
        raise InvalidInput(f"{raw!r} is not a {what} id")
    return int(value)


def listing(name: str, items: Sequence[Any]) -> dict[str, Any]:
    found = [item.to_api() for item in items]
    return {name: found, "next_page": None, "previous_page": None, "count": len(found)}
