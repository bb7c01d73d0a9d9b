"""Property: over random ticket histories, the SLA metric events apply_sla writes as the ticket changes agree with
an independent replay of the history (instances started and stopped, time measured between pauses)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.domain import sla
from helpdesk.domain.errors import HelpdeskError
from helpdesk.domain.tickets import Actor, NewComment, Ticket, change_ticket, open_ticket

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LONG = 400 * 24 * 60  # no target breaches: the events are activate, pause, fulfill, update_status
POLICY = sla.SlaPolicy.from_api({"title": "All", "policy_metrics": [
    {"priority": "normal", "metric": m, "target": LONG} for m in sla.METRICS]}, id=1)
PAUSED = {"first_reply_time": set(), "total_resolution_time": set(), "requester_wait_time": {"pending"},
          "agent_work_time": {"pending", "hold"}, "pausable_update_time": {"pending"}}
ACTIONS = st.lists(st.tuples(
    st.sampled_from(["requester", "agent_reply", "note", "open", "pending", "hold", "solved"]),
    st.integers(min_value=1, max_value=600)), max_size=25)


def _step(ticket: Ticket, action: str, at: datetime) -> Ticket | None:
    requester, agent = Actor("end-user", 7), Actor("agent", 1)
    if action == "agent_reply" and ticket.status == "solved":
        return None  # (a reply on a solved ticket leaves it solved: not part of this replay)
    try:
        if action == "requester":
            return change_ticket(ticket, actor=requester, via="web", now=at,
                                 comment=NewComment("more", True, 7, "web")).ticket
        if action in ("agent_reply", "note"):
            return change_ticket(ticket, actor=agent, via="web", now=at,
                                 comment=NewComment("x", action == "agent_reply", 1, "web")).ticket
        return change_ticket(ticket, actor=agent, via="web", now=at, fields={"status": action}).ticket
    except HelpdeskError:
        return None  # an update that changes nothing, or a transition the ticket refuses


def _replay(history: list[tuple[datetime, str, str]], end: datetime) -> dict[str, list[int]]:
    """Minutes measured by each finished instance of each metric, from the history alone: (time, action, status
    after the action), the first entry being the creation."""
    spans: dict[str, list[int]] = {m: [] for m in PAUSED}
    open_since: dict[str, datetime | None] = {m: None for m in PAUSED}
    counted: dict[str, float] = {m: 0.0 for m in PAUSED}
    status_before = None
    for n, (at, action, status) in enumerate(history):
        solved = status == "solved"
        reopened = status_before == "solved" and not solved
        stops = {m for m in PAUSED if open_since[m] is not None and (
            solved or (m == "first_reply_time" and action == "agent_reply")
            or (m == "pausable_update_time" and action == "agent_reply"))}
        for m in stops:
            spans[m].append(round(counted[m] / 60))
            open_since[m] = None
        starts = set()
        if n == 0 or reopened:
            starts |= {"requester_wait_time", "agent_work_time", "total_resolution_time"}
        if n == 0:
            starts.add("first_reply_time")
        if action == "agent_reply" and not solved:
            starts.add("pausable_update_time")
        for m in starts:
            if open_since[m] is None:
                open_since[m], counted[m] = at, 0.0
        following = history[n + 1][0] if n + 1 < len(history) else end
        for m in PAUSED:
            if open_since[m] is not None and status not in PAUSED[m]:
                counted[m] += (following - at).total_seconds()
        status_before = status
    return spans


@settings(max_examples=150, deadline=None)
@given(ACTIONS)
def test_metric_events_agree_with_a_replay_of_the_history(actions: list[tuple[str, int]]) -> None:
    ticket = open_ticket(ticket_id=1, subject="s", comment=NewComment("Help", True, 7, "web"), requester_id=7,
                         actor=Actor("end-user", 7), via="web", now=START).ticket
    events = sla.apply_sla(ticket, [POLICY], START)
    history: list[tuple[datetime, str, str]] = [(START, "create", ticket.status)]
    at = START
    for action, gap in actions:
        at += timedelta(minutes=gap)
        changed = _step(ticket, action, at)
        if changed is None:
            continue
        ticket = changed
        events += sla.apply_sla(ticket, [POLICY], at)
        history.append((at, action, ticket.status))
    finished: dict[str, list[int]] = {m: [] for m in PAUSED}
    for event in events:
        if event.type == "update_status" and event.metric in finished:
            finished[event.metric].append(int(event.detail["status"]["calendar"]))
    assert finished == _replay(history, at)
    for metric in sla.METRICS:  # each instance: activate first, then pause/activate alternating, one fulfil
        by_instance: dict[int, list[str]] = {}
        for event in events:
            if event.metric == metric:
                by_instance.setdefault(event.instance_id, []).append(event.type)
        for kinds in by_instance.values():
            flow = [k for k in kinds if k in ("activate", "pause")]
            assert flow[0] == "activate" and all(a != b for a, b in itertools.pairwise(flow))
            assert kinds.count("fulfill") <= 1 and "breach" not in kinds
        assert sorted(by_instance) == list(range(1, len(by_instance) + 1))


