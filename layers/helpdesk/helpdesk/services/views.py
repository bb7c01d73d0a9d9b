"""The Views API's use cases (Zendesk's ``/api/v2/views``): manage views, and list and count a view's tickets.

A view's tickets are one index read chosen from its conditions (``helpdesk.domain.views.read_plan``), then the
conditions evaluated on what was read, then the sort: the cost grows with the tickets the narrowing conditions
leave, never with the tickets kept. The account's default views are written on the first use of the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain import automations
from helpdesk.domain import rule_values as rv
from helpdesk.domain.clock import iso
from helpdesk.domain.cursors import cursor_key, seal, unseal
from helpdesk.domain.errors import Forbidden, InvalidInput, NotFound
from helpdesk.domain.inputs import ascii_digits
from helpdesk.domain.rule_context import UpdateContext
from helpdesk.domain.tickets import Ticket
from helpdesk.domain.users import User
from helpdesk.domain.views import SORTS, View, default_views, order, read_plan, sort_column
from helpdesk.ports import ViewStore, ViewTickets
from helpdesk.services.api_tickets import ticket_to_api
from helpdesk.services.business_hours import default_schedule

COUNT_MANY_LIMIT = 20  # Zendesk's limit on ids a count_many asks for
MAX_OFFSET_PAGE = 100
MAX_PAGE_SIZE = 100


def _store(deps: Container) -> ViewStore:
    store: ViewStore = deps.views
    if not store.seeded():
        first = store.allocate_id()
        seeds = default_views(first, iso(deps.clock.now()) or "")
        for _ in seeds[1:]:
            store.allocate_id()  # the ids the defaults take, so later views never reuse one
        store.seed(seeds)
    return store


def _group_ids(deps: Container, caller: User) -> set[int]:
    return {m.group_id for m in deps.groups.memberships(user_id=caller.id)}


def _admin(caller: User) -> bool:
    return caller.role == "admin"


def visible_views(deps: Container, caller: User, active: str | None = None) -> list[View]:
    """The views the caller may see, in Zendesk's order (position, then id); ``active=true|false`` filters."""
    wanted: bool | None = None
    if active is not None:
        if active.lower() not in ("true", "false"):
            raise InvalidInput("active must be true or false")
        wanted = active.lower() == "true"
    groups = _group_ids(deps, caller)
    return [v for v in _store(deps).all()
            if v.visible_to(caller.id, groups, admin=_admin(caller)) and (wanted is None or v.active == wanted)]


def get_view(deps: Container, view_id: int, caller: User) -> View:
    """A view the caller may see (another agent's personal view is not found, as in Zendesk)."""
    try:
        view = _store(deps).get(view_id)
    except NotFound:
        raise NotFound(f"view {view_id} does not exist") from None
    if not view.visible_to(caller.id, _group_ids(deps, caller), admin=_admin(caller)):
        raise NotFound(f"view {view_id} does not exist")
    return view


def _may_write(view: View, caller: User) -> None:
    """Admins manage every view; an agent only personal views of their own."""
    if _admin(caller):
        return
    mine = view.restriction is not None and view.restriction["type"] == "User" and view.restriction["id"] == caller.id
    if not mine:
        raise Forbidden("agents may only manage their personal views (restriction {type: User, id: your id})")


def create_view(deps: Container, payload: Mapping[str, Any], caller: User) -> View:
    """A new view, after the others unless it says its ``position``."""
    store = _store(deps)
    view = View.from_api(payload, id=0, now_iso=iso(deps.clock.now()) or "")
    _may_write(view, caller)
    body = payload.get("view")
    position = view.position
    if isinstance(body, Mapping) and "position" not in body:  # as triggers: after the last one
        position = max((v.position for v in store.all()), default=0) + 1
    created = View(**{**view.__dict__, "id": store.allocate_id(), "position": position})
    store.put(created)
    return created


def update_view(deps: Container, view_id: int, payload: Mapping[str, Any], caller: User) -> View:
    existing = get_view(deps, view_id, caller)
    _may_write(existing, caller)
    view = View.from_api(payload, id=view_id, now_iso=iso(deps.clock.now()) or "", existing=existing)
    _may_write(view, caller)
    _store(deps).put(view)
    return view


