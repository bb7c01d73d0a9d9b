"""Zendesk takes a trigger's or an automation's conditions either as ``conditions: {all, any}`` or as ``all`` and
``any`` at the top level of the rule (the form its own admin interface and many scripts post). Both read the same
here; a body giving both forms is refused, since one of them would be silently dropped."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpdesk.domain.errors import InvalidRule

TOP_LEVEL = ("all", "any")


def with_conditions(data: Mapping[str, Any]) -> dict[str, Any]:
    """The rule body with top-level ``all`` / ``any`` moved into ``conditions``."""
    body = dict(data)
    given = [name for name in TOP_LEVEL if name in body]
    if not given:
        return body
    if "conditions" in body:
        raise InvalidRule("give the conditions either as conditions: {all, any} or as top-level all and any, "
                          "not both")
    body["conditions"] = {name: body.pop(name) if name in given else [] for name in TOP_LEVEL}
    return body
