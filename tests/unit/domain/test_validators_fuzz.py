"""Property-based: every validator of what the API and rules-as-code accept (triggers, automations, macros,
rule sets, SLA policies, schedules, groups and memberships, organizations, users, API tokens, recipient
addresses, webhooks, ticket fields) answers any JSON value with a record or an InvalidInput (InvalidRule,
InvalidRecord) carrying the reason: never AttributeError, TypeError, KeyError, ValueError or OverflowError.

The values start from a valid body of each kind broken in a few places, so they reach the nested validators.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.domain.addresses import RecipientAddress
from helpdesk.domain.api_tokens import ApiToken
from helpdesk.domain.automations import Automation
from helpdesk.domain.business_hours import Schedule
from helpdesk.domain.errors import InvalidInput
from helpdesk.domain.groups import Group, GroupMembership
from helpdesk.domain.macros import Macro
from helpdesk.domain.organizations import Organization
from helpdesk.domain.rule_sets import RuleSet
from helpdesk.domain.sla import SlaPolicy
from helpdesk.domain.tickets import EDITABLE_FIELDS, Actor, NewComment, Ticket, change_ticket, open_ticket
from helpdesk.domain.triggers import Trigger
from helpdesk.domain.users import new_user
from helpdesk.domain.webhooks import Webhook
from tests.fuzz_inputs import SAMPLE_BODIES, broken, json_values

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
T = "2026-11-23T09:00:00Z"
ADMIN = Actor("admin", 1)


def _inner(kind: str) -> Any:
    [value] = SAMPLE_BODIES[kind].values()
    return value


def _ticket_fields(data: Any) -> Any:
    return {k: v for k, v in data.items() if k in EDITABLE_FIELDS} if isinstance(data, dict) else data


def _open(data: Any) -> Any:
    comment = NewComment(body="Help", public=True, author_id=1, via="api")
    return open_ticket(ticket_id=1, subject="s", comment=comment, requester_id=2, actor=ADMIN, via="api", now=NOW,
                       fields=_ticket_fields(data)).ticket


def _change(data: Any) -> Any:
    ticket = Ticket(id=1, subject="s", description="d", requester_id=2, submitter_id=2, via="api",
                    created_at=NOW, updated_at=NOW)
    return change_ticket(ticket, actor=ADMIN, via="api", now=NOW, fields=_ticket_fields(data)).ticket


def _sla_update(data: Any) -> Any:
    existing = SlaPolicy.from_api(_inner("slas/policies"), id=3)
    return SlaPolicy.from_api({**existing.to_api(), **data} if isinstance(data, dict) else data, id=3)


EXISTING_GROUP = Group.from_api(SAMPLE_BODIES["groups"], id=1, now_iso=T)
EXISTING_MEMBERSHIP = GroupMembership.from_api(SAMPLE_BODIES["group_memberships"], id=1, now_iso=T)
EXISTING_MACRO = Macro.from_api(SAMPLE_BODIES["macros"], id=1, now_iso=T)
EXISTING_WEBHOOK = Webhook.from_api(SAMPLE_BODIES["webhooks"], id=1, now_iso=T, by="1")
EXISTING_USER = new_user(_inner("users"), id=5, now_iso=T)

VALIDATORS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "trigger": ("triggers", lambda d: Trigger.from_api(d, id=1, now_iso=T)),
    "automation": ("automations", lambda d: Automation.from_api(d, id=1, now_iso=T)),
    "macro": ("macros", lambda d: Macro.from_api(d, id=1, now_iso=T)),
    "macro update": ("macros", lambda d: Macro.from_api(d, id=1, now_iso=T, existing=EXISTING_MACRO)),
    "rule set": ("rule_sets", lambda d: RuleSet.from_api(d, id=1, now_iso=T)),
    "SLA policy": ("slas/policies", lambda d: SlaPolicy.from_api(d, id=1)),
    "SLA policy update": ("slas/policies", _sla_update),
    "schedule": ("business_hours/schedules", lambda d: Schedule.from_api(d, id=1, now_iso=T)),
    "group": ("groups", lambda d: Group.from_api(d, id=1, now_iso=T)),
    "group update": ("groups", lambda d: Group.from_api(d, id=1, now_iso=T, existing=EXISTING_GROUP)),
    "membership": ("group_memberships", lambda d: GroupMembership.from_api(d, id=1, now_iso=T)),
    "membership update": ("group_memberships",
                          lambda d: GroupMembership.from_api(d, id=1, now_iso=T, existing=EXISTING_MEMBERSHIP)),
    "organization": ("organizations", lambda d: Organization.from_api(d, id=1)),
    "user": ("users", lambda d: new_user(d, id=1, now_iso=T)),
    "user update": ("users", lambda d: EXISTING_USER.changed_by(d, T)),
    "API token": ("api_tokens", lambda d: ApiToken.issue(d, id=1, now_iso=T, by=1)[0]),
    "recipient address": ("recipient_addresses", lambda d: RecipientAddress.from_api(d, id=1)),
    "webhook": ("webhooks", lambda d: Webhook.from_api(d, id=1, now_iso=T, by="1")),
    "webhook update": ("webhooks", lambda d: Webhook.from_api(d, id=1, now_iso=T, by="1", existing=EXISTING_WEBHOOK)),
    "new ticket": ("tickets", _open),
    "ticket update": ("tickets", _change),
}
TAKES_ANYTHING = {"macro", "macro update", "group", "group update", "membership", "membership update"}


@pytest.mark.parametrize("kind", sorted(VALIDATORS))
def test_the_samples_are_valid(kind: str) -> None:
    """What the fuzzing breaks is a valid body, so a rejection is the broken part's doing."""
    sample, validate = VALIDATORS[kind]
    assert validate(_inner(sample)) is not None


@pytest.mark.parametrize("kind", sorted(VALIDATORS))
@settings(max_examples=100, deadline=None, database=None)
@given(data=st.data())
def test_any_json_gets_a_record_or_a_reason(kind: str, data: st.DataObject) -> None:
    sample, validate = VALIDATORS[kind]
    values = st.one_of(broken(_inner(sample)), json_values)
    if kind not in TAKES_ANYTHING:  # the others are typed Mapping: the services check the envelope first
        values = values.filter(lambda value: isinstance(value, dict))
    value = data.draw(values, label="body")
    try:
        record = validate(value)
    except InvalidInput as exc:
        assert str(exc), "an InvalidInput must say why"
        return
    shown = record.to_api() if hasattr(record, "to_api") else record.snapshot()
    json.dumps(shown, default=str)  # what was accepted can be answered


@pytest.mark.parametrize("kind", ["trigger", "automation", "macro", "rule set"])
@pytest.mark.parametrize("position", [-1, 10**40 + 1, 10**200])
def test_a_rule_position_fits_the_number_it_is_kept_in(kind: str, position: int) -> None:
    """A rule's position is a DynamoDB number (38 significant digits, exponent within 125): a position no
    help desk has is refused, not a write that fails."""
    sample, validate = VALIDATORS[kind]
    with pytest.raises(InvalidInput, match="position"):
        validate({**_inner(sample), "position": position})
