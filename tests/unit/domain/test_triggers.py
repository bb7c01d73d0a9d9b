"""Triggers: actions, the firing cycle, net changes, notifications and the API shape."""

from __future__ import annotations

import json
from typing import Any

import pytest

from helpdesk.domain.errors import InvalidRule
from helpdesk.domain.rule_actions import validate_actions
from helpdesk.domain.triggers import Notification, Trigger, UpdateContext, run_triggers
from tests.support import corpus

NOW = "2024-05-01T10:00:00Z"
REQUESTER = {"id": 7, "email": "ana@example.com", "name": "Ana Ruiz", "role": "end-user", "locale": "es"}


def ticket(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 42,
        "subject": "Printer on fire",
        "description": "It burns",
        "status": "open",
        "priority": "low",
        "type": None,
        "tags": ["hardware"],
        "group_id": None,
        "assignee_id": None,
        "requester_id": 7,
        "organization_id": None,
        "brand_id": 1,
        "via": "email",
        "custom_fields": {},
        "satisfaction_score": "unoffered",
        "created_at": NOW,
        "updated_at": NOW,
    }
    return base | fields


def context(**fields: Any) -> UpdateContext:
    base: dict[str, Any] = {
        "update_type": "Change",
        "via": "web",
        "actor_role": "agent",
        "actor_id": 5,
        "comment": None,
        "previous": ticket(),
        "requester": REQUESTER,
    }
    return UpdateContext(**(base | fields))


def cond(field: str, operator: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


def trigger(
    id: int, conditions: list[dict[str, Any]], actions: list[dict[str, Any]], **extra: Any
) -> Trigger:
    body = {
        "title": f"trigger {id}",
        "conditions": {"all": conditions, "any": []},
        "actions": actions,
    } | extra
    return Trigger.from_api(body, id=id, now_iso=NOW)


def act(field: str, value: Any) -> dict[str, Any]:
    return {"field": field, "value": value}


ALWAYS = [cond("status", "less_than", "closed")]


def run_one(action: dict[str, Any], t: dict[str, Any] | None = None, **ctx: Any) -> dict[str, Any]:
    return run_triggers(t or ticket(), [trigger(1, ALWAYS, [action])], context(**ctx)).ticket


# --- actions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "field", "expected"),
    [
        (act("status", "pending"), "status", "pending"),
        (act("status", "hold"), "status", "hold"),
        (act("priority", "urgent"), "priority", "urgent"),
        (act("priority", ""), "priority", None),
        (act("type", "incident"), "type", "incident"),
        (act("group_id", "12"), "group_id", 12),
        (act("assignee_id", 9), "assignee_id", 9),
        (act("assignee_id", "current_user"), "assignee_id", 5),
        (act("set_tags", "a b"), "tags", ["a", "b"]),
        (act("current_tags", "vip hardware"), "tags", ["hardware", "vip"]),
        (act("remove_tags", ["HARDWARE"]), "tags", []),
        (act("custom_fields_360", "gold"), "custom_fields", {"360": "gold"}),
        (act("satisfaction_score", "offered_to_requester"), "satisfaction_score", "offered"),
    ],
)
def test_action(action: dict[str, Any], field: str, expected: Any) -> None:
    assert run_one(action)[field] == expected


def test_unassign_and_ungroup() -> None:
    done = run_one(act("assignee_id", ""), ticket(assignee_id=5))
    assert done["assignee_id"] is None
    assert run_one(act("group_id", ""), ticket(group_id=3))["group_id"] is None


def test_current_user_is_only_assigned_when_an_agent_makes_the_update() -> None:
    assert (
        run_one(act("assignee_id", "current_user"), actor_role="end-user", actor_id=7)["assignee_id"] is None
    )


def test_satisfaction_offer_keeps_a_rating() -> None:
    done = run_one(act("satisfaction_score", "offered_to_requester"), ticket(satisfaction_score="good"))
    assert done["satisfaction_score"] == "good"


def test_notifications_are_rendered_with_the_ticket_at_firing_time() -> None:
    rule = trigger(
        1,
        ALWAYS,
        [
            act(
                "notification_user",
                ["requester_id", "[#{{ticket.id}}] {{ticket.title}}", "Now {{ ticket.priority }}"],
            ),
            act("priority", "high"),
            act("notification_group", ["group_id", "{{ticket.requester.name}}", "{{ticket.url}}"]),
            act("notification_webhook", ["wh-1", '{"said": "{{ticket.latest_comment}}"}']),
        ],
    )
    extra = {"ticket": {"url": "https://desk.example/t/42"}}
    comment = {"body": 'He said "hi"', "public": True, "author_id": 5}
    run = run_triggers(ticket(), [rule], context(comment=comment), placeholders=extra)
    assert run.notifications == [
        Notification(1, "requester_id", "[#42] Printer on fire", "Now high"),
        Notification(1, "group_id", "Ana Ruiz", "https://desk.example/t/42", "group"),
        Notification(1, "wh-1", "", '{"said": "He said \\"hi\\""}', "webhook"),
    ]
    assert json.loads(run.notifications[2].body) == {"said": 'He said "hi"'}


