"""Automations, business hours and rule sets through the real pipeline (moto, the dispatcher's clock)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.integration.automation_stack import hours_pass
from tests.support import START, Pipeline, make_email


@pytest.fixture
def p(pipeline: Pipeline) -> Pipeline:
    return pipeline


def cond(field: str, operator: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


def automation(p: Pipeline, title: str, all_: list[dict[str, Any]], actions: list[dict[str, Any]]) -> int:
    body = {"automation": {"title": title, "conditions": {"all": all_, "any": []}, "actions": actions}}
    return int(p.json("POST", "/api/v2/automations.json", body, expect=201)["automation"]["id"])


def new_ticket(p: Pipeline, subject: str, **fields: Any) -> int:
    body = {"ticket": {"subject": subject, "comment": {"body": "Please help."}, **fields}}
    return int(p.json("POST", "/api/v2/tickets.json", body, expect=201)["ticket"]["id"])


def ticket(p: Pipeline, number: int) -> dict[str, Any]:
    return dict(p.json("GET", f"/api/v2/tickets/{number}.json")["ticket"])


def set_status(p: Pipeline, number: int, status: str) -> None:
    p.json("PUT", f"/api/v2/tickets/{number}.json", {"ticket": {"status": status}})


SOLVE_PENDING = ([cond("status", "is", "pending"), cond("hours_since_pending", "greater_than", 48)],
                 [{"field": "status", "value": "solved"}, {"field": "current_tags", "value": "auto_solved"}])
CLOSE_SOLVED = ([cond("status", "is", "solved"), cond("SOLVED", "greater_than", "96")],
                [{"field": "status", "value": "closed"}])


def test_pending_tickets_are_solved_after_48_hours_and_not_before(p: Pipeline) -> None:
    automation(p, "Solve pending after 48 hours", *SOLVE_PENDING)
    number = new_ticket(p, "Waiting on the customer")
    p.dispatcher.advance(10)
    set_status(p, number, "pending")
    hours_pass(p, 48)  # the run at 48 hours sees 47 h 50 min of pending
    assert ticket(p, number)["status"] == "pending"
    hours_pass(p, 1)
    solved = ticket(p, number)
    assert solved["status"] == "solved" and "auto_solved" in solved["tags"]
    assert p.dispatcher.invocations["AutomationsFunction"] == 49  # its own function, once an hour
    assert p.deps().tickets.get(number).satisfaction.score == "unoffered"  # nothing else was changed
    assert p.dispatcher.failures == []


def test_solved_tickets_are_closed_after_four_days(p: Pipeline) -> None:
    automation(p, "Close solved after 4 days", *CLOSE_SOLVED)
    number = new_ticket(p, "Fixed already")
    p.dispatcher.advance(10)
    set_status(p, number, "solved")
    hours_pass(p, 96)
    assert ticket(p, number)["status"] == "solved"
    hours_pass(p, 1)
    assert ticket(p, number)["status"] == "closed"
    assert p.dispatcher.failures == []


def test_hours_since_the_requester_last_wrote(p: Pipeline) -> None:
    automation(p, "Requester quiet for a day", [
        cond("status", "less_than", "solved"), cond("hours_since_requester_update", "is", 24)],
        [{"field": "current_tags", "value": "requester_quiet"}])
    p.email(make_email(message_id="quiet-1@customer.example", subject="Where is my parcel?"))
    p.dispatcher.drain()
    hours_pass(p, 23)
    assert "requester_quiet" not in ticket(p, 1)["tags"]
    hours_pass(p, 1)
    assert "requester_quiet" in ticket(p, 1)["tags"]
    hours_pass(p, 2)  # true only once: the 'is 24' window has passed, nothing else happens
    assert ticket(p, 1)["tags"].count("requester_quiet") == 1


def test_a_run_reads_only_the_due_items_of_the_matching_status_partition(p: Pipeline) -> None:
    from helpdesk.services.automations import run

    automation(p, "Solve pending after 48 hours", *SOLVE_PENDING)
    due = new_ticket(p, "Old pending")
    set_status(p, due, "pending")
    p.clock.advance(timedelta(hours=30))
    for index in range(200):  # open, and pending too recently: none can match
        new_ticket(p, f"Other {index}", status="pending" if index % 2 else "open")
    p.clock.advance(timedelta(hours=19))
    report = run(p.deps())
    assert report.fired == [(1, due)]
    assert report.items_read == 1 and report.tickets_evaluated == 1 and report.reloaded == 1


def test_automation_validation_and_crud_through_the_api(p: Pipeline) -> None:
    refused = p.call("POST", "/api/v2/automations.json", {"automation": {
        "title": "No clock", "conditions": {"all": [cond("status", "is", "open")], "any": []},
        "actions": [{"field": "status", "value": "solved"}]}})
    assert refused.status_code == 422 and "time condition" in refused.json_body["description"]
    forever = p.call("POST", "/api/v2/automations", {"automation": {
        "title": "Forever", "conditions": {"all": [cond("status", "is", "open"),
                                                   cond("hours_since_update", "greater_than", 2)], "any": []},
        "actions": [{"field": "priority", "value": "high"}]}})
    assert forever.status_code == 422 and "nullify" in forever.json_body["description"]
    number = automation(p, "Solve pending", *SOLVE_PENDING)
    shown = p.json("GET", f"/api/v2/automations/{number}.json")["automation"]
    assert shown["conditions"]["all"][1] == cond("hours_since_pending", "greater_than", 48)
    updated = p.json("PUT", f"/api/v2/automations/{number}", {"automation": {"active": False}})["automation"]
    assert updated["active"] is False and updated["title"] == "Solve pending"
    assert [a["id"] for a in p.json("GET", "/api/v2/automations")["automations"]] == [number]
    assert p.call("DELETE", f"/api/v2/automations/{number}.json").status_code == 204
    assert p.call("GET", f"/api/v2/automations/{number}.json").status_code == 404


def test_schedules_through_the_api(p: Pipeline) -> None:
    body = {"schedule": {"name": "Office", "time_zone": "Europe/Berlin", "intervals": [
        {"start_time": 1980, "end_time": 2460}], "holidays": [
        {"name": "New Year", "start_date": "2027-01-01", "end_date": "2027-01-01"}]}}
    created = p.json("POST", "/api/v2/business_hours/schedules.json", body, expect=201)["schedule"]
    assert p.json("GET", "/api/v2/business_hours/schedules")["count"] == 1
    renamed = p.json("PUT", f"/api/v2/business_hours/schedules/{created['id']}.json",
                     {"schedule": {"name": "Berlin office"}})["schedule"]
    assert renamed["name"] == "Berlin office" and renamed["holidays"] == created["holidays"]
    bad = p.call("POST", "/api/v2/business_hours/schedules", {"schedule": {**body["schedule"], "time_zone": "Nowhere"}})
    assert bad.status_code == 422
    assert p.call("DELETE", f"/api/v2/business_hours/schedules/{created['id']}").status_code == 204


def test_a_business_hours_target_from_friday_five_pm_is_due_monday_eleven(p: Pipeline) -> None:
    office = {"schedule": {"name": "Office", "time_zone": "UTC", "intervals": [
        {"start_time": day * 1440 + 540, "end_time": day * 1440 + 1020} for day in range(1, 6)]}}
    p.json("POST", "/api/v2/business_hours/schedules.json", office, expect=201)
    p.json("POST", "/api/v2/slas/policies.json", {"sla_policy": {"title": "Office hours", "policy_metrics": [
        {"priority": "normal", "metric": "first_reply_time", "target": 120, "business_hours": True}]}}, expect=201)
    p.clock.advance(timedelta(days=4, hours=8))  # START is Monday 09:00: now Friday 17:00
    p.email(make_email(message_id="friday@customer.example", subject="Late on Friday"))
    p.dispatcher.drain()
    number = 1
    monday_eleven = START + timedelta(days=7, hours=2)
    assert ticket(p, number)["sla"]["first_reply_time"]["due_at"] == monday_eleven.strftime("%Y-%m-%dT%H:%M:%SZ")
    p.clock.advance(monday_eleven - timedelta(minutes=2) - p.clock.now())
    p.dispatcher.advance(1)
    assert ticket(p, number)["sla"]["first_reply_time"]["breached_at"] is None
    p.dispatcher.advance(2)
    assert ticket(p, number)["sla"]["first_reply_time"]["breached_at"] is not None


def test_in_business_hours_follows_the_default_schedule(p: Pipeline) -> None:
    from helpdesk.services.business_hours import in_business_hours

    assert in_business_hours(p.deps(), START) is None
    p.json("POST", "/api/v2/business_hours/schedules.json", {"schedule": {"name": "Office", "time_zone": "UTC",
           "intervals": [{"start_time": 1440 + 540, "end_time": 1440 + 1020}]}}, expect=201)
    assert in_business_hours(p.deps(), START) is True
    assert in_business_hours(p.deps(), START + timedelta(hours=8)) is False


ROUTING = [
    {"title": "refunds", "conditions": {"all": [cond("subject_includes_word", "includes", "refund")], "any": []},
     "actions": [{"field": "current_tags", "value": "refunds"}, {"field": "priority", "value": "high"}]},
    {"title": "everything else", "conditions": {"all": [], "any": []},
     "actions": [{"field": "current_tags", "value": "general"}, {"field": "priority", "value": "low"}]},
]


@pytest.mark.parametrize(("match", "tags", "priority"), [
    ("first", ["refunds"], "high"), ("all", ["refunds", "general"], "low")])
def test_on_create_rule_sets_first_match_and_all_match(p: Pipeline, match: str,
                                                      tags: list[str], priority: str) -> None:
    p.json("POST", "/api/v2/rule_sets.json", {"rule_set": {"title": "Routing", "type": "on_create", "match": match,
                                                           "rules": ROUTING}}, expect=201)
    p.email(make_email(message_id=f"refund-{match}@customer.example", subject="Refund for my order"))
    p.dispatcher.drain()
    created = ticket(p, 1)
    assert created["tags"] == tags and created["priority"] == priority


def test_on_update_rules_react_to_the_event_and_the_performer(p: Pipeline) -> None:
    p.json("POST", "/api/v2/rule_sets", {"rule_set": {"title": "Follow-ups", "type": "on_update", "rules": [
        {"title": "requester wrote again", "performer": "requester", "events": [{"name": "requester_replied"}],
         "conditions": {"all": [], "any": []}, "actions": [{"field": "current_tags", "value": "customer_followup"}]},
        {"title": "agent set pending", "performer": "agent",
         "events": [{"name": "status_changed", "to": "pending"}], "conditions": {"all": [], "any": []},
         "actions": [{"field": "current_tags", "value": "awaiting_customer"}]}]}}, expect=201)
    p.email(make_email(message_id="first@customer.example", subject="Parcel"))
    p.dispatcher.drain()
    assert ticket(p, 1)["tags"] == []
    set_status(p, 1, "pending")
    p.dispatcher.drain()
    assert ticket(p, 1)["tags"] == ["awaiting_customer"]
    p.email(make_email(message_id="second@customer.example", subject="Re: Parcel [#1]",
                       in_reply_to="first@customer.example"))
    p.dispatcher.drain()
    assert ticket(p, 1)["tags"] == ["awaiting_customer", "customer_followup"]
    bad = p.call("POST", "/api/v2/rule_sets", {"rule_set": {"title": "x", "type": "on_update", "rules": ROUTING}})
    assert bad.status_code == 422 and "events" in bad.json_body["description"]


def test_solved_tickets_close_after_four_days_without_any_automation(p: Pipeline) -> None:
    """product.md: solved tickets close automatically after N days (default 4), a fixed rule, not a stored one."""
    number = new_ticket(p, "Fixed already")
    other = new_ticket(p, "Still being fixed")
    p.dispatcher.advance(10)
    set_status(p, number, "solved")
    p.clock.advance(timedelta(days=4) - timedelta(minutes=40))
    p.dispatcher.advance(30)
    assert ticket(p, number)["status"] == "solved"  # the runs so far came before four days were up
    p.dispatcher.advance(60)
    closed = ticket(p, number)
    assert closed["status"] == "closed" and ticket(p, other)["status"] == "new"
    [audit] = p.json("GET", f"/api/v2/tickets/{number}/audits.json")["audits"][-1:]
    assert audit["via"]["channel"] == "automation" and audit["author_id"] == -1
    assert [(e["field_name"], e["value"]) for e in audit["events"]] == [("status", "closed")]
    p.dispatcher.advance(120)
    assert p.json("GET", f"/api/v2/tickets/{number}/audits.json")["count"] == 3  # create, solve, close: once
    assert p.dispatcher.failures == []


def test_a_ticket_reopened_before_the_deadline_stays_open(p: Pipeline) -> None:
    number = new_ticket(p, "Fixed?")
    set_status(p, number, "solved")
    p.clock.advance(timedelta(days=3))
    set_status(p, number, "open")
    set_status(p, number, "solved")  # solved again: the four days start over
    p.clock.advance(timedelta(days=2))
    p.dispatcher.advance(61)
    assert ticket(p, number)["status"] == "solved"


def test_the_close_delay_is_a_parameter_of_the_stack(p: Pipeline) -> None:
    p.stack.functions["AutomationsFunction"].env["CLOSE_SOLVED_AFTER_DAYS"] = "1"
    number = new_ticket(p, "Quick fix")
    set_status(p, number, "solved")
    p.clock.advance(timedelta(days=1))
    p.dispatcher.advance(61)
    assert ticket(p, number)["status"] == "closed"
