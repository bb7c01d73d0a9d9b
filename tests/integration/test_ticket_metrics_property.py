"""Ticket metrics kept with each write equal a recomputation from the ticket's audits, over random histories.

Each example opens a ticket as its requester and runs a random history through the real use case that saves every
ticket change (``helpdesk.services.common.commit``, on the moto stack): time passing, status changes (solve,
reopen, close), public and private agent comments, requester comments (which reopen), assignee and group changes.
The metrics are then read through ``GET /api/v2/tickets/{id}/metrics.json`` and compared with what the oracle
below computes from the stored audits alone: a deliberately plain walk over the audits, with business minutes
counted minute by minute in a Monday-to-Friday 09:00-17:00 UTC schedule with a holiday (the account's default
schedule, created through the API).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.support import Pipeline

HOLIDAY = date(2026, 11, 26)
OFFICE = {"schedule": {
    "name": "Office", "time_zone": "UTC",
    "intervals": [{"start_time": day * 1440 + 540, "end_time": day * 1440 + 1020} for day in range(1, 6)],
    "holidays": [{"name": "Thanksgiving", "start_date": HOLIDAY.isoformat(), "end_date": HOLIDAY.isoformat()}],
}}
AGENTS = ("ada@helpdesk.example", "bo@helpdesk.example")
REQUESTER = "rita@customer.example"


@pytest.fixture(scope="module")
def stack(module_pipeline: Pipeline) -> Iterator[tuple[Pipeline, int, list[int]]]:
    p = module_pipeline
    p.json("POST", "/api/v2/business_hours/schedules.json", OFFICE, expect=201)
    deps = p.deps()
    agents = [deps.users.ensure(address, address.split("@")[0], role="agent").id for address in AGENTS]
    yield p, deps.users.ensure(REQUESTER, "Rita").id, agents


# ------------------------------------------------------------------------------------------------ the oracle

def _business_minutes(start: datetime, end: datetime) -> int:
    """Minute by minute: weekdays 09:00-17:00 UTC, the holiday excluded."""
    count, moment = 0, start
    while moment < end:
        if moment.weekday() < 5 and 9 <= moment.hour < 17 and moment.date() != HOLIDAY:
            count += 1
        moment += timedelta(minutes=1)
    return count


def _span(start: datetime, end: datetime) -> dict[str, int]:
    return {"calendar": round((end - start).total_seconds() / 60), "business": _business_minutes(start, end)}


def _add(total: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    return {key: total[key] + more[key] for key in total}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


class Oracle:
    """Zendesk's ticket metrics from the audit trail alone (zendesk_semantics.md 7.1)."""

    UNSET = {"calendar": None, "business": None}

    def __init__(self, created: datetime) -> None:
        zero = {"calendar": 0, "business": 0}
        self.created, self.status, self.since = created, "new", created
        self.assignee: Any = None
        self.group: Any = None
        self.out: dict[str, Any] = {
            "reply_time_in_minutes": self.UNSET, "first_resolution_time_in_minutes": self.UNSET,
            "full_resolution_time_in_minutes": self.UNSET, "agent_wait_time_in_minutes": zero,
            "requester_wait_time_in_minutes": zero, "on_hold_time_in_minutes": zero, "reopens": 0, "replies": 0,
            "assignee_stations": 0, "group_stations": 0, "assigned_at": None, "initially_assigned_at": None,
            "assignee_updated_at": None, "requester_updated_at": None, "solved_at": None,
            "latest_comment_added_at": None,
        }

    def status_change(self, value: str, at: datetime) -> None:
        out, stretch = self.out, _span(self.since, at)
        waits = {"new": ["requester_wait"], "open": ["requester_wait"], "hold": ["requester_wait", "on_hold"],
                 "pending": ["agent_wait"]}
        for name in waits.get(self.status, []):
            out[f"{name}_time_in_minutes"] = _add(out[f"{name}_time_in_minutes"], stretch)
        resolved = ("solved", "closed")
        if self.status == "solved" and value not in resolved:
            out["reopens"] += 1
        if value in resolved and self.status not in resolved:
            if out["first_resolution_time_in_minutes"] == self.UNSET:
                out["first_resolution_time_in_minutes"] = _span(self.created, at)
            out["full_resolution_time_in_minutes"] = _span(self.created, at)
            out["solved_at"] = _iso(at)
        self.status, self.since = value, at

    def assignee_change(self, value: Any, at: datetime) -> None:
        self.assignee = value
        if value is not None:
            self.out["assignee_stations"] += 1
            self.out["assigned_at"] = _iso(at)
            self.out["initially_assigned_at"] = self.out["initially_assigned_at"] or _iso(at)

    def comment(self, public: bool, by_agent: bool, first: bool, at: datetime) -> None:
        self.out["latest_comment_added_at"] = _iso(at)
        if public and by_agent and not first:
            self.out["replies"] += 1
            if self.out["reply_time_in_minutes"] == self.UNSET:
                self.out["reply_time_in_minutes"] = _span(self.created, at)


