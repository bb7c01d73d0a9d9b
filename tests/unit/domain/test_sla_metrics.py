"""The seven SLA metrics, each through its start, pauses and resumes in every status, stop, reopen, a policy
change mid-flight, business hours with a holiday and a schedule change, and 15-second and 30-day targets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from helpdesk.domain import sla
from helpdesk.domain.business_hours import Schedule
from helpdesk.domain.errors import InvalidRule
from helpdesk.domain.tickets import Actor, NewComment, Ticket, change_ticket, open_ticket

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
REQUESTER, AGENT = 7, 1
STATUSES = ("new", "open", "pending", "hold")
PAUSES = {
    "first_reply_time": set(), "next_reply_time": set(), "periodic_update_time": set(),
    "pausable_update_time": {"pending"}, "requester_wait_time": {"pending"},
    "agent_work_time": {"pending", "hold"}, "total_resolution_time": set(),
}
assert set(PAUSES) == set(sla.METRICS)


def office(id: int = 1, holidays: Sequence[str] = ("2026-11-30",), hours: tuple[int, int] = (9, 17)) -> Schedule:
    """Monday to Friday, ``hours`` UTC, with the given one-day holidays."""
    start, end = hours[0] * 60, hours[1] * 60
    return Schedule.from_api({"name": f"Office {id}", "time_zone": "UTC",
                              "intervals": [{"start_time": day * 1440 + start, "end_time": day * 1440 + end}
                                            for day in range(1, 6)],
                              "holidays": [{"name": "h", "start_date": d, "end_date": d} for d in holidays]},
                             id=id, now_iso="2026-01-01T00:00:00Z")


def policy(*metrics: dict[str, Any], id: int = 1, position: int = 1, filter: dict[str, Any] | None = None,
           schedule_id: int | None = None) -> sla.SlaPolicy:
    body: dict[str, Any] = {"title": f"P{id}", "position": position, "policy_metrics": list(metrics),
                            "filter": filter or {"all": [], "any": []}}
    if schedule_id is not None:
        body["schedule_id"] = schedule_id
    return sla.SlaPolicy.from_api(body, id=id)


def target(metric: str, minutes: int = 60, priority: str = "normal", **extra: Any) -> dict[str, Any]:
    return {"priority": priority, "metric": metric, "target": minutes, **extra}


class Story:
    """A ticket's life, with apply_sla run after every write as the services do."""

    def __init__(self, *policies: sla.SlaPolicy, schedules: Sequence[Schedule] = (), at: datetime = MONDAY,
                 status: str | None = None, priority: str | None = None) -> None:
        self.policies, self.schedules = list(policies), list(schedules)
        fields: dict[str, Any] = {}
        if status:
            fields["status"] = status
        if priority:
            fields["priority"] = priority
        self.ticket: Ticket = open_ticket(
            ticket_id=1, subject="s", comment=NewComment(body="Help", public=True, author_id=REQUESTER, via="web"),
            requester_id=REQUESTER, actor=Actor("end-user", REQUESTER), via="web", now=at, fields=fields).ticket
        self.events = sla.apply_sla(self.ticket, self.policies, at, self.schedules)

    def _write(self, at: datetime, actor: Actor, fields: dict[str, Any] | None = None,
               comment: NewComment | None = None) -> None:
        self.ticket = change_ticket(self.ticket, actor=actor, via="web", now=at, fields=fields, comment=comment).ticket
        self.events += sla.apply_sla(self.ticket, self.policies, at, self.schedules)

    def requester_says(self, at: datetime) -> None:
        self._write(at, Actor("end-user", REQUESTER), comment=NewComment("more", True, REQUESTER, "web"))

    def agent_replies(self, at: datetime, **fields: Any) -> None:
        self._write(at, Actor("agent", AGENT), fields, NewComment("answer", True, AGENT, "web"))

    def agent_notes(self, at: datetime) -> None:
        self._write(at, Actor("agent", AGENT), comment=NewComment("note", False, AGENT, "web"))

    def agent_sets(self, at: datetime, **fields: Any) -> None:
        self._write(at, Actor("agent", AGENT), fields)

    def t(self, metric: str) -> Any:
        return self.ticket.sla_targets[metric]

    def kinds(self, metric: str) -> list[tuple[int, str]]:
        return [(e.instance_id, e.type) for e in self.events if e.metric == metric]


def at(minutes: float) -> datetime:
    return MONDAY + timedelta(minutes=minutes)


