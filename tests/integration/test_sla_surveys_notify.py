"""Triggers, SLA escalation, satisfaction surveys and outbound mail, through the real pipeline."""

from __future__ import annotations

import email
import json
import re
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest

from tests.support import Pipeline, make_email, sample


def _setup_rules(p: Pipeline) -> None:
    for name in ("api_trigger_refund_priority.json", "api_trigger_acknowledge.json", "api_trigger_bad_rating.json"):
        p.json("POST", "/api/v2/triggers.json", json.loads(sample(name)), expect=201)
    p.json("POST", "/api/v2/slas/policies.json", json.loads(sample("api_sla_policy.json")), expect=201)


def _sent(p: Pipeline) -> list[EmailMessage]:
    from moto.ses.models import ses_backends

    backend = ses_backends["123456789012"]["us-east-1"]
    return [email.message_from_string(m.raw_data, policy=policy.default) for m in backend.sent_messages]


def _ticket(p: Pipeline, number: int) -> dict[str, Any]:
    return dict(p.json("GET", f"/api/v2/tickets/{number}.json")["ticket"])


def test_triggers_fire_on_email_and_notify_the_requester(pipeline: Pipeline) -> None:
    _setup_rules(pipeline)
    pipeline.email(sample("email_order_refund.eml"))
    pipeline.dispatcher.drain()
    ticket = _ticket(pipeline, 1)
    assert ticket["priority"] == "high" and ticket["tags"] == ["refund"]
    [ack] = _sent(pipeline)
    assert ack["To"].addresses[0].addr_spec == "alice@customer.example"
    assert ack["Subject"].startswith("We received your request: Refund for order #1234")
    assert "[#1]" in ack["Subject"]
    assert ack["Auto-Submitted"] == "auto-generated"  # automatic mail says so
    assert ack["In-Reply-To"] == "<CAF1-order-1234@mail.customer.example>"
    assert "Hello Alice Martin" in ack.get_content()


def test_an_agent_reply_goes_out_threaded_and_stops_first_reply_time(pipeline: Pipeline) -> None:
    _setup_rules(pipeline)
    pipeline.email(sample("email_order_refund.eml"))
    pipeline.email(sample("email_reply_order_refund.eml"))
    pipeline.dispatcher.drain()
    reply = json.loads(sample("api_agent_reply.json"))
    ticket = pipeline.json("PUT", "/api/v2/tickets/1.json", reply)["ticket"]
    assert ticket["status"] == "open"  # an agent's public reply opens a new ticket
    assert ticket["sla"]["first_reply_time"]["fulfilled_at"] is not None
    pipeline.dispatcher.drain()
    agent_mail = [m for m in _sent(pipeline) if m["Subject"] == "Re: Refund for order #1234 [#1]"]
    assert len(agent_mail) == 1
    mail = agent_mail[0]
    assert mail["In-Reply-To"] == "<CAF2-order-1234-followup@mail.customer.example>"
    assert "<CAF1-order-1234@mail.customer.example>" in mail["References"]
    assert mail["Auto-Submitted"] is None  # a person's reply is not automatic mail
    assert "full refund" in mail.get_content()
    [comment] = [c for c in pipeline.json("GET", "/api/v2/tickets/1/comments")["comments"] if c["author_id"] != 2]
    assert comment["metadata"]["delivery"]["status"] == "sent"
    # the customer's answer to our mail threads back by our Message-ID
    ours = mail["Message-ID"].strip("<>")
    pipeline.email(make_email(message_id="answer@customer.example", sender="alice@customer.example",
                              subject="Re: something else entirely", in_reply_to=ours))
    pipeline.dispatcher.drain()
    assert len(pipeline.json("GET", "/api/v2/tickets.json")["tickets"]) == 1


def test_an_sla_breach_is_recorded_once_within_a_minute_and_escalated(pipeline: Pipeline) -> None:
    _setup_rules(pipeline)
    pipeline.email(sample("email_password_reset.eml"))
    pipeline.dispatcher.drain()
    ticket = _ticket(pipeline, 1)
    due = ticket["sla"]["first_reply_time"]["due_at"]
    assert due == "2026-11-23T10:00:00Z"  # normal priority: 60 calendar minutes from creation
    pipeline.dispatcher.advance(59)
    assert _ticket(pipeline, 1)["sla"]["first_reply_time"]["breached_at"] is None
    pipeline.dispatcher.advance(5)
    after = _ticket(pipeline, 1)
    breached_at = after["sla"]["first_reply_time"]["breached_at"]
    assert breached_at is not None
    from helpdesk.domain.clock import parse_iso

    late = (parse_iso(breached_at) - parse_iso(due)).total_seconds()  # type: ignore[operator]
    assert 0 <= late <= 60
    assert after["priority"] == "high" and "sla_breached" in after["tags"]
    pipeline.dispatcher.advance(10)  # later sweeps do not record it again
    again = _ticket(pipeline, 1)
    assert again["sla"]["first_reply_time"]["breached_at"] == breached_at
    assert again["tags"].count("sla_breached") == 1


