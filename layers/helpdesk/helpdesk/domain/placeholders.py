"""Zendesk-style placeholders (``{{ticket.id}}``) in notification subjects and bodies.

Only dotted names are looked up in the context mapping: ``{{ticket.id}}``, ``{{ticket.title}}`` (the
subject), ``{{ticket.status}}``, ``{{ticket.priority}}``, ``{{ticket.requester.name}}``,
``{{ticket.latest_comment}}``, ``{{ticket.url}}``, ``{{satisfaction.rating_url}}`` and any other path the
context holds. Unknown names, empty values and anything that is not a plain dotted name (Liquid filters,
expressions) render as ``""``: nothing in a template is ever evaluated. Whitespace inside the braces is
fine. Lists render space-separated (``{{ticket.tags}}``); mappings render as ``""``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_PATH = re.compile(r"[A-Za-z_][\w-]*(?:\.[\w-]+)*")
_ALIASES = {"ticket.title": "ticket.subject"}


def lookup(path: str, context: Mapping[str, Any]) -> Any:
    """The value at a dotted path, or None when any step is missing."""
    value: Any = context
    for step in path.split("."):
        if not isinstance(value, Mapping) or step not in value:
            return None
        value = value[step]
    return value


def _text(value: Any) -> str:
    if value is None or isinstance(value, Mapping):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return " ".join(_text(item) for item in value)
    return str(value)


def render(template: str, context: Mapping[str, Any], *, escape: Callable[[str], str] | None = None) -> str:
    """Replace each ``{{ name }}`` in ``template`` by its value in ``context``, passed through ``escape``."""

    def substitute(match: re.Match[str]) -> str:
        path = match.group(1).strip()
        if not _PATH.fullmatch(path):
            return ""
        value = lookup(path, context)
        if value is None and path in _ALIASES:
            value = lookup(_ALIASES[path], context)
        text = _text(value)
        return escape(text) if escape is not None else text

    return _PLACEHOLDER.sub(substitute, template)
