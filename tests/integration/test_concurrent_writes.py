"""Many writers on one record at once (issue 13, finding 5): nothing they write is lost, nothing is recorded twice,
and a plain update does not answer 409 under ordinary contention.

The writers are threads calling the use cases in-process against moto (``mock_aws``), as the API function would:
each one reads, decides and writes with a condition, and the threads interleave freely between those calls, so
the application-level race is real. moto's in-process DynamoDB is not safe for concurrent calls: its
TransactWriteItems deep-copies each table it touches and puts the copy back when the transaction fails, so a
failing transaction on one thread can undo a write another thread made meanwhile (the issue saw moto's server
answer 500 with eight threads). DynamoDB makes each call atomic; the ``serialised_moto`` fixture gives moto that
property by letting one AWS call at a time into it (one lock around botocore's exchange of one request and its
response, where mock_aws answers). It never holds the lock across two calls, so no read, decision or conditional
write of the application is made atomic by the harness.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from tests.support import ADMIN_EMAIL, Pipeline

T = TypeVar("T")


@pytest.fixture
def serialised_moto(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> Pipeline:
    """One request at a time into in-process moto (see the module docstring); the application's race stays."""
    from botocore.endpoint import Endpoint

    lock = threading.Lock()
    exchange = Endpoint._do_get_response  # type: ignore[attr-defined]

    def one_at_a_time(self: Endpoint, *args: Any) -> Any:
        with lock:
            return exchange(self, *args)

    monkeypatch.setattr(Endpoint, "_do_get_response", one_at_a_time)
    return pipeline


def _race(count: int, work: Callable[[int], T]) -> list[T | BaseException]:
    """Run work(0..count-1) on ``count`` threads released together; each result, or the exception it raised."""
    start = threading.Barrier(count, timeout=60)

    def run(index: int) -> T | BaseException:
        start.wait()
        try:
            return work(index)
        except BaseException as exc:  # reported by the caller's assertions
            return exc

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def _admin(p: Pipeline) -> Any:
    admin = p.deps().users.find_by_email(ADMIN_EMAIL)
    assert admin is not None
    return admin


def test_forty_agents_each_adding_a_user_field_keep_all_forty(serialised_moto: Pipeline) -> None:
    from helpdesk.services.users import update_user

    p = serialised_moto
    user = p.json("POST", "/api/v2/users.json", {"user": {"name": "Bea", "email": "bea@customer.example"}},
                  expect=201)["user"]
    deps, admin = p.deps(), _admin(p)
    results = _race(40, lambda i: update_user(deps, user["id"], {"user": {"user_fields": {f"k{i}": i}}}, admin))
    assert [r for r in results if isinstance(r, BaseException)] == []
    kept = p.json("GET", f"/api/v2/users/{user['id']}.json")["user"]["user_fields"]
    assert kept == {f"k{i}": i for i in range(40)}


def test_concurrent_create_or_update_of_one_new_address_makes_one_user_with_every_field(
        serialised_moto: Pipeline) -> None:
    from helpdesk.services.users import create_or_update_user

    p = serialised_moto
    deps, admin = p.deps(), _admin(p)
    results = _race(10, lambda i: create_or_update_user(deps, {"user": {
        "name": "Cy", "email": "cy@customer.example", "user_fields": {f"k{i}": i}}}, admin))
    assert [r for r in results if isinstance(r, BaseException)] == []
    outcomes = [r for r in results if not isinstance(r, BaseException)]
    assert sorted(created for _, created in outcomes) == [False] * 9 + [True]
    assert len({user.id for user, _ in outcomes}) == 1
    [found] = p.json("GET", "/api/v2/users/search.json?query=cy@customer.example")["users"]
    assert found["user_fields"] == {f"k{i}": i for i in range(10)}


def _satisfaction_events(p: Pipeline) -> Callable[[], list[dict[str, Any]]]:
    """Every SatisfactionRated event put on the bus from now on, read from a queue a rule copies them to."""
    import boto3

    bus = p.stack.env["EVENT_BUS_NAME"]
    eventbridge = boto3.client("events", region_name="us-east-1")
    url = p.sqs.create_queue(QueueName="ratings-tap")["QueueUrl"]
    arn = p.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    eventbridge.put_rule(Name="ratings-tap", EventBusName=bus,
                         EventPattern=json.dumps({"detail-type": ["SatisfactionRated"]}))
    eventbridge.put_targets(Rule="ratings-tap", EventBusName=bus, Targets=[{"Id": "tap", "Arn": arn}])

    def read() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while batch := p.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            found += [json.loads(m["Body"]) for m in batch]
            for message in batch:
                p.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return found

    return read