def test_the_sla_sweep_reads_only_due_tickets(pipeline: Pipeline) -> None:
    from helpdesk.services.sla.sweep import sweep

    _setup_rules(pipeline)
    for i in range(5):
        pipeline.email(make_email(message_id=f"m{i}@customer.example", sender=f"u{i}@customer.example"))
    pipeline.dispatcher.drain()
    deps = pipeline.deps()
    assert sweep(deps).read == 0
    pipeline.clock.advance(timedelta(minutes=61))
    report = sweep(deps)
    assert report.read == 5 and len(report.breaches) == 5
    assert sweep(deps).read == 0  # breached first-reply targets leave the index until the next target


def _survey_link(p: Pipeline) -> str:
    [survey] = [m for m in _sent(p) if "How would you rate" in m["Subject"]]
    found = re.search(r"https://helpdesk\.test(/surveys/\S+)", survey.get_content())
    assert found is not None
    return found.group(1)


def _solve_first_ticket(p: Pipeline) -> None:
    _setup_rules(p)
    p.email(sample("email_order_refund.eml"))
    p.dispatcher.drain()
    p.json("PUT", "/api/v2/tickets/1.json", json.loads(sample("api_agent_reply.json")))
    p.json("PUT", "/api/v2/tickets/1.json", json.loads(sample("api_solve.json")))
    p.dispatcher.drain()


def test_a_survey_is_sent_after_the_delay_and_a_bad_rating_reopens(pipeline: Pipeline) -> None:
    _solve_first_ticket(pipeline)
    pipeline.dispatcher.advance(1430)
    assert not [m for m in _sent(pipeline) if "How would you rate" in m["Subject"]]
    pipeline.dispatcher.advance(15)
    path = _survey_link(pipeline)
    page = pipeline.api.http.get(path)
    assert page.status_code == 200 and b"How did we do?" in page.body
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    rated = pipeline.api.http.post(path, headers=form, body="score=bad&comment=Too+slow")
    assert rated.status_code == 200
    pipeline.dispatcher.drain()
    ticket = _ticket(pipeline, 1)
    assert ticket["satisfaction_rating"] == {"score": "bad", "comment": "Too slow"}
    assert ticket["status"] == "open" and "bad_rating" in ticket["tags"]  # the trigger acted on the rating
    again = pipeline.api.http.post(path, headers=form, body="score=good")
    assert again.status_code == 410  # one-time link


def test_a_trigger_asks_for_a_rating_with_zendesks_rating_url(pipeline: Pipeline) -> None:
    """{{satisfaction.rating_url}} in a trigger's notification is a working one-time link for this ticket, and
    {{ticket.url}} is absolute."""
    pipeline.json("POST", "/api/v2/triggers.json", {"trigger": {
        "title": "Ask for a rating when solved", "conditions": {"all": [
            {"field": "status", "operator": "value", "value": "solved"}], "any": []},
        "actions": [{"field": "satisfaction_score", "value": "offered_to_requester"},
                    {"field": "notification_user", "value": [
                        "requester_id", "Rate request #{{ticket.id}}",
                        "Rate us: {{satisfaction.rating_url}}\nYour request: {{ticket.url}}"]}]}}, expect=201)
    _solve_first_ticket(pipeline)
    [mail] = [m for m in _sent(pipeline) if m["Subject"] == "Rate request #1 [#1]"]
    body = mail.get_content()
    assert "Your request: https://helpdesk.test/api/v2/tickets/1.json" in body
    found = re.search(r"https://helpdesk\.test(/surveys/\S+)", body)
    assert found is not None
    assert pipeline.api.http.get(found.group(1)).status_code == 200
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert pipeline.api.http.post(found.group(1), headers=form, body="score=good").status_code == 200
    pipeline.dispatcher.drain()
    assert _ticket(pipeline, 1)["satisfaction_rating"]["score"] == "good"
    assert pipeline.api.http.post(found.group(1), headers=form, body="score=bad").status_code == 410
    other = found.group(1).replace("/surveys/", "/surveys/x")
    assert pipeline.api.http.get(other).status_code == 401  # the signature covers the ticket id


