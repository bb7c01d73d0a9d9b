"""Hypothesis strategies for the fuzz tests: path segments, query strings, headers, and request bodies.

JSON bodies start from a valid body of the route's resource and break it in a few places (a value of the wrong
type, a key dropped, a huge or unicode-digit string), so the generated requests get past the envelope check into
the validators; besides them come the bodies no client should send: deep nesting, non-UTF-8 bytes, forms, empty.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from typing import Any

from hypothesis import strategies as st

from tests.support import EVENTS

# strings that have broken parsers before: digits int() refuses ("²".isdigit() is true), digits of other
# scripts, numbers out of every range, lone surrogates, control characters, markup, our own placeholders
TRICKY_STRINGS = (
    "", " ", "0", "-1", "1", "2", "1.5", "1e3", "0x1f", "1_000", " 7 ", "²", "¹²", "٣", "\uff11\uff12", "⑦", "9" * 40,
    "99999999999999999999", "NaN", "Infinity", "null", "true", "[]", "{}", "\x00", "\ud800", "\r\nBcc: x@y",
    "<script>alert(1)</script>", "{{ticket.id}}", "{% for %}", "../../etc/passwd", "@", "a@b", "x@example.com",
    "current_user", "requester_id", "open", "solved", "Create", "is", "includes", "(" * 500, "\"" * 300,
    "a" * 3000 + "@example.com", "<" + "m" * 3000 + "@example.com>",
)
TRICKY_NUMBERS = (0, -1, 1, 2, 3, 2**31, 2**63, -(2**63), 10**40, 1.5, -0.0, 1e308, float("inf"), float("nan"))
KNOWN_KEYS = (
    "id", "title", "name", "email", "value", "field", "operator", "conditions", "actions", "all", "any", "status",
    "priority", "comment", "body", "public", "policy_metrics", "metric", "target", "subscriptions", "endpoint",
    "intervals", "start_time", "end_time", "holidays", "rules", "events", "assignment", "restriction", "ids",
    "user_id", "group_id", "organization_id", "custom_fields", "user_fields", "tags", "position", "active",
)

scalars = st.one_of(
    st.none(), st.booleans(), st.sampled_from(TRICKY_NUMBERS), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(TRICKY_STRINGS), st.text(max_size=12),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(KNOWN_KEYS) | st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
# what goes where a huge value would hurt: long, but within what a stored record may hold
huge_strings = st.sampled_from(("x" * 20_000, "é" * 20_000, "word " * 5_000, "(" * 20_000, "²" * 5_000))


def _sample(name: str) -> Any:
    return json.loads((EVENTS / name).read_text())


def _condition(field: str, operator: str, value: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


_TICKET = {"ticket": {
    "subject": "Parcel late", "comment": {"body": "Where is my parcel?", "public": True}, "priority": "high",
    "status": "open", "type": "incident", "tags": ["parcel"], "requester": {"name": "Dana", "email": "dana@c.example"},
    "custom_fields": [{"id": 1, "value": "blue"}], "assignee_id": 1, "group_id": 1, "collaborator_ids": [1],
    "organization_id": 1, "external_id": "order-1"}}
_AUTOMATION = {"automation": {"title": "Close pending", "active": True, "conditions": {"all": [
    _condition("status", "is", "pending"), _condition("PENDING", "greater_than", 48)], "any": []},
    "actions": [{"field": "status", "value": "solved"}]}}
_MACRO = {"macro": {"title": "Known issue", "restriction": {"type": "Group", "ids": [1]}, "actions": [
    {"field": "status", "value": "solved"}, {"field": "comment_value", "value": "Hi {{ticket.requester.name}}"},
    {"field": "comment_mode_is_public", "value": False}]}}
_RULE_SET = {"rule_set": {"title": "Follow-ups", "type": "on_update", "rules": [
    {"title": "refunds", "conditions": {"all": [_condition("subject_includes_word", "includes", "refund")], "any": []},
     "actions": [{"field": "current_tags", "value": "refunds"}], "performer": "requester",
     "events": [{"name": "status_changed", "to": "pending"}]}]}}
SAMPLE_BODIES: dict[str, Any] = {
    "tickets": _TICKET,
    "triggers": _sample("api_trigger_refund_priority.json"),
    "triggers/reorder": {"trigger_ids": [1, 2]},
    "rule_stats/dry_run": _sample("api_trigger_acknowledge.json"),
    "slas/policies": {"sla_policy": {**_sample("api_sla_policy.json")["sla_policy"], "schedule_id": 1}},
    "automations": _AUTOMATION,
    "macros": _MACRO,
    "rule_sets": _RULE_SET,
    "business_hours/schedules": {"schedule": {"name": "Office", "time_zone": "Europe/Berlin", "intervals": [
        {"start_time": 1980, "end_time": 2460}], "holidays": [
        {"name": "New Year", "start_date": "2027-01-01", "end_date": "2027-01-01"}]}},
    "groups": {"group": {"name": "Tier 2", "description": "d", "default": False, "is_public": True,
                         "assignment": {"mode": "round_robin", "unassigned_limit_minutes": 30, "manager_id": 1}}},
    "group_memberships": {"group_membership": {"group_id": 1, "user_id": 1, "capacity": 3, "skills": ["billing"],
                                               "languages": ["en"], "available": True, "default": True}},
    "organizations": {"organization": {"name": "Acme", "domain_names": ["acme.example"], "group_id": 1,
                                       "organization_fields": {"tier": "gold"}, "details": "d"}},
    "users": {"user": {"name": "Agnes", "email": "agnes@example.com", "role": "agent", "locale": "de",
                       "user_fields": {"tier": "gold"}, "organization_id": 1}},
    "api_tokens": {"token": {"description": "ci"}},
    "webhooks": {"webhook": {"name": "Orders", "endpoint": "https://orders.example/hook", "http_method": "POST",
                             "request_format": "json", "status": "active",
                             "subscriptions": ["conditional_ticket_events"]}},
    "recipient_addresses": {"recipient_address": {"email": "sellers@example.com", "name": "Sellers",
                                                  "group_id": 1, "brand_id": 1, "signature": "The team",
                                                  "default": False}},
    "postmark": {"From": "Dana <dana@c.example>", "FromFull": {"Email": "dana@c.example", "Name": "Dana"},
                 "To": "support@example.com", "Cc": "", "Subject": "Hello", "MessageID": "pm-1",
                 "Date": "Mon, 23 Nov 2026 08:00:00 +0000", "TextBody": "Hi", "HtmlBody": "<p>Hi</p>",
                 "ReplyTo": "", "OriginalRecipient": "support@example.com",
                 "Headers": [{"Name": "Message-ID", "Value": "<pm-1@c.example>"}],
                 "Attachments": [{"Name": "a.txt", "Content": "aGVsbG8=", "ContentType": "text/plain"}]},
}


def sample_body(route: str) -> Any:
    """A valid body for the route's resource (``/api/v2/macros/{macro_id}`` -> the macro sample)."""
    path = re.sub(r"^/api/v2/|\.json$|/\{[a-z_]+\}.*$", "", route)
    if route.startswith("/api/v2/users/"):
        path = "users"
    return copy.deepcopy(SAMPLE_BODIES.get(path, SAMPLE_BODIES.get(path.split("/")[0], {})))