# --- starts -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("metric", ["first_reply_time", "requester_wait_time", "agent_work_time",
                                    "total_resolution_time"])
def test_creation_starts_the_metrics_that_start_at_creation(metric: str) -> None:
    story = Story(policy(target(metric, 60)))
    assert story.t(metric).start_at == MONDAY and story.t(metric).due_at == at(60)
    assert sla.view.stage(story.t(metric)) == "active"
    assert story.kinds(metric)[:2] == [(1, "activate"), (1, "apply_sla")]


@pytest.mark.parametrize("metric", ["next_reply_time", "periodic_update_time", "pausable_update_time"])
def test_the_reply_cycle_metrics_do_not_start_at_creation(metric: str) -> None:
    story = Story(policy(target(metric, 60)))
    assert metric not in story.ticket.sla_targets


def test_first_reply_time_is_fulfilled_by_the_first_public_agent_comment_only() -> None:
    story = Story(policy(target("first_reply_time", 60)))
    story.agent_notes(at(10))  # a private note is no reply
    assert story.t("first_reply_time").open
    story.agent_replies(at(20))
    frt = story.t("first_reply_time")
    assert frt.fulfilled_at == at(20) and frt.breached_at is None and sla.view.stage(frt) == "achieved"
    story.requester_says(at(30))
    story.agent_replies(at(40))
    assert story.t("first_reply_time").instance_id == 1  # one instance ever
    assert story.kinds("first_reply_time")[-2:] == [(1, "fulfill"), (1, "update_status")]


def test_next_reply_time_is_rearmed_by_each_unanswered_requester_comment_one_instance_per_cycle() -> None:
    story = Story(policy(target("next_reply_time", 30)))
    story.agent_replies(at(5))
    assert "next_reply_time" not in story.ticket.sla_targets  # nothing unanswered
    story.requester_says(at(10))
    first = story.t("next_reply_time")
    assert (first.instance_id, first.start_at, first.due_at) == (1, at(10), at(40))
    story.requester_says(at(20))  # the oldest unanswered comment still counts
    assert story.t("next_reply_time").due_at == at(40)
    story.agent_replies(at(25))
    assert story.t("next_reply_time").fulfilled_at == at(25)
    story.requester_says(at(50))
    second = story.t("next_reply_time")
    assert (second.instance_id, second.start_at, second.due_at, second.open) == (2, at(50), at(80), True)
    assert story.kinds("next_reply_time") == [(1, "activate"), (1, "apply_sla"), (1, "fulfill"),
                                              (1, "update_status"), (2, "activate"), (2, "apply_sla")]


@pytest.mark.parametrize("metric", ["periodic_update_time", "pausable_update_time"])
def test_update_metrics_run_from_each_public_agent_comment_to_the_next(metric: str) -> None:
    story = Story(policy(target(metric, 120)))
    story.agent_replies(at(10))
    assert (story.t(metric).instance_id, story.t(metric).due_at) == (1, at(130))
    story.agent_notes(at(20))
    assert story.t(metric).instance_id == 1
    story.agent_replies(at(60))
    assert (story.t(metric).instance_id, story.t(metric).start_at, story.t(metric).due_at) == (2, at(60), at(180))
    assert (1, "fulfill") in story.kinds(metric)


# --- pauses and resumes through every status ----------------------------------------------------------------

def _running_story(metric: str) -> Story:
    story = Story(policy(target(metric, 100)), status="open")
    if metric in ("next_reply_time", "periodic_update_time", "pausable_update_time"):
        story.agent_replies(at(0))
        if metric == "next_reply_time":
            story.requester_says(at(0))
    return story


@pytest.mark.parametrize("status", STATUSES[1:])
@pytest.mark.parametrize("metric", sla.METRICS)
def test_each_metric_pauses_exactly_in_its_statuses_and_resumes_with_the_paused_time_added(metric: str,
                                                                                         status: str) -> None:
    story = _running_story(metric)
    if metric == "first_reply_time":
        story = Story(policy(target(metric, 100)), status="open")
    assert story.t(metric).due_at == at(100)
    story.agent_sets(at(30), **({"status": status} if status != "open" else {"type": "question"}))
    paused = status in PAUSES[metric]
    assert (story.t(metric).due_at is None) == paused
    assert sla.view.stage(story.t(metric)) == ("paused" if paused else "active")
    story.agent_sets(at(50), **({"status": "open"} if status != "open" else {"type": "task"}))
    expected = at(120) if paused else at(100)  # 20 minutes paused push the due time by 20 minutes
    assert story.t(metric).due_at == expected
    assert ((1, "pause") in story.kinds(metric)) == paused


