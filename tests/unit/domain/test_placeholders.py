"""Placeholders: Liquid templates, never code."""

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
        "{{ticket.__class__}}{{ticket.__class__.__mro__}}",
        "{{ ticket.id.__str__ }}",
        "{% include 'etc/passwd' %}",
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


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ ticket.title | upcase }}", "PRINTER ON FIRE"),
        ("{{ticket.id | plus: 1}}", "43"),
        ("{{ ticket['id'] }}", "42"),
        ('{% if ticket.status == "open" %}still open{% else %}done{% endif %}', "still open"),
        ("{% for tag in ticket.tags %}[{{ tag }}]{% endfor %}", "[a][b]"),
        ("{{ ticket.tags | join: ',' }}", "a,b"),
        ("{{ ticket.requester.name | split: ' ' | first }}", "Ana"),
    ],
)
def test_liquid_filters_and_tags(template: str, expected: str) -> None:
    assert render(template, CONTEXT) == expected


def test_html_targets_escape_values_but_not_the_template() -> None:
    context = {"ticket": {"subject": "<script>alert(1)</script> & co"}}
    rendered = render("<p>{{ticket.title}}</p>", context, escape=True)
    assert rendered == "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</p>"


def test_invalid_liquid_still_substitutes_plain_names() -> None:
    assert render("#{{ticket.id}} {% bogus %}", CONTEXT) == "#42 {% bogus %}"
    assert render("<{{ticket.title}}> {% if %}", {"ticket": {"subject": "<b>"}}, escape=True) == "<&lt;b&gt;> {% if %}"


def test_runaway_loops_are_cut_off() -> None:
    template = "{% for i in (1..100000) %}{% for j in (1..100000) %}x{% endfor %}{% endfor %}"
    assert len(render(template, CONTEXT)) < 10_000
