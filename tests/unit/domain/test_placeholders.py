"""Placeholders: plain dotted look-ups, never evaluation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from helpdesk.domain.placeholders import lookup, render
from helpdesk.domain.rule_actions import placeholder_context
from helpdesk.domain.triggers import UpdateContext

CONTEXT: dict[str, Any] = {
    "ticket": {
        "id": 42,
        "subject": "Printer on fire",
        "status": "open",
        "priority": None,
        "tags": ["a", "b"],
        "url": "https://desk.example/t/42",
        "latest_comment": "Thanks!",
        "requester": {"name": "Ana Ruiz"},
        "custom_fields": {"1": "x"},
        "public": True,
    },
    "satisfaction": {"rating_url": "https://desk.example/s/abc"},
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("#{{ticket.id}}", "#42"),
        ("{{ticket.title}}", "Printer on fire"),
        ("{{ ticket.status }}", "open"),
        ("{{\tticket.status\n}}", "open"),
        ("[{{ticket.priority}}]", "[]"),
        ("{{ticket.requester.name}} said {{ticket.latest_comment}}", "Ana Ruiz said Thanks!"),
        (
            "{{ticket.url}} {{satisfaction.rating_url}}",
            "https://desk.example/t/42 https://desk.example/s/abc",
        ),
        ("{{ticket.tags}}", "a b"),
        ("{{ticket.public}}", "true"),
        ("{{ticket.custom_fields}}", ""),
        ("{{ticket.nope}}{{nope}}{{ticket.id.deeper}}", ""),
        ("no placeholders", "no placeholders"),
        ("{{ticket.id}", "{{ticket.id}"),
    ],
)
def test_render(template: str, expected: str) -> None:
    assert render(template, CONTEXT) == expected


@pytest.mark.parametrize(
    "template",
    [
        "{{ __import__('os').system('echo hacked') }}",
        "{{ticket.id | plus: 1}}",
        "{{ticket.__class__}}",
        "{{ ticket['id'] }}",
        "{% if ticket.id %}x{% endif %}",
        "{{7*7}}",
    ],
)
def test_nothing_is_evaluated(template: str) -> None:
    rendered = render(template, CONTEXT)
    assert "42" not in rendered
    assert "49" not in rendered
    assert "hacked" not in rendered


def test_title_falls_back_to_the_subject_only_when_no_title_is_given() -> None:
    assert render("{{ticket.title}}", {"ticket": {"subject": "S", "title": "T"}}) == "T"


def test_escape_applies_to_substituted_values_only() -> None:
    rendered = render(
        '{"s": "{{ticket.subject}}"}', {"ticket": {"subject": 'a "b"'}}, escape=lambda s: json.dumps(s)[1:-1]
    )
    assert json.loads(rendered) == {"s": 'a "b"'}


def test_lookup() -> None:
    assert lookup("ticket.requester.name", CONTEXT) == "Ana Ruiz"
    assert lookup("ticket.requester.email", CONTEXT) is None


def test_placeholder_context_prefers_the_live_ticket_and_fills_defaults() -> None:
    ctx = UpdateContext(
        update_type="Change",
        via="web",
        actor_role="agent",
        actor_id=5,
        comment={"body": "private note", "public": False, "author_id": 5},
        previous=None,
        requester={"id": 7, "name": "Ana Ruiz", "email": "ana@example.com"},
    )
    live = {"id": 42, "subject": "Live", "status": "solved", "custom_fields": {"360": "gold"}}
    extra = {
        "ticket": {"status": "stale", "url": "u", "requester": {"name": "Ana R."}},
        "satisfaction": {"rating_url": "r"},
    }
    context = placeholder_context(live, ctx, extra)
    rendered = render(
        "{{ticket.title}}|{{ticket.status}}|{{ticket.url}}|{{ticket.requester.name}}|"
        "{{ticket.requester.first_name}}|{{ticket.requester.email}}|{{ticket.latest_comment}}|{{ticket.latest_public_comment}}|"
        "{{ticket.ticket_field_360}}|{{satisfaction.rating_url}}",
        context,
    )
    assert rendered == "Live|solved|u|Ana R.|Ana|ana@example.com|private note||gold|r"
