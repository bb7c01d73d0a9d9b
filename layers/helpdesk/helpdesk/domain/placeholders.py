"""Zendesk-style placeholders (``{{ticket.id}}``) in notification subjects and bodies, rendered as Liquid.

Templates are Liquid (python-liquid, imported on first use): ``{{ticket.id}}``, ``{{ticket.title}}`` (the
subject), ``{{ticket.status}}``, ``{{ticket.requester.name}}``, ``{{ticket.latest_comment}}``, ``{{ticket.url}}``,
``{{satisfaction.rating_url}}`` and any other path the context holds, plus Liquid's filters and tags
(``{{ ticket.title | upcase }}``, ``{% if ticket.priority == "urgent" %}``). Liquid is a template language, not
code: nothing in a template can call Python, and loops and output are capped. Unknown names render as ``""``;
lists render space-separated (``{{ticket.tags}}``) and mappings as ``""``, as Zendesk does. A template that is
not valid Liquid still renders its plain ``{{ dotted.names }}`` and leaves the rest as written.

``escape=True`` HTML-escapes every substituted value (the target is HTML); a function escapes every text value
of the context with it (for example JSON string escaping for webhook bodies). Literal template text is never
escaped.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_PATH = re.compile(r"[A-Za-z_][\w-]*(?:\.[\w-]+)*")
_ALIASES = {"ticket.title": "ticket.subject"}
MAX_TEMPLATE_CHARS = 64 * 1024

Escape = bool | Callable[[str], str] | None


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


class _Object(dict[str, Any]):
    """A mapping in the render context: looked up by Liquid, rendered as nothing."""

    def __str__(self) -> str:
        return ""


class _List(tuple[Any, ...]):
    """A list in the render context: iterable in Liquid, rendered space-separated."""

    def __str__(self) -> str:
        return " ".join(_text(item) for item in self)


def _prepared(value: Any, escape: Callable[[str], str] | None) -> Any:
    if isinstance(value, Mapping):
        return _Object({str(k): _prepared(v, escape) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return _List(_prepared(item, escape) for item in value)
    if isinstance(value, str) and escape is not None:
        return escape(value)
    return value


@functools.lru_cache(maxsize=2)
def _environment(autoescape: bool) -> Any:
    from liquid import Environment

    class Sandboxed(Environment):
        loop_iteration_limit = 1000
        local_namespace_limit = 10_000
        output_stream_limit = 256 * 1024
        context_depth_limit = 10

    return Sandboxed(autoescape=autoescape)


@functools.lru_cache(maxsize=512)
def _compiled(template: str, autoescape: bool) -> Any:
    return _environment(autoescape).from_string(template)


def _plain(template: str, context: Mapping[str, Any], escape: Callable[[str], str] | None) -> str:
    """Only ``{{ dotted.name }}`` substitutions: for text that is not valid Liquid."""

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


def _with_aliases(context: Mapping[str, Any]) -> Mapping[str, Any]:
    ticket = context.get("ticket")
    if isinstance(ticket, Mapping) and ticket.get("title") is None and ticket.get("subject") is not None:
        return {**context, "ticket": {**ticket, "title": ticket["subject"]}}
    return context


def render(template: str, context: Mapping[str, Any], *, escape: Escape = None) -> str:
    """``template`` rendered with ``context``; see the module's description for ``escape``."""
    if "{" not in template:
        return template
    from liquid.exceptions import LiquidError

    context = _with_aliases(context)
    autoescape = escape is True
    value_escape = escape if callable(escape) else None
    if len(template) <= MAX_TEMPLATE_CHARS:
        try:
            prepared = _prepared(context, value_escape)
            return str(_compiled(template, autoescape).render(**prepared))
        except (LiquidError, RecursionError):
            pass
    plain_escape = html.escape if autoescape else value_escape
    return _plain(template, context, plain_escape)
