"""Satisfaction ratings through the API (Zendesk's Satisfaction Ratings), on the real stack: surveys go out, two
are answered, and the list is filtered by score and time, paged by cursor, read through its index."""

from __future__ import annotations

import email
import json
import re
from datetime import timedelta
from email import policy
from typing import Any

from tests.support import Pipeline


def _survey_links(p: Pipeline) -> dict[int, str]:
    from moto.ses.models import ses_backends

    found = {}
    for sent in ses_backends["123456789012"]["us-east-1"].sent_messages:
        mail = email.message_from_string(sent.raw_data, policy=policy.default)
        subject = re.search(r"How would you rate .*\[#(\d+)\]", str(mail["Subject"]))
        link = re.search(r"https://helpdesk\.test(/surveys/\S+)", mail.get_content())
        if subject and link:
            found[int(subject.group(1))] = link.group(1)
    return found


def _solved(p: Pipeline, subject: str, requester: str) -> int:
    body = {"ticket": {"subject": subject, "comment": {"body": "Help"}, "assignee_id": 1, "group_id": 7,
                       "requester": {"email": requester, "name": requester.split("@")[0]}}}
    number = int(p.json("POST", "/api/v2/tickets.json", body, expect=201)["ticket"]["id"])
    p.json("PUT", f"/api/v2/tickets/{number}.json", {"ticket": {"status": "solved",
                                                                 "comment": {"body": "Done", "public": True}}})
    return number


def _rate(p: Pipeline, link: str, form: str) -> None:
    answer = p.api.http.post(link, headers={"Content-Type": "application/x-www-form-urlencoded"}, body=form)
    assert answer.status_code == 200, answer.body


def _ids(p: Pipeline, query: str = "") -> list[int]:
    return [r["id"] for r in p.json("GET", f"/api/v2/satisfaction_ratings.json{query}")["satisfaction_ratings"]]


def test_ratings_are_listed_by_score_and_time_through_their_index(pipeline: Pipeline) -> None:
    p = pipeline
    first = _solved(p, "Refund", "rita@customer.example")
    second = _solved(p, "Broken lid", "sam@customer.example")
    unanswered = _solved(p, "Late parcel", "tom@customer.example")
    unsolved = int(p.json("POST", "/api/v2/tickets.json", {"ticket": {"subject": "Still open", "comment": {
        "body": "x"}}}, expect=201)["ticket"]["id"])
    p.dispatcher.drain()
    assert _ids(p) == []  # no survey has gone out yet
    p.dispatcher.advance(1445)  # the surveys are due a day after the solve
    offered_at = int(p.clock.now().timestamp())
    links = _survey_links(p)
    assert set(links) == {first, second, unanswered}
    tied: list[int] = []
    path: Any = "/api/v2/satisfaction_ratings.json?score=offered&page%5Bsize%5D=1"
    while path:  # three offers of one sweep share their second: the cursor still gives each once
        page = p.json("GET", path)
        tied += [r["id"] for r in page["satisfaction_ratings"]]
        path = page["links"]["next"] and f"{page['links']['next']}&page%5Bsize%5D=1"
    assert sorted(tied) == sorted([first, second, unanswered])
    p.clock.advance(timedelta(hours=1))
    _rate(p, links[first], "score=good&comment=Quick+and+kind")
    rated_good = int(p.clock.now().timestamp())
    p.clock.advance(timedelta(hours=1))
    _rate(p, links[second], "score=bad")
    p.dispatcher.drain()

    assert _ids(p) == [second, first, unanswered]  # newest first: rated, then offered
    assert _ids(p, "?score=good") == [first]
    assert _ids(p, "?score=bad") == [second]
    assert _ids(p, "?score=received") == [second, first]
    assert _ids(p, "?score=received_with_comment") == [first]
    assert _ids(p, "?score=received_without_comment") == [second]
    assert _ids(p, "?score=good_without_comment") == []
    assert _ids(p, "?score=offered") == [unanswered]
    assert _ids(p, "?score=unoffered") == []
    assert _ids(p, f"?start_time={rated_good}") == [second, first]
    assert _ids(p, f"?start_time={rated_good + 1}") == [second]
    assert _ids(p, f"?end_time={rated_good}") == [first, unanswered]
    assert _ids(p, f"?score=received&start_time={offered_at}&end_time={rated_good}") == [first]

    good = p.json("GET", f"/api/v2/satisfaction_ratings/{first}.json")["satisfaction_rating"]
    assert good == {
        "id": first, "url": f"/api/v2/satisfaction_ratings/{first}.json", "assignee_id": 1, "group_id": 7,
        "requester_id": good["requester_id"], "ticket_id": first, "score": "good", "comment": "Quick and kind",
        "reason": None, "reason_id": None, "created_at": good["created_at"], "updated_at": good["updated_at"]}
    assert good["created_at"] < good["updated_at"]  # offered, then rated an hour later
    assert p.json("GET", f"/api/v2/satisfaction_ratings/{unanswered}")["satisfaction_rating"]["score"] == "offered"
    p.json("GET", f"/api/v2/satisfaction_ratings/{unsolved}.json", expect=404)

    seen: list[int] = []
    path = "/api/v2/satisfaction_ratings.json?score=received&page%5Bsize%5D=1"
    pages = 0
    while path:
        page = p.json("GET", path)
        seen += [r["id"] for r in page["satisfaction_ratings"]]
        path = page["links"]["next"]
        if path:
            path = f"{path}&page%5Bsize%5D=1"
        pages += 1
    assert seen == [second, first] and pages == 2  # the filter kept in the cursor


def test_bad_rating_queries_get_a_reason(pipeline: Pipeline) -> None:
    p = pipeline
    cases = [
        ("/api/v2/satisfaction_ratings.json?score=great", 400, "score must be one of"),
        ("/api/v2/satisfaction_ratings.json?start_time=yesterday", 400, "start_time must be a Unix time"),
        ("/api/v2/satisfaction_ratings.json?end_time=-5", 400, "end_time must be a Unix time"),
        ("/api/v2/satisfaction_ratings.json?start_time=20&end_time=10", 400, "must not be after"),
        ("/api/v2/satisfaction_ratings.json?page%5Bafter%5D=forged", 400, "page[after]"),
        ("/api/v2/satisfaction_ratings/abc.json", 400, "not a satisfaction rating id"),
        ("/api/v2/satisfaction_ratings/4242.json", 404, "satisfaction rating 4242 does not exist"),
    ]
    for path, status, reason in cases:
        answer = p.call("GET", path)
        assert answer.status_code == status, (path, answer.body)
        assert reason in json.loads(answer.body)["description"], (path, answer.body)


def test_a_rating_offered_by_a_trigger_is_listed_as_offered(pipeline: Pipeline) -> None:
    p = pipeline
    p.json("POST", "/api/v2/triggers.json", {"trigger": {
        "title": "Offer a rating when solved", "conditions": {"all": [
            {"field": "status", "operator": "value", "value": "solved"}], "any": []},
        "actions": [{"field": "satisfaction_score", "value": "offered_to_requester"}]}}, expect=201)
    number = _solved(p, "Solved by hand", "una@customer.example")
    p.dispatcher.drain()
    [offered] = p.json("GET", "/api/v2/satisfaction_ratings.json?score=offered")["satisfaction_ratings"]
    assert (offered["id"], offered["score"]) == (number, "offered") and offered["created_at"]