def test_ten_concurrent_ratings_of_one_link_record_exactly_one(serialised_moto: Pipeline) -> None:
    """Ten submissions of one survey link at once: one is told "recorded", nine get the used link's 410, the
    ticket holds one rating (one private note) and one SatisfactionRated event is published."""
    from helpdesk.domain.errors import Gone
    from helpdesk.services import surveys

    p = serialised_moto
    number = p.json("POST", "/api/v2/tickets.json", {"ticket": {
        "subject": "Refund", "comment": {"body": "Where is my refund?"},
        "requester": {"name": "Dana", "email": "dana@customer.example"}}}, expect=201)["ticket"]["id"]
    p.json("PUT", f"/api/v2/tickets/{number}.json", {"ticket": {"status": "solved"}})
    deps = p.deps()
    token = surveys.rating_url(deps, number).rsplit("/", 1)[1]
    rated_events = _satisfaction_events(p)
    scores = ["good", "bad"] * 5
    results = _race(10, lambda i: surveys.rate(deps, token, scores[i], f"submission {i}"))
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1
    assert [type(r) for r in losers] == [Gone] * 9
    assert {str(r) for r in losers} == {"this survey link was already used"}
    ticket = p.json("GET", f"/api/v2/tickets/{number}.json")["ticket"]
    assert ticket["satisfaction_rating"]["score"] == winners[0].satisfaction.score
    notes = [c for c in p.json("GET", f"/api/v2/tickets/{number}/comments.json")["comments"]
             if c["body"].startswith("Satisfaction rating:")]
    assert len(notes) == 1
    events = rated_events()
    assert len(events) == 1 and events[0]["detail"]["score"] == winners[0].satisfaction.score


def _tagging(p: Pipeline) -> tuple[int, Callable[[str], Any]]:
    """A ticket, and a function adding one tag to it as the API's PUT does (a plain update, no safe_update)."""
    from helpdesk.services.api_tickets import update_ticket

    number = int(p.json("POST", "/api/v2/tickets.json", {"ticket": {
        "subject": "Busy", "comment": {"body": "Many hands"}, "tags": ["original"]}}, expect=201)["ticket"]["id"])
    deps, admin = p.deps(), _admin(p)
    return number, lambda tag: update_ticket(deps, number, {"ticket": {"additional_tags": [tag]}}, admin)


def _tags_and_audits(p: Pipeline, number: int) -> tuple[list[str], int]:
    tags = p.json("GET", f"/api/v2/tickets/{number}.json")["ticket"]["tags"]
    return sorted(tags), int(p.json("GET", f"/api/v2/tickets/{number}/audits.json")["count"])  # 100 a page


def test_eight_agents_making_ten_updates_each_on_one_ticket_never_get_409(serialised_moto: Pipeline) -> None:
    """The issue's measurement: eight threads, ten updates each, on one ticket gave up with 409 on 28 of 80.
    With the backoff and its real budget, all 80 go through and every tag is kept."""
    p = serialised_moto
    number, add = _tagging(p)
    results = _race(8, lambda agent: [add(f"a{agent}u{n}") for n in range(10)])
    assert [r for r in results if isinstance(r, BaseException)] == []
    tags, audits = _tags_and_audits(p, number)
    assert tags == sorted(["original", *(f"a{agent}u{n}" for agent in range(8) for n in range(10))])
    assert audits == 81