def delete_view(deps: Container, view_id: int, caller: User) -> None:
    _may_write(get_view(deps, view_id, caller), caller)
    _store(deps).delete(view_id)


@dataclass(frozen=True)
class Listed:
    tickets: list[Ticket]
    truncated: bool
    items_read: int
    index: str


def _next_breach(ticket: Ticket) -> datetime | None:
    if ticket.status in ("solved", "closed"):
        return None
    dues = [t.due_at for t in ticket.sla_targets.values() if t.active and t.due_at is not None]  # None: paused
    return min(dues) if dues else None


def execute(deps: Container, view: View, caller: User) -> Listed:
    """The view's tickets, unsorted: the plan's read, then every condition on each ticket read."""
    now = deps.clock.now()
    plan = read_plan(view.conditions, caller.id, now)
    reader: ViewTickets = deps.view_tickets
    read = reader.read(plan)
    ctx = UpdateContext(update_type="Change", via="api", actor_role=caller.role, actor_id=caller.id)
    every, some = view.conditions.get("all") or [], view.conditions.get("any") or []
    business = any(str(c.get("operator", "")).endswith("_business_hours") for c in [*every, *some])
    schedule = default_schedule(deps) if business else None  # read only when a condition counts business hours
    found = []
    for ticket in read.tickets:
        snapshot = ticket.snapshot()
        clocks = automations.Clocks(now, _next_breach(ticket), schedule)
        if all(automations.holds(c, snapshot, ctx, clocks) for c in every) and (
                not some or any(automations.holds(c, snapshot, ctx, clocks) for c in some)):
            found.append(ticket)
    return Listed(found, read.truncated, read.items_read, plan.index)


def _sort_value(ticket: Ticket, column: str, names: Mapping[int, str]) -> Any:
    name = SORTS[column]
    if name == "priority":
        return rv.PRIORITY_RANK.get(ticket.priority or None, 0) or None
    if name == "status":
        return rv.STATUS_RANK.get(ticket.status)
    if name in ("requester", "assignee"):
        person = ticket.requester_id if name == "requester" else ticket.assignee_id
        return None if person is None else (names.get(person, "").casefold(), person)
    if name == "subject":
        return (ticket.subject or "").casefold() or None
    if name == "sla_next_breach_at":
        return _next_breach(ticket)
    return getattr(ticket, name)


def sort_tickets(deps: Container, tickets: list[Ticket], column: str, direction: str) -> list[Ticket]:
    """Sorted on the column (requester and assignee by name, as Zendesk sorts them), ties by id in the same
    direction; tickets without a value (no priority, no assignee, no running SLA target) come last either way."""
    names: dict[int, str] = {}
    if SORTS[column] in ("requester", "assignee"):
        people = [t.requester_id if SORTS[column] == "requester" else t.assignee_id for t in tickets]
        reader: ViewTickets = deps.view_tickets
        names = reader.user_names([p for p in people if p is not None])
    valued = [t for t in tickets if _sort_value(t, column, names) is not None]
    blank = sorted((t for t in tickets if _sort_value(t, column, names) is None), key=lambda t: t.id,
                   reverse=direction == "desc")
    valued.sort(key=lambda t: (_sort_value(t, column, names), t.id), reverse=direction == "desc")
    return valued + blank


def _cursor(deps: Container, view: View, offset: int, sort_by: str, sort_order: str, size: int) -> str:
    return seal(cursor_key(deps.secrets.survey_secret()), f"views/{view.id}",
                {"o": offset, "s": sort_by, "d": sort_order, "n": size})


def _from_cursor(deps: Container, view: View, text: str) -> tuple[int, str, str, int]:
    wrong = InvalidInput("page[after] must be the after_cursor of a previous page")
    data = unseal(cursor_key(deps.secrets.survey_secret()), f"views/{view.id}", text)
    if not isinstance(data, dict) or set(data) != {"o", "s", "d", "n"} or not all(
            isinstance(data[k], int) and not isinstance(data[k], bool) for k in ("o", "n")) or (
            data["o"] < 0 or not 1 <= data["n"] <= MAX_PAGE_SIZE or data["s"] not in SORTS
            or data["d"] not in ("asc", "desc")):
        raise wrong
    return data["o"], data["s"], data["d"], data["n"]