def test_notification_to_a_user_id() -> None:
    rule = trigger(1, ALWAYS, [act("notification_user", ["77", "s", "b"])])
    assert run_triggers(ticket(), [rule], context()).notifications == [Notification(1, 77, "s", "b")]


# --- the cycle -------------------------------------------------------------------------------------


def test_chaining_forward_and_backward() -> None:
    first = trigger(
        1, [cond("current_tags", "includes", "escalate")], [act("priority", "urgent")], position=1
    )
    second = trigger(2, [cond("priority", "is", "low")], [act("current_tags", "escalate")], position=2)
    third = trigger(3, [cond("priority", "value", "urgent")], [act("group_id", 99)], position=3)
    run = run_triggers(ticket(), [third, second, first], context())
    assert run.fired == [2, 1, 3]
    assert run.ticket["group_id"] == 99
    assert run.changes == {
        "priority": ("low", "urgent"),
        "tags": (["hardware"], ["hardware", "escalate"]),
        "group_id": (None, 99),
    }


def test_ping_pong_stops_after_each_fired_once() -> None:
    up = trigger(1, [cond("priority", "is", "low")], [act("priority", "high")])
    down = trigger(2, [cond("priority", "is", "high")], [act("priority", "low")])
    run = run_triggers(ticket(), [up, down], context())
    assert run.fired == [1, 2]
    assert run.ticket["priority"] == "low"
    assert run.changes == {}


def test_a_trigger_fires_at_most_once_per_update() -> None:
    again = trigger(1, ALWAYS, [act("current_tags", "seen")])
    other = trigger(2, [cond("current_tags", "includes", "seen")], [act("remove_tags", "seen")])
    run = run_triggers(ticket(), [again, other], context())
    assert run.fired == [1, 2]
    assert run.ticket["tags"] == ["hardware"]
    assert run.changes == {}


def test_inactive_triggers_are_skipped() -> None:
    rule = trigger(1, ALWAYS, [act("priority", "high")], active=False)
    run = run_triggers(ticket(), [rule], context())
    assert (run.fired, run.changes) == ([], {})


def test_position_then_id_decides_who_fires_first() -> None:
    rules = [
        trigger(5, ALWAYS, [act("type", "task")], position=2),
        trigger(4, [cond("type", "is", "")], [act("type", "incident")], position=2),
        trigger(9, [cond("type", "is", "")], [act("type", "problem")], position=1),
    ]
    run = run_triggers(ticket(), rules, context())
    assert run.fired == [9, 5]
    assert run.ticket["type"] == "task"


def test_closed_tickets_are_untouched() -> None:
    closed = ticket(status="closed")
    run = run_triggers(closed, [trigger(1, ALWAYS, [act("priority", "high")])], context())
    assert (run.ticket, run.fired, run.changes, run.notifications) == (closed, [], {}, [])
    anything = trigger(2, [cond("status", "is", "closed")], [act("priority", "high")])
    assert run_triggers(closed, [anything], context()).fired == []


def test_changes_made_by_earlier_triggers_count_as_changes() -> None:
    rules = [
        trigger(1, [cond("priority", "changed")], [act("current_tags", "changed")], position=1),
        trigger(2, [cond("via_id", "is", "email")], [act("priority", "high")], position=2),
    ]
    run = run_triggers(ticket(), rules, context())
    assert run.fired == [2, 1]


def test_net_changes_omit_a_field_set_then_set_back_and_leave_the_input_alone() -> None:
    original = ticket()
    rules = [
        trigger(1, ALWAYS, [act("status", "solved"), act("custom_fields_1", "x")], position=1),
        trigger(2, [cond("status", "is", "solved")], [act("status", "open")], position=2),
    ]
    run = run_triggers(original, rules, context())
    assert run.changes == {"custom_fields": ({}, {"1": "x"})}
    assert original == ticket()


def test_status_never_goes_back_to_new_even_from_a_hand_built_trigger() -> None:
    rule = Trigger(id=1, title="bad", conditions={"all": ALWAYS, "any": []}, actions=[act("status", "new")])
    assert run_triggers(ticket(), [rule], context()).ticket["status"] == "open"
    assert run_triggers(ticket(status="new"), [rule], context()).ticket["status"] == "new"


# --- the API shape ---------------------------------------------------------------------------------