def recompute(audits: list[dict[str, Any]], requester_id: int) -> dict[str, Any]:
    oracle = Oracle(_parse(audits[0]["created_at"]))
    for number, audit in enumerate(audits):
        at = _parse(audit["created_at"])
        for event in audit["events"]:
            field, value = event.get("field_name"), event.get("value")
            if field == "status" and value != oracle.status:
                oracle.status_change(value, at)
            elif field == "assignee_id" and value != oracle.assignee:
                oracle.assignee_change(value, at)
            elif field == "group_id" and value != oracle.group:
                oracle.group = value
                oracle.out["group_stations"] += 1 if value is not None else 0
            elif event.get("type") == "Comment":
                agent = audit["metadata"]["system"]["actor"] in ("agent", "admin")
                oracle.comment(event["public"], agent, number == 0, at)
        if audit["author_id"] == requester_id:
            oracle.out["requester_updated_at"] = _iso(at)
        if oracle.assignee is not None and audit["author_id"] == oracle.assignee:
            oracle.out["assignee_updated_at"] = _iso(at)
    return {**oracle.out, "status_updated_at": _iso(oracle.since), "created_at": _iso(oracle.created),
            "updated_at": audits[-1]["created_at"]}


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


# --------------------------------------------------------------------------------------- random histories

WAIT = st.tuples(st.just("wait"), st.integers(min_value=0, max_value=36 * 60))
STEP = st.one_of(
    WAIT, WAIT,
    st.tuples(st.just("status"), st.sampled_from(["open", "pending", "hold", "solved", "solved", "closed"])),
    st.tuples(st.just("agent_comment"), st.booleans()),
    st.tuples(st.just("requester_comment"), st.just(True)),
    st.tuples(st.just("assign"), st.sampled_from([0, 1, None])),
    st.tuples(st.just("group"), st.sampled_from([7, 8, None])),
)


def _run(p: Pipeline, requester: int, agents: list[int], steps: list[tuple[str, Any]], agent_opens: bool,
         acting: int) -> int:
    from helpdesk.domain.errors import InvalidInput, InvalidTransition
    from helpdesk.domain.tickets import Actor, NewComment, change_ticket, open_ticket
    from helpdesk.services.common import commit

    deps = p.deps()
    agent = Actor("agent", agents[acting])
    opener = agent if agent_opens else Actor("end-user", requester)
    first = NewComment(body="My order never came", public=True, author_id=opener.id or requester, via="api")
    created = open_ticket(ticket_id=deps.tickets.allocate_id(), subject="Order", comment=first,
                          requester_id=requester, actor=opener, via="api", now=deps.clock.now())
    commit(deps, created)
    number = created.ticket.id
    for kind, value in steps:
        if kind == "wait":
            p.clock.advance(timedelta(minutes=value))
            continue
        actor, fields, comment = agent, {}, None
        if kind == "status":
            fields = {"status": value}
        elif kind == "assign":
            fields = {"assignee_id": None if value is None else agents[value]}
        elif kind == "group":
            fields = {"group_id": value}
        elif kind == "agent_comment":
            comment = NewComment(body="Looking into it", public=value, author_id=agents[acting], via="api")
        else:
            actor = Actor("end-user", requester)
            comment = NewComment(body="Any news?", public=True, author_id=requester, via="api")
        try:
            update = change_ticket(deps.tickets.get(number), actor=actor, via="api", now=deps.clock.now(),
                                   fields=fields, comment=comment)
        except (InvalidInput, InvalidTransition):
            continue  # closed, or nothing changed: no write, no audit
        commit(deps, update)
    return number


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@example(steps=[("wait", 30), ("group", 7), ("assign", 0), ("wait", 90), ("agent_comment", False),
                ("status", "hold"), ("wait", 600), ("status", "pending"), ("wait", 1500), ("requester_comment", True),
                ("wait", 45), ("agent_comment", True), ("assign", 1), ("status", "solved"), ("wait", 2000),
                ("requester_comment", True), ("wait", 4000), ("group", None), ("status", "solved"),
                ("status", "closed")], agent_opens=False, acting=0)
@example(steps=[("assign", 1), ("wait", 61), ("agent_comment", True), ("wait", 300), ("status", "closed"),
                ("wait", 5), ("requester_comment", True)], agent_opens=True, acting=1)
@given(steps=st.lists(STEP, min_size=6, max_size=24), agent_opens=st.booleans(),
       acting=st.sampled_from([0, 1]))
def test_stored_metrics_equal_a_recomputation_from_the_audits(
    stack: tuple[Pipeline, int, list[int]], steps: list[tuple[str, Any]], agent_opens: bool, acting: int,
) -> None:
    p, requester, agents = stack
    number = _run(p, requester, agents, steps, agent_opens, acting)
    stored = p.json("GET", f"/api/v2/tickets/{number}/metrics.json")["ticket_metric"]
    audits = p.json("GET", f"/api/v2/tickets/{number}/audits.json")["audits"]
    expected = recompute(audits, requester)
    assert stored == {"id": number, "ticket_id": number, **expected}
