"""Zendesk's Satisfaction Ratings API, read-only: the ratings recorded by the surveys (``services.surveys``), listed
through the tickets' ``by_rating`` index, never a scan. A ticket has at most one rating, so a rating's id is its
ticket's id (as a ticket metric set's is). Listed newest first by when it was rated (or offered, when the survey
went out and no answer came yet)."""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.clock import iso, to_epoch
from helpdesk.domain.cursors import cursor_key, seal, unseal
from helpdesk.domain.errors import InvalidInput, NotFound, TicketNotFound
from helpdesk.domain.inputs import ascii_digits
from helpdesk.domain.satisfaction_ratings import rating_time
from helpdesk.domain.tickets import Ticket
from helpdesk.ports import SatisfactionRatings

# score filter -> (the index partitions read, the comment wanted: True, False or None for either)
SCORES: dict[str, tuple[tuple[str, ...], bool | None]] = {
    "offered": (("offered",), None), "unoffered": ((), None),
    "received": (("good", "bad"), None), "received_with_comment": (("good", "bad"), True),
    "received_without_comment": (("good", "bad"), False),
    "good": (("good",), None), "good_with_comment": (("good",), True), "good_without_comment": (("good",), False),
    "bad": (("bad",), None), "bad_with_comment": (("bad",), True), "bad_without_comment": (("bad",), False),
}
EVERY = (("offered", "good", "bad"), None)


def rating_at(ticket: Ticket) -> int:
    moment = rating_time(ticket)
    return to_epoch(moment) if moment is not None else 0


def rating_to_api(ticket: Ticket) -> dict[str, Any]:
    sat = ticket.satisfaction
    return {
        "id": ticket.id, "url": f"/api/v2/satisfaction_ratings/{ticket.id}.json", "assignee_id": ticket.assignee_id,
        "group_id": ticket.group_id, "requester_id": ticket.requester_id, "ticket_id": ticket.id,
        "score": sat.score, "comment": sat.comment or None, "reason": None, "reason_id": None,
        "created_at": iso(sat.offered_at or rating_time(ticket)), "updated_at": iso(rating_time(ticket)),
    }


def rating(deps: Container, rating_id: int) -> dict[str, Any]:
    try:
        ticket = deps.tickets.get(rating_id)
    except TicketNotFound:
        ticket = None
    if ticket is None or ticket.satisfaction.score == "unoffered":
        raise NotFound(f"satisfaction rating {rating_id} does not exist")
    return rating_to_api(ticket)


def _epoch(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    if not ascii_digits(raw.strip()) or len(raw.strip()) > 12:
        raise InvalidInput(f"{name} must be a Unix time in seconds")
    return int(raw.strip())


@dataclass(frozen=True)
class Query:
    score: str | None
    start: int | None
    end: int | None
    at: int | None = None  # where the previous page stopped: ratings at or before this second ...
    seen: tuple[int, ...] = ()  # ... but not these, already given at that second


SCOPE = "satisfaction_ratings"


def _cursor(deps: Container, query: Query) -> str:
    data = {"s": query.score, "b": query.start, "e": query.end, "t": query.at, "i": list(query.seen)}
    return seal(cursor_key(deps.secrets.survey_secret()), SCOPE, data)


def _from_cursor(deps: Container, text: str) -> Query:
    wrong = InvalidInput("page[after] must be the after_cursor of a previous page")
    data = unseal(cursor_key(deps.secrets.survey_secret()), SCOPE, text)

    def number(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**12

    valid = (isinstance(data, dict) and set(data) == {"s", "b", "e", "t", "i"}
             and (data["s"] is None or data["s"] in SCORES) and all(
                 data[k] is None or number(data[k]) for k in ("b", "e")) and number(data["t"])
             and isinstance(data["i"], list) and len(data["i"]) <= 1000 and all(number(i) for i in data["i"]))
    if not valid:
        raise wrong
    return Query(data["s"], data["b"], data["e"], data["t"], tuple(data["i"]))


def _query(deps: Container, params: Mapping[str, str]) -> Query:
    if params.get("page[after]"):
        return _from_cursor(deps, str(params["page[after]"]))
    score = params.get("score")
    if score is not None and score not in SCORES:
        raise InvalidInput(f"score must be one of {', '.join(SCORES)}")
    start, end = _epoch(params, "start_time"), _epoch(params, "end_time")
    if start is not None and end is not None and start > end:
        raise InvalidInput("start_time must not be after end_time")
    return Query(score, start, end)


def _merged(deps: Container, query: Query) -> Iterator[Ticket]:
    partitions, commented = SCORES[query.score] if query.score else EVERY
    reader: SatisfactionRatings = deps.satisfaction_ratings
    end = query.end if query.at is None else min(query.at, query.end if query.end is not None else query.at)
    streams = [reader.newest_first(score, query.start, end) for score in partitions]
    for ticket in heapq.merge(*streams, key=lambda t: -rating_at(t)):
        if query.at is not None and rating_at(ticket) == query.at and ticket.id in query.seen:
            continue
        if commented is not None and bool(ticket.satisfaction.comment) != commented:
            continue
        yield ticket


def list_ratings(deps: Container, params: Mapping[str, str], size: int) -> tuple[list[dict[str, Any]], str | None]:
    """One page of ratings (``score``, ``start_time``, ``end_time`` kept in the cursor) and the next cursor."""
    query = _query(deps, params)
    stream = _merged(deps, query)
    page = [ticket for _, ticket in zip(range(size), stream, strict=False)]
    if not page or next(stream, None) is None:
        return [rating_to_api(t) for t in page], None
    last = rating_at(page[-1])
    seen = [t.id for t in page if rating_at(t) == last]
    if query.at == last:
        seen += list(query.seen)
    after = _cursor(deps, Query(query.score, query.start, query.end, last, tuple(seen)))
    return [rating_to_api(t) for t in page], after