def test_agent_work_time_pauses_through_pending_then_hold_and_counts_only_new_and_open() -> None:
    story = Story(policy(target("agent_work_time", 60)))
    story.agent_sets(at(10), status="pending")
    story.agent_sets(at(20), status="hold")
    assert story.t("agent_work_time").due_at is None
    story.agent_sets(at(35), status="open")
    assert story.t("agent_work_time").due_at == at(85)  # 10 counted, 50 left from minute 35
    assert sla.measured_seconds(story.t("agent_work_time"), None, at(45)) == 20 * 60


# --- stop and reopen ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("metric", sla.METRICS)
def test_solving_stops_every_metric(metric: str) -> None:
    story = _running_story(metric) if metric != "first_reply_time" else Story(policy(target(metric, 100)))
    story.agent_sets(at(40), status="solved")
    stopped = story.t(metric)
    assert stopped.fulfilled_at == at(40) and stopped.due_at is None and not stopped.breached_at
    assert sla.next_due(story.ticket) is None


@pytest.mark.parametrize("metric", ["requester_wait_time", "agent_work_time", "total_resolution_time"])
def test_a_reopen_starts_a_new_instance_of_the_resolution_metrics(metric: str) -> None:
    story = Story(policy(target(metric, 60)))
    story.agent_replies(at(10), status="solved")
    assert story.t(metric).fulfilled_at == at(10)
    story.requester_says(at(200))  # reopens
    again = story.t(metric)
    assert (again.instance_id, again.start_at, again.due_at, again.breached_at) == (2, at(200), at(260), None)
    assert story.kinds(metric)[-2:] == [(2, "activate"), (2, "apply_sla")]


# --- policy and priority changes mid-flight -----------------------------------------------------------------

@pytest.mark.parametrize("metric", sla.METRICS)
def test_a_priority_change_recomputes_from_the_metrics_own_start_and_a_past_target_breaches_now(metric: str) -> None:
    targets = [target(metric, 100), target(metric, 30, "high"), target(metric, 60, "urgent")]
    story = Story(policy(*targets), status="open")
    if metric in ("next_reply_time", "periodic_update_time", "pausable_update_time"):
        story.agent_replies(at(0))
        if metric == "next_reply_time":
            story.requester_says(at(0))
    story.agent_sets(at(20), priority="urgent")
    assert story.t(metric).due_at == at(60) and story.t(metric).breached_at is None
    story.agent_sets(at(45), priority="high")  # 45 minutes elapsed of a 30-minute target
    changed = story.t(metric)
    assert changed.breached_at == at(45)  # at the change, never back-dated to minute 30
    assert changed.due_at == at(30)
    assert (1, "breach") in story.kinds(metric)
    assert sla.next_due(story.ticket) == at(45)  # the sweep escalates it within the minute


def test_a_policy_change_applies_the_new_targets_and_removes_what_it_no_longer_sets() -> None:
    first = policy(target("first_reply_time", 60), target("total_resolution_time", 600), id=1, position=1,
                   filter={"all": [{"field": "type", "operator": "is", "value": "incident"}], "any": []})
    second = policy(target("first_reply_time", 240), id=2, position=2)
    story = Story(first, second)
    assert story.ticket.sla_policy_id == 2 and story.t("first_reply_time").due_at == at(240)
    story.agent_sets(at(30), type="incident")
    assert story.ticket.sla_policy_id == 1
    assert story.t("first_reply_time").due_at == at(60)
    assert story.t("total_resolution_time").due_at == at(600)  # from creation: elapsed time counts
    story.agent_sets(at(40), type="question")
    assert "total_resolution_time" not in story.ticket.sla_targets


# --- business hours, holidays, schedule changes -------------------------------------------------------------

def test_business_minutes_skip_nights_weekends_and_holidays() -> None:
    friday = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    story = Story(policy(target("first_reply_time", 120, business_hours=True)), schedules=[office()], at=friday)
    # 60 minutes on Friday, Monday 30 November is a holiday, 60 more on Tuesday morning
    assert story.t("first_reply_time").due_at == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_a_pausable_business_hours_metric_counts_only_open_business_time() -> None:
    friday = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    story = Story(policy(target("requester_wait_time", 90, business_hours=True)), schedules=[office()], at=friday)
    story.agent_sets(friday + timedelta(minutes=30), status="pending")  # 30 business minutes used
    tuesday = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    story.requester_says(tuesday)
    rwt = story.t("requester_wait_time")
    assert rwt.due_at == datetime(2026, 12, 1, 10, 30, tzinfo=UTC)  # 60 business minutes left from 9:30
    assert sla.measured_seconds(rwt, office(), datetime(2026, 12, 1, 10, 0, tzinfo=UTC)) == 60 * 60