def test_a_bad_rating_with_a_comment_is_zendesks_badwithcomment(pipeline: Pipeline) -> None:
    pipeline.json("POST", "/api/v2/triggers.json", {"trigger": {
        "title": "Bad rating with a comment: follow up", "conditions": {"all": [
            {"field": "satisfaction_score", "operator": "value", "value": "badwithcomment"}], "any": []},
        "actions": [{"field": "current_tags", "value": "follow_up"}]}}, expect=201)
    pipeline.stack.functions["CsatSurveyFunction"].env["SURVEY_DELAY_MINUTES"] = "10"
    _solve_first_ticket(pipeline)
    pipeline.dispatcher.advance(15)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    rated = pipeline.api.http.post(_survey_link(pipeline), headers=form, body="score=bad&comment=Nobody+answered")
    assert rated.status_code == 200
    pipeline.dispatcher.drain()
    assert "follow_up" in _ticket(pipeline, 1)["tags"]


def test_a_closed_ticket_can_be_rated_for_28_days_after_it_closed(pipeline: Pipeline) -> None:
    """product.md: a link works until the ticket is closed plus a window (28 days); tickets close 4 days after
    they are solved, so the link outlives the survey mail by more than the window."""
    from helpdesk.services.automations import RunReport, close_solved

    pipeline.stack.functions["CsatSurveyFunction"].env["SURVEY_DELAY_MINUTES"] = "10"
    _solve_first_ticket(pipeline)
    pipeline.dispatcher.advance(15)
    path = _survey_link(pipeline)
    pipeline.clock.advance(timedelta(days=4, minutes=1))
    close_solved(pipeline.deps(), RunReport())
    assert _ticket(pipeline, 1)["status"] == "closed"
    pipeline.clock.advance(timedelta(days=28))  # closed 28 days ago, to the minute: still open for rating
    assert pipeline.api.http.get(path).status_code == 200
    pipeline.clock.advance(timedelta(minutes=2))
    late = pipeline.api.http.get(path)
    assert late.status_code == 410 and b"28 days after the ticket was closed" in late.body


def test_a_rating_on_a_closed_ticket_is_recorded(pipeline: Pipeline) -> None:
    from helpdesk.services.automations import RunReport, close_solved

    pipeline.stack.functions["CsatSurveyFunction"].env["SURVEY_DELAY_MINUTES"] = "10"
    _solve_first_ticket(pipeline)
    pipeline.dispatcher.advance(15)
    path = _survey_link(pipeline)
    pipeline.clock.advance(timedelta(days=5))
    close_solved(pipeline.deps(), RunReport())
    rated = pipeline.api.http.post(path, headers={"Content-Type": "application/x-www-form-urlencoded"},
                                   body="score=good&comment=Thanks")
    assert rated.status_code == 200
    pipeline.dispatcher.drain()
    ticket = _ticket(pipeline, 1)
    assert ticket["status"] == "closed" and ticket["satisfaction_rating"]["score"] == "good"


@pytest.mark.parametrize("mangle", [lambda t: t[:-3] + "AAA", lambda t: "x" + t, lambda t: "garbage"])
def test_a_forged_survey_link_is_refused(pipeline: Pipeline, mangle: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    pipeline.stack.functions["CsatSurveyFunction"].env["SURVEY_DELAY_MINUTES"] = "10"  # the template parameter
    _solve_first_ticket(pipeline)
    pipeline.dispatcher.advance(15)
    path = _survey_link(pipeline)
    token = path.rsplit("/", 1)[1]
    assert pipeline.api.http.get(f"/surveys/{mangle(token)}").status_code == 401


def test_a_bad_score_gets_400(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    pipeline.stack.functions["CsatSurveyFunction"].env["SURVEY_DELAY_MINUTES"] = "10"
    _solve_first_ticket(pipeline)
    pipeline.dispatcher.advance(15)
    path = _survey_link(pipeline)
    response = pipeline.api.http.post(path, headers={"Content-Type": "application/x-www-form-urlencoded"},
                                      body="score=meh")
    assert response.status_code == 400
