"""Macros: validation of their actions and what applying one would change (in memory only)."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from helpdesk.domain.errors import InvalidRule
from helpdesk.domain.macros import Macro, apply_macro
from helpdesk.domain.rule_context import UpdateContext

NOW = "2026-11-23T09:00:00Z"
AGENT = UpdateContext(update_type="Change", via="api", actor_role="agent", actor_id=42,
                      requester={"id": 7, "name": "Dana Scully", "email": "dana@customer.example"})


def macro(actions: list[dict[str, Any]], **fields: Any) -> Macro:
    return Macro.from_api({"macro": {"title": "Known issue", "actions": actions, **fields}}, id=1, now_iso=NOW)


def ticket() -> dict[str, Any]:
    return {"id": 12, "subject": "Printer on fire", "status": "open", "priority": "normal", "type": None,
            "tags": ["printer"], "group_id": None, "assignee_id": None, "requester_id": 7, "custom_fields": {},
            "satisfaction_score": "unoffered"}


def test_macro_actions_are_trigger_actions_plus_a_comment() -> None:
    made = macro([{"field": "status", "value": "Solved"}, {"field": "current_tags", "value": "known_issue"},
                  {"field": "comment_value", "value": ["channel:all", "See our forums."]},
                  {"field": "comment_mode_is_public", "value": "false"}])
    assert made.actions == [{"field": "status", "value": "solved"},
                            {"field": "current_tags", "value": "known_issue"},
                            {"field": "comment_value", "value": "See our forums."},
                            {"field": "comment_mode_is_public", "value": False}]
    assert made.to_api()["title"] == "Known issue" and made.active is True


@pytest.mark.parametrize(("actions", "reason"), [
    ([], "non-empty"),
    ([{"field": "status", "value": "open"}, {"field": "status", "value": "new"}], "actions[1]: status"),
    ([{"field": "colour", "value": "red"}], "actions[0]: colour: unknown action field 'colour'"),
    ([{"field": "comment_value", "value": "  "}], "actions[0]: comment_value"),
    ([{"field": "comment_mode_is_public", "value": "maybe"}], "actions[0]: comment_mode_is_public"),
    ([{"field": "group_id", "value": "my_groups"}], "actions[0]: group_id"),
])
def test_bad_actions_are_refused_with_the_reason(actions: list[dict[str, Any]], reason: str) -> None:
    with pytest.raises(InvalidRule, match=re.escape(reason)):
        macro(actions)


def test_title_and_restriction_are_validated() -> None:
    with pytest.raises(InvalidRule, match="title"):
        Macro.from_api({"actions": [{"field": "status", "value": "open"}]}, id=1, now_iso=NOW)
    with pytest.raises(InvalidRule, match="restriction"):
        macro([{"field": "status", "value": "open"}], restriction={"type": "Team", "id": 1})
    restricted = macro([{"field": "status", "value": "open"}], restriction={"type": "Group", "ids": [3]})
    assert restricted.available_to(42, {3}, admin=False) and not restricted.available_to(42, {4}, admin=False)
    assert restricted.available_to(42, set(), admin=True)


def test_applying_to_a_ticket_changes_a_copy_and_renders_the_comment() -> None:
    made = macro([{"field": "status", "value": "solved"}, {"field": "assignee_id", "value": "current_user"},
                  {"field": "group_id", "value": "current_groups"}, {"field": "custom_fields_5", "value": "x"},
                  {"field": "notification_user", "value": ["requester_id", "Hi", "Body"]},
                  {"field": "comment_value_html", "value": "<p>Hi {{ticket.requester.first_name}} & co</p>"},
                  {"field": "comment_value", "value": "Hi {{ticket.requester.first_name}}, #{{ticket.id}}. "
                                                      "{{current_user.name}}"}])
    before = ticket()
    original = copy.deepcopy(before)
    result = apply_macro(made, before, AGENT, agent_group=9,
                         placeholders={"current_user": {"name": "Agent Smith"}})
    assert before == original
    assert result.ticket["status"] == "solved" and result.ticket["assignee_id"] == 42
    assert result.ticket["group_id"] == 9 and result.ticket["custom_fields"] == {"5": "x"}
    assert result.fields == ["status", "assignee_id", "group_id", "custom_fields"]
    assert result.notifications_skipped == 1
    assert result.comment is not None
    assert result.comment["body"] == "Hi Dana, #12. Agent Smith"
    assert result.comment["html_body"] == "<p>Hi Dana & co</p>" and result.comment["public"] is True


def test_applying_to_no_ticket_lists_the_fields_and_keeps_placeholders() -> None:
    made = macro([{"field": "priority", "value": "high"}, {"field": "set_tags", "value": "a b"},
                  {"field": "comment_value", "value": "Ticket {{ticket.id}} <done>"},
                  {"field": "comment_mode_is_public", "value": False}])
    result = apply_macro(made, None, AGENT)
    assert {name: result.ticket[name] for name in result.fields} == {"priority": "high", "tags": ["a", "b"]}
    assert result.comment == {"body": "Ticket {{ticket.id}} <done>", "public": False,
                              "html_body": "<p>Ticket {{ticket.id}} &lt;done&gt;</p>",
                              "scoped_body": [["channel:all", "Ticket {{ticket.id}} <done>"]]}