def test_a_schedule_change_recomputes_from_the_start_in_the_new_schedule() -> None:
    early, late = office(1), office(2, hours=(13, 21))
    bh = target("first_reply_time", 240, business_hours=True)
    story = Story(policy(bh, schedule_id=1), schedules=[early, late])
    assert story.t("first_reply_time").due_at == at(240)  # 9:00 + 4 hours, within 9-17
    story.policies = [policy(bh, schedule_id=2)]
    story.agent_sets(at(60), type="question")
    # counted in 13:00-21:00 from the metric's start: 13:00 + 4 hours
    assert story.t("first_reply_time").due_at == datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    story.schedules = [early, office(2, hours=(9, 10))]  # the schedule's hours change
    story.agent_sets(at(70), type="task")
    assert story.t("first_reply_time").due_at == datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


# --- 15 seconds and 30 days ---------------------------------------------------------------------------------

@pytest.mark.parametrize("metric", sla.METRICS)
def test_a_fifteen_second_target(metric: str) -> None:
    story = Story(policy({"priority": "normal", "metric": metric, "target_in_seconds": 15}), status="open")
    if metric in ("next_reply_time", "periodic_update_time", "pausable_update_time"):
        story.agent_replies(at(0))
        if metric == "next_reply_time":
            story.requester_says(at(0))
    assert story.t(metric).due_at == MONDAY + timedelta(seconds=15)
    assert sla.record_breaches(story.ticket, MONDAY + timedelta(seconds=14)) == []
    assert [t.metric for t in sla.record_breaches(story.ticket, MONDAY + timedelta(seconds=16))] == [metric]


@pytest.mark.parametrize("metric", sla.METRICS)
def test_a_thirty_day_target_in_calendar_and_business_time(metric: str) -> None:
    month = 30 * 24 * 60
    story = Story(policy(target(metric, month), target(metric, month, "high", business_hours=True)),
                  schedules=[office(holidays=())], status="open")
    if metric in ("next_reply_time", "periodic_update_time", "pausable_update_time"):
        story.agent_replies(at(0))
        if metric == "next_reply_time":
            story.requester_says(at(0))
    assert story.t(metric).due_at == MONDAY + timedelta(days=30)
    story.agent_sets(at(1), priority="high")
    # 43,200 business minutes of 8-hour weekdays: 90 working days from Monday 9:00, the Friday of week 18, 17:00
    assert story.t(metric).due_at == MONDAY + timedelta(weeks=17, days=4, hours=8)


def test_targets_in_seconds_are_validated_and_shown_in_both_units() -> None:
    shown = policy({"priority": "low", "metric": "first_reply_time", "target_in_seconds": 30}).to_api()
    assert shown["policy_metrics"][0] | {} == {"priority": "low", "metric": "first_reply_time", "target": 0.5,
                                              "target_in_seconds": 30, "business_hours": False}
    assert policy(target("agent_work_time", 90)).to_api()["policy_metrics"][0]["target_in_seconds"] == 5400
    for bad in (14, 0, "15", True, 1.5):
        with pytest.raises(InvalidRule, match="target_in_seconds"):
            policy({"priority": "low", "metric": "first_reply_time", "target_in_seconds": bad})
    with pytest.raises(InvalidRule, match="group_ownership_time"):
        policy(target("group_ownership_time"))


# --- filters on requester and organization fields, reorder -------------------------------------------------

def test_policy_filters_on_requester_and_organization_fields_match() -> None:
    vip = policy(target("first_reply_time", 15), id=1, position=1, filter={"all": [
        {"field": "requester.custom_fields.tier", "operator": "is", "value": "gold"}], "any": []})
    partner = policy(target("first_reply_time", 30), id=2, position=2, filter={"all": [
        {"field": "organization.custom_fields.kind", "operator": "is", "value": "partner"}], "any": []})
    rest = policy(target("first_reply_time", 60), id=3, position=3)
    story = Story(rest)
    ticket = story.ticket
    gold = {"id": REQUESTER, "user_fields": {"tier": "gold"}}
    assert sla.choose_policy(ticket, [vip, partner, rest], gold) is vip
    assert sla.choose_policy(ticket, [vip, partner, rest], {"id": REQUESTER, "user_fields": {"tier": "tin"}},
                             {"id": 4, "organization_fields": {"kind": "partner"}}) is partner
    assert sla.choose_policy(ticket, [vip, partner, rest], {"id": REQUESTER, "user_fields": {}}, None) is rest
    assert sla.needs_people([vip, partner, rest]) == (True, True)
    assert sla.needs_people([rest]) == (False, False)
    sla.apply_sla(ticket, [vip, partner, rest], MONDAY, requester=gold)
    assert ticket.sla_policy_id == 1 and ticket.sla_targets["first_reply_time"].due_at == at(15)