def test_from_api_and_to_api() -> None:
    body = {
        "trigger": {
            "title": " Route Spanish ",
            "description": "es to the Spanish group",
            "position": 3,
            "url": "https://ignored",
            "conditions": {"all": [cond("requester_locale", "is", "es")]},
            "actions": [act("group_id", "12")],
        }
    }
    rule = Trigger.from_api(body, id=8, now_iso=NOW)
    assert rule.to_api() == {
        "id": 8,
        "title": "Route Spanish",
        "active": True,
        "position": 3,
        "description": "es to the Spanish group",
        "conditions": {"all": [cond("requester_locale", "is", "es")], "any": []},
        "actions": [act("group_id", 12)],
        "created_at": NOW,
        "updated_at": NOW,
    }
    later = Trigger.from_api(rule.to_api(), id=8, now_iso="2024-06-01T00:00:00Z")
    assert (later.created_at, later.updated_at) == (NOW, "2024-06-01T00:00:00Z")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"title": ""}, "title is required"),
        ({"title": None}, "title is required"),
        ({"actions": []}, "actions must be a non-empty list"),
        ({"actions": None}, "actions must be a non-empty list"),
        ({"conditions": {"all": [], "any": []}}, "at least one condition"),
        ({"conditions": {"all": [cond("colour", "is", "red")]}}, "unknown condition field 'colour'"),
        ({"active": "yes"}, "active must be true or false"),
        ({"position": "1"}, "position must be an integer"),
        ({"description": 3}, "description must be text"),
        ({"actions": [act("status", "new")]}, "actions[0]: status: 'new' is not one of open"),
        ({"actions": [act("status", "closed")]}, "is not one of open, pending, hold, solved"),
        ({"actions": [act("priority", "asap")]}, "actions[0]: priority"),
        ({"actions": [act("type", "bug")]}, "actions[0]: type"),
        ({"actions": [act("assignee_id", "me")]}, "'me' is not an id"),
        ({"actions": [act("set_tags", "")]}, "at least one tag"),
        ({"actions": [act("current_tags", 3)]}, "space-separated list of tags"),
        ({"actions": [act("satisfaction_score", "good")]}, "offered_to_requester"),
        ({"actions": [act("notification_user", ["requester_id", "s"])]}, "list of 3"),
        ({"actions": [act("notification_user", ["boss", "s", "b"])]}, "'boss' is not"),
        ({"actions": [act("notification_user", ["", "s", "b"])]}, "a recipient is required"),
        ({"actions": [act("notification_group", [3, "s", 4])]}, "subject and body must be text"),
        ({"actions": [act("notification_webhook", ["", "{}"])]}, "a webhook id is required"),
        ({"actions": [act("custom_fields_1", {"a": 1})]}, "custom field value"),
        ({"actions": [act("launch_rocket", True)]}, "unknown action field 'launch_rocket'"),
        ({"actions": ["status"]}, "actions[0]: an action is an object"),
    ],
)
def test_from_api_refuses_with_a_reason(changes: dict[str, Any], reason: str) -> None:
    body = {"title": "t", "conditions": {"all": ALWAYS}, "actions": [act("priority", "high")]} | changes
    with pytest.raises(InvalidRule) as error:
        Trigger.from_api(body, id=1, now_iso=NOW)
    assert reason in str(error.value)


def test_automations_may_close() -> None:
    assert validate_actions([act("status", "closed")], allow_closed=True) == [act("status", "closed")]


@pytest.mark.corpus
def test_zendesk_sample_trigger() -> None:
    data = json.loads(corpus("zendesk_objects", "trigger.json").read_text())
    rule = Trigger.from_api(data, id=data["id"], now_iso=NOW)
    assert rule.to_api()["conditions"] == data["conditions"]
    assert (rule.position, rule.active, rule.title) == (2, True, "Notify requester of a new comment")

    reply = {"body": "We are on it", "public": True, "author_id": 5}
    extra = {"ticket": {"account": "Acme", "comments_formatted": "We are on it"}}
    run = run_triggers(ticket(), [rule], context(comment=reply), placeholders=extra)
    assert run.fired == [data["id"]]
    assert run.notifications == [
        Notification(
            data["id"], "requester_id", "[Acme] Reply to: Printer on fire", "New comment:\nWe are on it]\n"
        )
    ]
    own = {"body": "Any news?", "public": True, "author_id": 7}
    assert run_triggers(ticket(), [rule], context(comment=own, actor_role="end-user", actor_id=7)).fired == []
    private = {"body": "note", "public": False, "author_id": 5}
    assert run_triggers(ticket(), [rule], context(comment=private)).fired == []


def test_add_cc_and_brand_actions() -> None:
    rule = trigger(1, [cond("current_tags", "includes", "hardware")],
                   [act("cc", 12), act("cc", "current_user"), act("cc", 7), act("brand_id", 3)])
    run = run_triggers(ticket(collaborator_ids=[12]), [rule], context())
    assert run.ticket["collaborator_ids"] == [12, 5]  # already a CC once; the requester (7) is never a CC
    assert run.changes["collaborator_ids"] == ([12], [12, 5])
    assert run.changes["brand_id"] == (1, 3)
    system = run_triggers(ticket(), [rule], context(actor_role="system", actor_id=None))
    assert system.ticket["collaborator_ids"] == [12]  # no current user to add
    with pytest.raises(InvalidRule, match="cc: a user is required"):
        trigger(2, [cond("current_tags", "includes", "x")], [act("cc", "")])


def test_only_notifications_that_mention_the_rating_need_a_rating_link() -> None:
    from helpdesk.domain.rule_actions import mentions_rating

    asks = [act("notification_user", ["requester_id", "Rate us", "Here: {{satisfaction.rating_url}}"])]
    tells = [act("notification_user", ["requester_id", "Solved", "{{ticket.title}} is solved"]), act("status", "open")]
    assert mentions_rating([tells, asks]) is True
    assert mentions_rating([tells]) is False and mentions_rating([]) is False