def _page_number(params: Mapping[str, str]) -> int | None:
    raw = params.get("page")
    if raw is None:
        return None
    if not ascii_digits(raw.strip()) or not 1 <= int(raw.strip()) <= MAX_OFFSET_PAGE:
        raise InvalidInput(f"page must be a number from 1 to {MAX_OFFSET_PAGE}; use page[after] to go further")
    return int(raw.strip())


@dataclass(frozen=True)
class TicketPage:
    tickets: list[dict[str, Any]]
    after: str | None  # cursor pagination
    page: int | None  # offset pagination: this page's number
    more: bool
    count: int


def tickets_page(deps: Container, view: View, caller: User, params: Mapping[str, str], size: int) -> TicketPage:
    """One page of the view's tickets sorted by ``sort_by`` / ``sort_order`` (the view's own sort unless given),
    by cursor (``page[after]``, the sort and the page size kept in the cursor) or by offset (``page``)."""
    sort_by = sort_column(params.get("sort_by", view.execution.sort_by))
    direction = order(params.get("sort_order", view.execution.sort_order), "sort_order")
    offset = 0
    number = _page_number(params)
    if number is not None:
        offset = (number - 1) * size
    elif params.get("page[after]"):
        offset, sort_by, direction, kept = _from_cursor(deps, view, str(params["page[after]"]))
        size = size if "page[size]" in params or "per_page" in params else kept
    listed = execute(deps, view, caller)
    ordered = sort_tickets(deps, listed.tickets, sort_by, direction)
    chunk = ordered[offset: offset + size]
    more = offset + size < len(ordered)
    after = _cursor(deps, view, offset + size, sort_by, direction, size) if more else None
    return TicketPage([ticket_to_api(t) for t in chunk], after, number, more, len(ordered))


def preview(deps: Container, payload: Mapping[str, Any], caller: User, size: int) -> dict[str, Any]:
    """Zendesk's ``POST /api/v2/views/preview``: a view's conditions and output run unsaved; ``rows`` and
    ``columns`` as Zendesk answers them (each row with its ticket)."""
    body = payload.get("view") if isinstance(payload, Mapping) else None
    draft = View.from_api({"view": {"title": "Preview", **(body if isinstance(body, Mapping) else {})}}, id=0,
                          now_iso=iso(deps.clock.now()) or "")
    listed = execute(deps, draft, caller)
    ordered = sort_tickets(deps, listed.tickets, draft.execution.sort_by, draft.execution.sort_order)[:size]
    columns = draft.execution.to_api()["columns"]
    rows = [{"ticket_id": t.id, "ticket": ticket_to_api(t), "subject": t.subject, "status": t.status,
             "priority": t.priority, "requester_id": t.requester_id, "assignee_id": t.assignee_id,
             "group_id": t.group_id, "created": iso(t.created_at), "updated": iso(t.updated_at)} for t in ordered]
    return {"rows": rows, "columns": columns, "groups": [], "count": len(listed.tickets)}


def count_of(deps: Container, view: View, caller: User) -> dict[str, Any]:
    """Zendesk's view count; ``fresh`` false and ``pretty`` "~N" when the view's read stopped at its limit."""
    listed = execute(deps, view, caller)
    value = len(listed.tickets)
    return {"view_id": view.id, "url": f"/api/v2/views/{view.id}/count.json", "value": value,
            "pretty": f"~{value}" if listed.truncated else str(value), "fresh": not listed.truncated,
            "active": view.active}


def count_many(deps: Container, ids: str | None, caller: User) -> list[dict[str, Any]]:
    """Counts of the views named (comma-separated ids, at most 20); views the caller cannot see are left out."""
    if not ids or not ids.strip():
        raise InvalidInput("ids is required: the comma-separated ids of the views to count")
    parts = [part.strip() for part in ids.split(",")]
    if any(not ascii_digits(part) for part in parts):
        raise InvalidInput("ids must be comma-separated view ids")
    wanted = list(dict.fromkeys(int(part) for part in parts))
    if len(wanted) > COUNT_MANY_LIMIT:
        raise InvalidInput(f"count_many counts at most {COUNT_MANY_LIMIT} views at a time")
    counts = []
    for view_id in wanted:
        try:
            view = get_view(deps, view_id, caller)
        except NotFound:
            continue
        counts.append(count_of(deps, view, caller))
    return counts