def test_reorder_sets_positions_in_the_order_given_and_refuses_partial_lists() -> None:
    a, b, c = policy(target("first_reply_time"), id=1), policy(target("first_reply_time"), id=2), \
        policy(target("first_reply_time"), id=3)
    assert [(p.id, p.position) for p in sla.reorder([a, b, c], [3, 1, 2])] == [(3, 1), (1, 2), (2, 3)]
    for bad in ([1, 2], [1, 2, 3, 3], [1, 2, 4], "1,2,3", [1, 2, "3"]):
        with pytest.raises(InvalidRule, match="sla_policy_ids"):
            sla.reorder([a, b, c], bad)


def test_policy_metrics_view_shows_stage_breach_at_and_time_left() -> None:
    story = Story(policy(target("first_reply_time", 90), target("requester_wait_time", 3000)))
    story.agent_sets(at(10), status="pending")
    shown = sla.policy_metrics(story.ticket, at(30))["policy_metrics"]
    assert shown == [
        {"metric": "first_reply_time", "instance_id": 1, "stage": "active", "breach_at": "2026-11-23T10:30:00Z",
         "breached": False, "days": 0, "hours": 1, "minutes": 0},
        {"metric": "requester_wait_time", "instance_id": 1, "stage": "paused", "breach_at": None,
         "breached": False},
    ]
    late = sla.policy_metrics(story.ticket, at(100))["policy_metrics"][0]
    assert (late["hours"], late["minutes"]) == (0, -10)


def test_target_and_target_in_seconds_must_agree_when_both_are_given() -> None:
    both = policy({"priority": "low", "metric": "first_reply_time", "target": 0.5, "target_in_seconds": 30})
    assert both.metrics[0].seconds == 30
    with pytest.raises(InvalidRule, match="disagree"):
        policy({"priority": "low", "metric": "first_reply_time", "target": 5, "target_in_seconds": 30})
    with pytest.raises(InvalidRule, match="positive number of minutes"):
        policy({"priority": "low", "metric": "first_reply_time", "target": -5, "target_in_seconds": 30})
    with pytest.raises(InvalidRule, match="positive number of minutes"):
        policy({"priority": "low", "metric": "first_reply_time", "target": 1.5})  # fractions only with seconds


def test_automation_clocks_read_the_next_running_target_and_the_last_breach() -> None:
    from helpdesk.domain.automations import Automation, Clocks, matches
    from helpdesk.domain.rule_context import UpdateContext

    story = Story(policy(target("first_reply_time", 60), target("requester_wait_time", 300)))
    assert sla.next_breach_at(story.ticket) == at(60) and sla.last_breach_at(story.ticket) is None
    story.agent_sets(at(10), status="pending")  # requester wait pauses: not a next breach any more
    assert sla.next_breach_at(story.ticket) == at(60)
    assert sla.record_breaches(story.ticket, at(61))
    assert sla.next_breach_at(story.ticket) is None  # first reply breached, requester wait paused
    assert sla.last_breach_at(story.ticket) == at(61)
    since = Automation.from_api({"title": "Chase", "conditions": {"all": [
        {"field": "status", "operator": "is", "value": "pending"},
        {"field": "hours_since_last_sla_breach", "operator": "greater_than", "value": 2},
        {"field": "current_tags", "operator": "not_includes", "value": "chased"}], "any": []},
        "actions": [{"field": "current_tags", "value": "chased"}]}, id=1, now_iso="")
    ctx = UpdateContext(update_type="Change", via="web", actor_role="system", actor_id=None)
    snapshot = story.ticket.snapshot()
    assert not matches(since, snapshot, ctx, Clocks(at(61 + 119), None, None, sla.last_breach_at(story.ticket)))
    assert matches(since, snapshot, ctx, Clocks(at(61 + 121), None, None, sla.last_breach_at(story.ticket)))
