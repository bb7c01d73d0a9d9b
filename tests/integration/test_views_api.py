"""Views (Zendesk's Views API) on the real stack: the default views of a new account, shared and personal views,
a view's tickets sorted and paged, counts, previews, and refusals with a reason."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

from tests.support import Pipeline


def _call(p: Pipeline, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
          expect: int = 200) -> Any:
    answer = p.call(method, path, body, headers)
    assert answer.status_code == expect, answer.body
    return json.loads(answer.body) if answer.body else None


def _agent(p: Pipeline, name: str, email: str) -> tuple[int, dict[str, str]]:
    user = _call(p, "POST", "/api/v2/users.json", {"user": {"name": name, "email": email, "role": "agent"}},
                 expect=201)["user"]
    token = _call(p, "POST", "/api/v2/api_tokens.json", {"token": {"description": name}}, expect=201)
    login = base64.b64encode(f"{email}/token:{token['api_token']['token']}".encode()).decode()
    return int(user["id"]), {"Authorization": f"Basic {login}", "Content-Type": "application/json"}


def _ticket(p: Pipeline, subject: str, **fields: Any) -> int:
    body = {"ticket": {"subject": subject, "comment": {"body": "Help"},
                       "requester": {"email": "rita@customer.example", "name": "Rita"}, **fields}}
    return int(_call(p, "POST", "/api/v2/tickets.json", body, expect=201)["ticket"]["id"])


def _put(p: Pipeline, number: int, **ticket: Any) -> None:
    _call(p, "PUT", f"/api/v2/tickets/{number}.json", {"ticket": ticket})


def _ids(page: dict[str, Any]) -> list[int]:
    return [t["id"] for t in page["tickets"]]


def _view_id(p: Pipeline, title: str, headers: dict[str, str] | None = None) -> int:
    views = _call(p, "GET", "/api/v2/views.json", headers=headers)["views"]
    return int(next(v["id"] for v in views if v["title"] == title))


def test_a_new_account_has_zendesks_default_views_and_they_list_the_right_tickets(pipeline: Pipeline) -> None:
    p = pipeline
    agent_id, agent = _agent(p, "Agnes", "agnes@helpdesk.example")
    mine = _ticket(p, "Assigned to Agnes", assignee_id=agent_id)
    unassigned = _ticket(p, "Nobody's yet")
    p.clock.advance(timedelta(minutes=5))
    waiting = _ticket(p, "Waiting on Rita")
    _put(p, waiting, status="pending", assignee_id=1)
    p.clock.advance(timedelta(minutes=5))
    solved = _ticket(p, "Done", assignee_id=agent_id)
    _put(p, solved, status="solved")

    views = _call(p, "GET", "/api/v2/views.json", headers=agent)
    titles = [v["title"] for v in views["views"]]
    assert titles == ["Your unsolved tickets", "Unassigned tickets", "All unsolved tickets",
                      "Recently updated tickets", "Pending tickets", "Recently solved tickets"]
    assert all(v["default"] and v["restriction"] is None and v["active"] for v in views["views"])
    assert views["count"] == 6
    first = views["views"][0]
    assert first["conditions"]["all"] == [{"field": "status", "operator": "less_than", "value": "solved"},
                                          {"field": "assignee_id", "operator": "is", "value": "current_user"}]
    assert first["execution"]["sort"] == {"id": "updated", "title": "Updated", "order": "desc"}
    assert [c["id"] for c in first["execution"]["columns"]] == ["score", "subject", "requester", "updated", "group"]

    def listed(title: str, headers: dict[str, str] | None = None) -> list[int]:
        view = _view_id(p, title, headers)
        return _ids(_call(p, "GET", f"/api/v2/views/{view}/tickets.json", headers=headers))

    assert listed("Your unsolved tickets", agent) == [mine]  # the current user's: Agnes's
    assert listed("Your unsolved tickets") == [waiting]  # the admin's (user 1)
    assert listed("Unassigned tickets") == [unassigned]
    assert set(listed("All unsolved tickets")) == {mine, unassigned, waiting}
    assert listed("Pending tickets") == [waiting]
    assert listed("Recently solved tickets") == [solved]
    assert listed("Recently updated tickets") == [solved, waiting, unassigned, mine]  # updated, newest first
    p.clock.advance(timedelta(hours=25))
    assert listed("Recently updated tickets") == []
    p.clock.advance(timedelta(days=7))
    assert listed("Recently solved tickets") == []  # solved more than 168 hours ago


def test_views_are_created_shown_updated_and_deleted(pipeline: Pipeline) -> None:
    p = pipeline
    created = _call(p, "POST", "/api/v2/views.json", {"view": {
        "title": "Urgent incidents", "description": "page someone",
        "all": [{"field": "priority", "operator": "is", "value": "urgent"},
                {"field": "status", "operator": "less_than", "value": "solved"}],
        "any": [{"field": "type", "operator": "is", "value": "incident"},
                {"field": "current_tags", "operator": "includes", "value": "outage"}],
        "output": {"columns": ["subject", "requester", "priority", 360001], "sort_by": "created",
                   "sort_order": "asc", "group_by": "status"}}}, expect=201)["view"]
    number = created["id"]
    assert created["url"] == f"/api/v2/views/{number}.json" and created["default"] is False
    assert created["execution"]["group"] == {"id": "status", "title": "Status", "order": "asc"}
    assert created["execution"]["custom_fields"][0]["id"] == 360001
    assert [c["id"] for c in created["execution"]["columns"]] == ["subject", "requester", "priority"]
    assert _call(p, "GET", f"/api/v2/views/{number}.json")["view"] == created
    assert created["position"] == 7  # after Zendesk's six default views
    assert [v["id"] for v in _call(p, "GET", "/api/v2/views.json")["views"]][-1] == number

    incident = _ticket(p, "Site down", priority="urgent", type="incident")
    _ticket(p, "Urgent question", priority="urgent", type="question")
    tagged = _ticket(p, "Slow pages", priority="urgent", tags=["outage"])
    _ticket(p, "Normal incident", priority="normal", type="incident")
    assert _ids(_call(p, "GET", f"/api/v2/views/{number}/tickets.json")) == [incident, tagged]

    updated = _call(p, "PUT", f"/api/v2/views/{number}.json", {"view": {"title": "Urgent", "active": False}})["view"]
    assert (updated["title"], updated["active"], updated["conditions"]) == ("Urgent", False, created["conditions"])
    assert number not in [v["id"] for v in _call(p, "GET", "/api/v2/views/active.json")["views"]]
    assert number in [v["id"] for v in _call(p, "GET", "/api/v2/views.json?active=false")["views"]]

    assert p.call("DELETE", f"/api/v2/views/{number}.json").status_code == 204
    _call(p, "GET", f"/api/v2/views/{number}.json", expect=404)
    assert len(_call(p, "GET", "/api/v2/views.json")["views"]) == 6  # the defaults stay, never seeded twice


def test_personal_views_are_their_owners_alone_and_group_views_their_groups(pipeline: Pipeline) -> None:
    p = pipeline
    agnes_id, agnes = _agent(p, "Agnes", "agnes@helpdesk.example")
    _, boris = _agent(p, "Boris", "boris@helpdesk.example")
    body = {"view": {"title": "My pending", "restriction": {"type": "User", "id": agnes_id},
                     "all": [{"field": "status", "operator": "is", "value": "pending"}]}}
    personal = _call(p, "POST", "/api/v2/views.json", body, headers=agnes, expect=201)["view"]["id"]
    assert personal in [v["id"] for v in _call(p, "GET", "/api/v2/views.json", headers=agnes)["views"]]
    assert personal not in [v["id"] for v in _call(p, "GET", "/api/v2/views.json", headers=boris)["views"]]
    assert personal not in [v["id"] for v in _call(p, "GET", "/api/v2/views.json")["views"]]  # admins too
    for path in (f"/api/v2/views/{personal}.json", f"/api/v2/views/{personal}/tickets.json",
                 f"/api/v2/views/{personal}/count.json"):
        _call(p, "GET", path, headers=boris, expect=404)
    _call(p, "PUT", f"/api/v2/views/{personal}.json", {"view": {"title": "Mine"}}, headers=boris, expect=404)
    assert _call(p, "GET", f"/api/v2/views/count_many.json?ids={personal}", headers=boris)["view_counts"] == []

    shared = {"view": {"title": "Everyone's", "all": [{"field": "status", "operator": "is", "value": "new"}]}}
    refused = _call(p, "POST", "/api/v2/views.json", shared, headers=boris, expect=403)
    assert "personal views" in refused["description"]

    group = _call(p, "POST", "/api/v2/groups.json", {"group": {"name": "Billing"}}, expect=201)["group"]["id"]
    _call(p, "POST", "/api/v2/group_memberships.json",
          {"group_membership": {"user_id": agnes_id, "group_id": group}}, expect=201)
    billing = _call(p, "POST", "/api/v2/views.json", {"view": {
        "title": "Billing queue", "restriction": {"type": "Group", "ids": [group]},
        "all": [{"field": "group_id", "operator": "is", "value": group}]}}, expect=201)["view"]["id"]
    assert billing in [v["id"] for v in _call(p, "GET", "/api/v2/views.json", headers=agnes)["views"]]
    assert billing not in [v["id"] for v in _call(p, "GET", "/api/v2/views.json", headers=boris)["views"]]


def test_a_views_tickets_sort_on_any_column_and_page_by_cursor_and_offset(pipeline: Pipeline) -> None:
    p = pipeline
    numbers = []
    for index, (subject, priority) in enumerate([("Cedar", "low"), ("apple", "urgent"), ("Birch", "high"),
                                                 ("Dahlia", None), ("elm", "normal")]):
        fields = {"priority": priority} if priority else {}
        numbers.append(_ticket(p, subject, **fields))
        p.clock.advance(timedelta(minutes=10 - index))
    view = _call(p, "POST", "/api/v2/views.json", {"view": {
        "title": "New", "all": [{"field": "status", "operator": "is", "value": "new"}],
        "output": {"sort_by": "id", "sort_order": "asc"}}}, expect=201)["view"]["id"]
    path = f"/api/v2/views/{view}/tickets.json"
    assert _ids(_call(p, "GET", path)) == numbers
    assert _ids(_call(p, "GET", f"{path}?sort_by=subject&sort_order=asc")) == [numbers[i] for i in (1, 2, 0, 3, 4)]
    by_priority = _ids(_call(p, "GET", f"{path}?sort_by=priority&sort_order=desc"))
    assert by_priority == [numbers[i] for i in (1, 2, 4, 0, 3)]  # no priority last
    assert _ids(_call(p, "GET", f"{path}?sort_by=created_at&sort_order=desc")) == list(reversed(numbers))

    seen, link = [], f"{path}?sort_by=subject&sort_order=desc&page%5Bsize%5D=2"
    while link:
        page = _call(p, "GET", link)
        assert page["count"] == 5 and len(page["tickets"]) <= 2
        seen += _ids(page)
        link = page["links"]["next"]
    assert seen == [numbers[i] for i in (4, 3, 0, 2, 1)]  # the sort kept in the cursor
    second = _call(p, "GET", f"{path}?page=2&per_page=2")
    assert _ids(second) == numbers[2:4] and second["count"] == 5
    assert second["next_page"].endswith("page=3&per_page=2") and second["previous_page"].endswith("page=1&per_page=2")


def test_views_sort_by_requester_and_assignee_names(pipeline: Pipeline) -> None:
    p = pipeline
    zed_id, _ = _agent(p, "Zed", "zed@helpdesk.example")
    amy_id, _ = _agent(p, "amy", "amy@helpdesk.example")
    numbers = {}
    for requester, assignee in (("Mia", zed_id), ("zoe", None), ("Adam", amy_id)):
        body: dict[str, Any] = {"ticket": {"subject": requester, "comment": {"body": "Help"}, "requester": {
            "email": f"{requester.lower()}@customer.example", "name": requester}}}
        if assignee:
            body["ticket"]["assignee_id"] = assignee
        numbers[requester] = int(_call(p, "POST", "/api/v2/tickets.json", body, expect=201)["ticket"]["id"])
    view = _call(p, "POST", "/api/v2/views.json", {"view": {
        "title": "New", "all": [{"field": "status", "operator": "less_than", "value": "solved"}]}},
        expect=201)["view"]["id"]
    path = f"/api/v2/views/{view}/tickets.json"
    by_requester = _ids(_call(p, "GET", f"{path}?sort_by=requester&sort_order=asc"))
    assert by_requester == [numbers["Adam"], numbers["Mia"], numbers["zoe"]]  # by name, case-insensitive
    by_assignee = _ids(_call(p, "GET", f"{path}?sort_by=assignee&sort_order=desc"))
    assert by_assignee == [numbers["Mia"], numbers["Adam"], numbers["zoe"]]  # Zed, amy, then unassigned


def test_views_sort_by_the_next_sla_breach(pipeline: Pipeline) -> None:
    p = pipeline
    policy = {"sla_policy": {"title": "Replies", "filter": {"all": [], "any": []}, "policy_metrics": [
        {"priority": "urgent", "metric": "first_reply_time", "target": 30, "business_hours": False},
        {"priority": "high", "metric": "first_reply_time", "target": 240, "business_hours": False}]}}
    _call(p, "POST", "/api/v2/slas/policies.json", policy, expect=201)
    slow = _ticket(p, "High", priority="high")
    none = _ticket(p, "Low", priority="low")
    p.clock.advance(timedelta(minutes=10))
    fast = _ticket(p, "Urgent", priority="urgent")
    view = _call(p, "POST", "/api/v2/views.json", {"view": {
        "title": "By breach", "all": [{"field": "status", "operator": "less_than", "value": "solved"}],
        "output": {"sort_by": "sla_next_breach_at", "sort_order": "asc"}}}, expect=201)["view"]
    assert view["execution"]["sort"]["title"] == "Next SLA breach"
    assert _ids(_call(p, "GET", f"/api/v2/views/{view['id']}/tickets.json")) == [fast, slow, none]


def test_view_counts_count_many_and_preview(pipeline: Pipeline) -> None:
    p = pipeline
    for index in range(3):
        _ticket(p, f"Open {index}", priority="high")
    low = _ticket(p, "Low one", priority="low")
    high = _call(p, "POST", "/api/v2/views.json", {"view": {
        "title": "High", "all": [{"field": "priority", "operator": "is", "value": "high"}]}}, expect=201)["view"]["id"]
    count = _call(p, "GET", f"/api/v2/views/{high}/count.json")["view_count"]
    assert count == {"view_id": high, "url": f"/api/v2/views/{high}/count.json", "value": 3, "pretty": "3",
                     "fresh": True, "active": True}
    unassigned = _view_id(p, "Unassigned tickets")
    counts = _call(p, "GET", f"/api/v2/views/count_many.json?ids={high},{unassigned},99999")["view_counts"]
    assert [(c["view_id"], c["value"]) for c in counts] == [(high, 3), (unassigned, 4)]  # unknown ids left out

    preview = _call(p, "POST", "/api/v2/views/preview.json", {"view": {
        "all": [{"field": "priority", "operator": "less_than", "value": "normal"}],
        "output": {"columns": ["subject", "priority"]}}})
    assert [row["ticket"]["id"] for row in preview["rows"]] == [low] and preview["count"] == 1
    assert preview["columns"] == [{"id": "subject", "title": "Subject"}, {"id": "priority", "title": "Priority"}]
    assert len(_call(p, "GET", "/api/v2/views.json")["views"]) == 7  # a preview saves nothing


def test_bad_views_get_a_reason(pipeline: Pipeline) -> None:
    p = pipeline
    cases: list[tuple[str, str, Any, int, str]] = [
        ("POST", "/api/v2/views.json", {"title": "No conditions"}, 422, '{"view": {...}}'),
        ("POST", "/api/v2/views.json", {"view": {"title": "x"}}, 422, "needs conditions"),
        ("POST", "/api/v2/views.json", {"view": {"title": "x", "all": []}}, 422, "at least one condition"),
        ("POST", "/api/v2/views.json", {"view": {"all": [{"field": "status", "operator": "is", "value": "new"}]}},
         422, "title is required"),
        ("POST", "/api/v2/views.json", {"view": {"title": "x", "all": [{"field": "nope", "operator": "is",
                                                                          "value": 1}]}}, 422, "nope"),
        ("POST", "/api/v2/views.json", {"view": {"title": "x", "all": [{"field": "status", "operator": "changed"}]}},
         422, "not available in automations"),
        ("POST", "/api/v2/views.json", {"view": {"title": "x", "all": [
            {"field": "requester_role", "operator": "is", "value": "agent"}]}}, 422, "not available in views"),
        ("POST", "/api/v2/views.json", {"view": {"title": "x", "all": [
            {"field": "status", "operator": "is", "value": "new"}], "output": {"sort_by": "colour"}}}, 422,
         "sort_by 'colour'"),
        ("POST", "/api/v2/views.json", {"view": {"title": "x", "all": [
            {"field": "status", "operator": "is", "value": "new"}], "output": {"columns": ["nope"]}}}, 422,
         "not a view column"),
        ("POST", "/api/v2/views.json", {"view": {"title": "x", "all": [
            {"field": "status", "operator": "is", "value": "new"}], "restriction": {"type": "Team", "id": 1}}}, 422,
         "restriction must be"),
        ("GET", "/api/v2/views/abc.json", None, 400, "not a view id"),
        ("GET", "/api/v2/views/424242.json", None, 404, "view 424242 does not exist"),
        ("GET", "/api/v2/views.json?active=maybe", None, 400, "active must be true or false"),
        ("GET", "/api/v2/views/count_many.json", None, 400, "ids is required"),
        ("GET", "/api/v2/views/count_many.json?ids=1,x", None, 400, "comma-separated view ids"),
        ("GET", "/api/v2/views/count_many.json?ids=" + ",".join(str(i) for i in range(1, 23)), None, 400,
         "at most 20"),
        ("POST", "/api/v2/views/preview.json", {"view": {"all": []}}, 422, "at least one condition"),
    ]
    view = _view_id(p, "All unsolved tickets")
    cases += [
        ("GET", f"/api/v2/views/{view}/tickets.json?sort_by=colour", None, 422, "sort_by 'colour'"),
        ("GET", f"/api/v2/views/{view}/tickets.json?sort_order=up", None, 422, "sort_order must be asc or desc"),
        ("GET", f"/api/v2/views/{view}/tickets.json?page%5Bafter%5D=forged", None, 400, "page[after]"),
        ("GET", f"/api/v2/views/{view}/tickets.json?page=0", None, 400, "page must be a number"),
    ]
    for method, path, body, status, reason in cases:
        answer = p.call(method, path, body)
        assert answer.status_code == status, (path, body, answer.body)
        assert reason in json.loads(answer.body)["description"], (path, body, answer.body)


def test_business_hours_conditions_count_the_default_schedules_hours(pipeline: Pipeline) -> None:
    p = pipeline  # Monday 09:00 UTC; the office is open 09:00-17:00 on weekdays
    office = {"schedule": {"name": "Office", "time_zone": "UTC", "intervals": [
        {"start_time": day * 1440 + 540, "end_time": day * 1440 + 1020} for day in range(1, 6)]}}
    _call(p, "POST", "/api/v2/business_hours/schedules.json", office, expect=201)
    _ticket(p, "Since Monday")
    p.clock.advance(timedelta(hours=20))  # Tuesday 05:00: 20 calendar hours, 8 business hours

    def count(operator: str) -> int:
        view = _call(p, "POST", "/api/v2/views.json", {"view": {"title": operator, "all": [
            {"field": "status", "operator": "is", "value": "new"},
            {"field": "hours_since_update", "operator": operator, "value": 10}]}}, expect=201)["view"]["id"]
        return int(_call(p, "GET", f"/api/v2/views/{view}/count.json")["view_count"]["value"])

    assert count("greater_than") == 1
    assert count("greater_than_business_hours") == 0
    assert count("less_than_business_hours") == 1