def test_a_hundred_agents_each_adding_a_tag_lose_none(serialised_moto: Pipeline,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The acceptance figure of issue 13 in-process: 100 concurrent additional_tags updates on one ticket keep all
    100 tags and none answers 409. Here the 100 "functions" share one interpreter (one core at a time, on a
    machine shared with other work), so the CPU of 100 Lambdas is spent one attempt after another: about 10
    attempts a writer, 40 to 100 s in all here, past the 20 s budget that holds for writers with their own CPU
    (test_a_hundred_writers_at_production_timing_all_get_through). With the real budget about 70 of the 100 gave
    up here, so the budget is raised for this test only; the retry schedule is the real one."""
    from helpdesk.services import common

    monkeypatch.setattr(common, "RETRY_BUDGET_SECONDS", 600.0)
    p = serialised_moto
    number, add = _tagging(p)
    began = time.monotonic()
    results = _race(100, lambda i: add(f"tag{i}"))
    elapsed = time.monotonic() - began
    assert [r for r in results if isinstance(r, BaseException)] == []
    tags, audits = _tags_and_audits(p, number)
    assert tags == sorted(["original", *(f"tag{i}" for i in range(100))])
    assert audits == 101  # the create and one audit per update: none lost, none doubled
    print(f"100 concurrent additional_tags updates on one ticket, in-process: {elapsed:.1f} s")


class VersionedRecord:
    """One record written with a version check, whose read-to-write window is ``window`` seconds of waiting (a
    DynamoDB read and transaction), not of CPU: writers on threads behave as functions running in parallel."""

    def __init__(self, window: float) -> None:
        self.window, self.version = window, 0
        self.items: list[int] = []
        self.lock = threading.Lock()

    def add(self, item: int) -> None:
        from helpdesk.ports import VersionConflict

        with self.lock:
            read = self.version
        time.sleep(self.window)
        with self.lock:
            if self.version != read:
                raise VersionConflict("someone else saved first")
            self.version += 1
            self.items.append(item)


def test_a_hundred_writers_at_production_timing_all_get_through() -> None:
    """The real retry (schedule, budget, wall clock) with 100 writers released at once on one record whose
    read-to-write window is 40 ms, as a GetItem and a TransactWriteItems take: none gives up. No AWS here; the
    writers mostly sleep, so the machine's load hardly matters. Takes about 6 s."""
    from helpdesk.domain.errors import ConcurrentUpdate
    from helpdesk.services.common import RETRY_BUDGET_SECONDS, with_retries

    record = VersionedRecord(window=0.04)
    began = time.monotonic()
    results = _race(100, lambda i: with_retries(lambda: record.add(i)))
    elapsed = time.monotonic() - began
    assert [r for r in results if isinstance(r, ConcurrentUpdate)] == []
    assert sorted(record.items) == list(range(100))
    assert elapsed < RETRY_BUDGET_SECONDS
    print(f"100 writers, 40 ms window: {elapsed:.1f} s")


def test_a_user_saved_before_users_had_versions_is_locked_too(pipeline: Pipeline) -> None:
    """A user# item written before the version attribute existed reads as version 0; the first save from that
    read wins and a second save from the same read is a conflict, not an overwrite."""
    from dataclasses import asdict, replace

    from helpdesk.adapters.dynamo.models import DirectoryModel
    from helpdesk.domain.users import User
    from helpdesk.ports import VersionConflict

    users = pipeline.deps().users
    old = User(id=9001, email="old@customer.example", name="Old", user_fields={"a": 1})
    doc = asdict(old)
    doc.pop("version")
    DirectoryModel("user#9001", user_id=9001, user_role="end-user", doc=doc).save()
    DirectoryModel("email#old@customer.example", user_id=9001).save()
    read = users.get(9001)
    assert read.version == 0
    saved = users.put(replace(read, user_fields={"a": 1, "b": 2}))
    assert saved.version == 1
    with pytest.raises(VersionConflict):
        users.put(replace(read, user_fields={"a": 1, "c": 3}))
    assert users.get(9001).user_fields == {"a": 1, "b": 2}
    moved = users.put(replace(users.get(9001), email="new@customer.example"))
    assert moved.version == 2 and users.find_by_email("new@customer.example") == moved
    assert users.find_by_email("old@customer.example") is None


def test_an_update_reads_the_sla_policies_once_however_often_it_retries(pipeline: Pipeline,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The policies are read before the retry loop, so each attempt's window between reading the ticket and
    writing it holds no other read (a shorter window loses fewer races)."""
    from helpdesk.adapters.dynamo.repositories import DynamoRuleRepository, DynamoTicketRepository
    from helpdesk.ports import VersionConflict

    p = pipeline
    number, add = _tagging(p)
    reads, saves = [], []
    read_policies, save = DynamoRuleRepository.sla_policies, DynamoTicketRepository.save

    def counted_read(self: DynamoRuleRepository) -> Any:
        reads.append(1)
        return read_policies(self)

    def losing_twice(self: DynamoTicketRepository, *args: Any, **kwargs: Any) -> None:
        saves.append(1)
        if len(saves) <= 2:
            raise VersionConflict("someone else saved first")
        save(self, *args, **kwargs)

    monkeypatch.setattr(DynamoRuleRepository, "sla_policies", counted_read)
    monkeypatch.setattr(DynamoTicketRepository, "save", losing_twice)
    add("retried")
    assert (len(reads), len(saves)) == (1, 3)
    assert "retried" in _tags_and_audits(p, number)[0]
