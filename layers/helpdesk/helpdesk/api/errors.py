"""The one place where typed errors become HTTP responses (Zendesk's error envelope)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from chalice.app import Response

from helpdesk.adapters.settings import MissingSetting
from helpdesk.domain import errors

F = TypeVar("F", bound=Callable[..., Any])

STATUS: list[tuple[type[errors.HelpdeskError], int, str]] = [
    (errors.VisitorTokenRejected, 401, "InvalidVisitorToken"),
    (errors.InvalidSignature, 401, "InvalidSignature"),
    (errors.NotAuthenticated, 401, "Couldn't authenticate you"),
    (errors.Forbidden, 403, "Forbidden"),
    (errors.ReplayedRequest, 406, "NotAcceptable"),
    (errors.TicketNotFound, 404, "RecordNotFound"),
    (errors.NotFound, 404, "RecordNotFound"),
    (errors.Gone, 410, "Gone"),
    (errors.UpdateConflict, 409, "UpdateConflict"),
    (errors.ConcurrentUpdate, 409, "Conflict"),
    (errors.InvalidRule, 422, "RecordInvalid"),
    (errors.InvalidRecord, 422, "RecordInvalid"),
    (errors.InvalidTransition, 422, "RecordInvalid"),
    (errors.ContentTooLarge, 413, "PayloadTooLarge"),
    (errors.InvalidInput, 400, "InvalidInput"),
    (errors.Unavailable, 503, "ServiceUnavailable"),
]


def error_response(exc: errors.HelpdeskError) -> Response:
    for kind, status, title in STATUS:
        if isinstance(exc, kind):
            headers: dict[str, str | list[str]] = (
                {"WWW-Authenticate": _challenge(exc)} if status == 401 else {})
            return Response(body={"error": title, "description": str(exc)}, status_code=status, headers=headers)
    raise exc


def _challenge(exc: errors.HelpdeskError) -> str:
    """Basic for the API's users; the web chat's own scheme for its visitors, whose browser must not pop up a
    password prompt."""
    return 'VisitorToken realm="chat"' if isinstance(exc, errors.VisitorTokenRejected) else 'Basic realm="helpdesk"'


def mapped(view: F) -> F:
    """Decorate a view: typed errors become their HTTP response; anything else stays a 500 and is logged."""

    @functools.wraps(view)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except MissingSetting:
            raise
        except errors.HelpdeskError as exc:
            return error_response(exc)

    return run  # type: ignore[return-value]
