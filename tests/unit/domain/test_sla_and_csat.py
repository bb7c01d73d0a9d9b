"""SLA targets and breaches; survey tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from helpdesk.domain import sla
from helpdesk.domain.csat import check_rating, sign_survey_token, verify_survey_token
from helpdesk.domain.errors import Gone, InvalidInput, InvalidRule, InvalidSignature
from helpdesk.domain.tickets import Actor, NewComment, change_ticket, open_ticket

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
POLICY = {"title": "Standard", "filter": {"all": [], "any": []}, "policy_metrics": [
    {"priority": "normal", "metric": "first_reply_time", "target": 60},
    {"priority": "high", "metric": "first_reply_time", "target": 30},
    {"priority": "normal", "metric": "total_resolution_time", "target": 480},
]}


def _ticket(priority: str | None = None):  # type: ignore[no-untyped-def]
    comment = NewComment(body="Help", public=True, author_id=7, via="email")
    fields = {"priority": priority} if priority else {}
    return open_ticket(ticket_id=1, subject="s", comment=comment, requester_id=7, actor=Actor("end-user", 7),
                       via="email", now=NOW, fields=fields).ticket


def test_targets_follow_the_policy_and_priority() -> None:
    policy = sla.SlaPolicy.from_api(POLICY, id=1)
    ticket = _ticket()
    sla.apply_sla(ticket, [policy], NOW)
    assert ticket.sla_targets["first_reply_time"].due_at == NOW + timedelta(minutes=60)
    assert sla.next_due(ticket) == NOW + timedelta(minutes=60)
    high = change_ticket(ticket, actor=Actor("agent", 1), via="api", now=NOW, fields={"priority": "high"}).ticket
    sla.apply_sla(high, [policy], NOW)
    assert high.sla_targets["first_reply_time"].due_at == NOW + timedelta(minutes=30)
    assert "total_resolution_time" not in high.sla_targets  # the policy has no high resolution target


def test_a_business_hours_target_on_a_schedule_that_never_opens_is_left_unset() -> None:
    from helpdesk.domain.business_hours import Schedule

    closed = Schedule.from_api({"name": "Closed", "time_zone": "UTC", "intervals": [
        {"start_time": 1440 + 540, "end_time": 1440 + 1020}], "holidays": [
        {"name": "shut", "start_date": "2026-01-01", "end_date": "2031-12-31"}]}, id=1, now_iso="2026-01-01T00:00:00Z")
    policy = sla.SlaPolicy.from_api({**POLICY, "policy_metrics": [
        {"priority": "normal", "metric": "first_reply_time", "target": 60, "business_hours": True},
        {"priority": "normal", "metric": "total_resolution_time", "target": 480}]}, id=1)
    ticket = _ticket()
    sla.apply_sla(ticket, [policy], NOW, [closed])  # no exception: the ticket can still be saved
    assert "first_reply_time" not in ticket.sla_targets
    assert ticket.sla_targets["total_resolution_time"].due_at == NOW + timedelta(minutes=480)


def test_a_first_public_agent_reply_fulfils_and_breaches_are_stamped_at_sweep_time() -> None:
    policy = sla.SlaPolicy.from_api(POLICY, id=1)
    ticket = _ticket()
    sla.apply_sla(ticket, [policy], NOW)
    assert sla.record_breaches(ticket, NOW + timedelta(minutes=59)) == []
    later = NOW + timedelta(minutes=60, seconds=30)
    [breach] = sla.record_breaches(ticket, later)
    assert breach.metric == "first_reply_time" and breach.breached_at == later
    assert sla.record_breaches(ticket, later + timedelta(minutes=1)) == []  # recorded once
    replied = change_ticket(ticket, actor=Actor("agent", 1), via="api", now=later,
                            comment=NewComment(body="hi", public=True, author_id=1, via="api")).ticket
    sla.apply_sla(replied, [policy], later)
    assert replied.sla_targets["first_reply_time"].breached_at == later  # history is kept
    assert sla.next_due(replied) == NOW + timedelta(minutes=480)


def test_no_policy_no_targets_and_filters_choose() -> None:
    ticket = _ticket()
    sla.apply_sla(ticket, [], NOW)
    assert ticket.sla_targets == {} and sla.next_due(ticket) is None
    only_urgent = sla.SlaPolicy.from_api({**POLICY, "filter": {"all": [
        {"field": "priority", "operator": "is", "value": "urgent"}], "any": []}}, id=2)
    assert sla.choose_policy(ticket, [only_urgent]) is None


@pytest.mark.parametrize("broken", [
    {"title": ""}, {"policy_metrics": []},
    {"policy_metrics": [{"priority": "normal", "metric": "first_reply_time", "target": -1}]},
    {"policy_metrics": [{"priority": "normal", "metric": "made_up", "target": 5}]},
    {"policy_metrics": [{"priority": "normal", "metric": "first_reply_time", "target": 5, "business_hours": "yes"}]},
    {"schedule_id": "first"},
])
def test_invalid_policies_are_refused(broken: dict[str, object]) -> None:
    with pytest.raises(InvalidRule):
        sla.SlaPolicy.from_api({**POLICY, **broken}, id=1)


def test_survey_tokens_verify_expire_and_refuse_forgery() -> None:
    secret = b"k" * 32
    token = sign_survey_token(secret, 42, "nonce", NOW + timedelta(days=1))
    claim = verify_survey_token(secret, token, NOW)
    assert (claim.ticket_id, claim.nonce) == (42, "nonce")
    with pytest.raises(InvalidSignature):
        verify_survey_token(b"other" * 8, token, NOW)
    with pytest.raises(InvalidSignature):
        verify_survey_token(secret, token.replace(".", ".x"), NOW)
    with pytest.raises(InvalidSignature):
        verify_survey_token(secret, "nodot", NOW)
    with pytest.raises(Gone):
        verify_survey_token(secret, token, NOW + timedelta(days=2))
    assert check_rating(" Good ") == "good"
    with pytest.raises(InvalidInput):
        check_rating("meh")