def _places(doc: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [at]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _places(value, (*at, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found += _places(value, (*at, index))
    return found


def _put(doc: Any, at: tuple[Any, ...], action: str, value: Any) -> Any:
    if not at:
        return value if action == "replace" else [doc] if action == "wrap" else doc
    parent = doc
    for step in at[:-1]:
        parent = parent[step]
    last = at[-1]
    if action == "delete":
        del parent[last]
    elif action == "wrap":
        parent[last] = [parent[last]]
    else:
        parent[last] = value
    return doc


@st.composite
def broken(draw: st.DrawFn, sample: Any) -> Any:
    """``sample`` with one to three places changed: replaced by any JSON value, dropped, or wrapped in a list."""
    doc = copy.deepcopy(sample)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.sampled_from(_places(doc)))
        action = draw(st.sampled_from(("replace", "replace", "replace", "delete", "wrap")))
        value = draw(st.one_of(json_values, huge_strings)) if action == "replace" else None
        doc = _put(doc, at, action, value)
    return doc


def deeply_nested(depth: int) -> st.SearchStrategy[str]:
    """Nesting as deep as ``depth``, bare or inside an envelope, arrays or objects."""
    return st.sampled_from((
        "[" * depth, "[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth,
        '{"ticket": ' + "[" * depth + "]" * depth + "}", '{"ticket": {"tags": ' + "[" * depth + "]" * depth + "}}",
    ))


def json_bodies(route: str) -> st.SearchStrategy[Any]:
    """What a JSON route is sent: the resource broken, any JSON, deep nesting, non-UTF-8 bytes, a form, nothing."""
    envelope = sample_body(route)
    return st.one_of(
        broken(envelope).map(lambda doc: json.dumps(doc, allow_nan=True)),
        json_values.map(json.dumps),
        st.sampled_from(sorted(envelope) or ["ticket"]).flatmap(
            lambda key: json_values.map(lambda value: json.dumps({key: value}))),
        deeply_nested(40),
        st.sampled_from((900, 20_000)).flatmap(deeply_nested),
        st.binary(max_size=64),
        st.sampled_from((b"", b"\xff\xfe\x00{", b"a=1&b=2", b"{", b'{"ticket": "\xff"}', b"null", b"1" * 5000)),
    )


SEGMENTS = st.one_of(
    st.integers(0, 6).map(str),
    st.integers(0, 6).map(lambda n: f"{n}.json"),
    st.sampled_from(("²", "².json", "¹²", "٣", "\uff11\uff12", "-1", "0.json", "1e3", "9" * 40, "9" * 40 + ".json",
                     ".json", "me", "search", "create_or_update", "reorder", "definitions", "active", "%00",
                     "..", " 1", "1 ", "x" * 2_000)),
    st.text(st.characters(exclude_characters="/?#", exclude_categories=["Cs"]), min_size=1, max_size=12),
)
QUERY_KEYS = ("per_page", "page[after]", "page[size]", "role", "role[]", "active", "query", "email", "limit",
              "filename", "page", "sort_by", "include")
QUERY_VALUES = st.one_of(
    st.sampled_from(TRICKY_STRINGS), st.integers(-5, 200).map(str), st.text(max_size=10),
    st.sampled_from(('{"id": {"N": "²"}, "list_bucket": {"S": "x"}, "updated_at": {"N": "1"}}',
                     '{"id": {"N": "1"}, "list_bucket": {"S": "tickets"}, "updated_at": {"N": "' + "9" * 60 + '"}}',
                     "[" * 20_000, "end-user", "agent", "admin", "false")),
)
query_strings = st.lists(st.tuples(st.sampled_from(QUERY_KEYS) | st.text(max_size=5), QUERY_VALUES), max_size=4)


def authorizations(admin: str) -> st.SearchStrategy[str | None]:
    """Mostly the admin; sometimes nobody, or a header no client should send."""
    return st.one_of(
        st.just(admin), st.just(admin), st.just(admin), st.none(),
        st.sampled_from(("Basic", "Basic !!!", "Basic " + "A" * 10_000, "Basic w4k=", "Bearer x", "Basic Og==",
                         "Basic YWRtaW5AZXhhbXBsZS5jb20vdG9rZW46", "Basic /w==", "Basic ¹²",
                         "Basic " + base64.b64encode(b"a" * 3000 + b"@x.example/token:t").decode())),
    )
