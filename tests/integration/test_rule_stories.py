"""The customer stories' rules, through the real pipeline: API -> queues -> trigger_eval -> notify -> the world."""

from __future__ import annotations

import base64
import dataclasses
import email
import hashlib
import hmac
import json
import re
import threading
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.support import Pipeline, make_email


@pytest.fixture
def p(pipeline: Pipeline) -> Pipeline:
    return pipeline


def _trigger(p: Pipeline, title: str, conditions: list[dict[str, Any]], actions: list[dict[str, Any]],
             **extra: Any) -> int:
    body = {"trigger": {"title": title, "conditions": {"all": conditions, "any": []}, "actions": actions, **extra}}
    return int(p.json("POST", "/api/v2/triggers.json", body, expect=201)["trigger"]["id"])


def _person(p: Pipeline, address: str, name: str, *, role: str = "end-user", **fields: Any) -> int:
    deps = p.deps()
    user = deps.users.ensure(address, name, role=role)
    deps.users.put(dataclasses.replace(user, **fields))
    return int(user.id)


def _ticket(p: Pipeline, number: int) -> dict[str, Any]:
    return dict(p.json("GET", f"/api/v2/tickets/{number}.json")["ticket"])


def _sent() -> list[EmailMessage]:
    from moto.ses.models import ses_backends

    backend = ses_backends["123456789012"]["us-east-1"]
    return [email.message_from_string(m.raw_data, policy=policy.default) for m in backend.sent_messages]


def test_route_by_requester_language_to_four_groups(p: Pipeline) -> None:
    groups = {"en": 101, "es": 102, "de": 103, "fr": 104}
    for language, group in groups.items():
        _trigger(p, f"Route {language}", [{"field": "update_type", "operator": "is", "value": "Create"},
                                          {"field": "requester_locale", "operator": "is", "value": language}],
                 [{"field": "group_id", "value": group}])
    locales = {"en": "en-GB", "es": "es-419", "de": "de-DE", "fr": "fr"}
    for number, (language, locale) in enumerate(locales.items(), start=1):
        address = f"{language}@customer.example"
        _person(p, address, language.upper(), locale=locale)
        p.email(make_email(message_id=f"lang-{language}@customer.example", sender=address))
        p.dispatcher.drain()
        assert _ticket(p, number)["group_id"] == groups[language], language


def test_customers_and_shoppers_go_to_different_groups(p: Pipeline) -> None:
    for kind, group in (("customer", 201), ("shopper", 202)):
        _trigger(p, f"{kind}s", [{"field": "update_type", "operator": "is", "value": "Create"},
                                 {"field": "requester.custom_fields.account_type", "operator": "is", "value": kind}],
                 [{"field": "group_id", "value": group}, {"field": "current_tags", "value": kind}])
    _person(p, "buyer@customer.example", "Buyer", user_fields={"account_type": "customer"})
    _person(p, "browser@shop.example", "Browser", user_fields={"account_type": "shopper"})
    _person(p, "nobody@else.example", "Nobody")
    for i, sender in enumerate(("buyer@customer.example", "browser@shop.example", "nobody@else.example")):
        p.email(make_email(message_id=f"kind-{i}@x.example", sender=sender))
    p.dispatcher.drain()
    first, second, third = (_ticket(p, n) for n in (1, 2, 3))
    assert (first["group_id"], first["tags"]) == (201, ["customer"])
    assert (second["group_id"], second["tags"]) == (202, ["shopper"])
    assert third["group_id"] is None and third["tags"] == []


def test_a_second_reply_without_an_answer_raises_priority_and_escalates(p: Pipeline) -> None:
    _trigger(p, "Escalate unanswered", [
        {"field": "update_type", "operator": "is", "value": "Change"},
        {"field": "unanswered_requester_comments", "operator": "greater_than", "value": 2},
        {"field": "current_tags", "operator": "not_includes", "value": "escalated"},
    ], [{"field": "priority", "value": "high"}, {"field": "group_id", "value": 900},
        {"field": "current_tags", "value": "escalated"}])
    p.email(make_email(message_id="q@customer.example", subject="Where is my parcel?"))
    p.dispatcher.drain()
    p.email(make_email(message_id="q2@customer.example", subject="Re: Where is my parcel?",
                       in_reply_to="q@customer.example", body="Any news?"))
    p.dispatcher.drain()
    assert _ticket(p, 1)["priority"] is None  # one reply: not yet
    p.email(make_email(message_id="q3@customer.example", subject="Re: Where is my parcel?",
                       in_reply_to="q2@customer.example", body="Hello??"))
    p.dispatcher.drain()
    ticket = _ticket(p, 1)
    assert (ticket["priority"], ticket["group_id"], ticket["tags"]) == ("high", 900, ["escalated"])


def test_an_agent_answer_resets_the_count(p: Pipeline) -> None:
    _trigger(p, "Escalate unanswered", [
        {"field": "unanswered_requester_comments", "operator": "greater_than", "value": 1},
    ], [{"field": "priority", "value": "urgent"}])
    p.email(make_email(message_id="r@customer.example"))
    p.dispatcher.drain()
    p.json("PUT", "/api/v2/tickets/1.json", {"ticket": {"comment": {"body": "On it", "public": True}}})
    p.dispatcher.drain()
    p.email(make_email(message_id="r2@customer.example", in_reply_to="r@customer.example", body="Thanks"))
    p.dispatcher.drain()
    assert _ticket(p, 1)["priority"] is None  # one unanswered comment since the agent's answer


def test_a_bad_rating_goes_to_the_relationship_manager_and_reopens(p: Pipeline) -> None:
    manager = _person(p, "rm@example.com", "Rita Manager", role="agent")
    _person(p, "dana@customer.example", "Dana", user_fields={"segment": "key_account"})
    _trigger(p, "Bad rating to the relationship manager", [
        {"field": "satisfaction_score", "operator": "value", "value": "bad"},
        {"field": "requester_field_segment", "operator": "is", "value": "key_account"},
    ], [{"field": "assignee_id", "value": manager}, {"field": "status", "value": "open"},
        {"field": "current_tags", "value": "bad_rating"}])
    p.email(make_email(message_id="rate@customer.example"))
    p.dispatcher.drain()
    p.json("PUT", "/api/v2/tickets/1.json", {"ticket": {"status": "solved",
                                                        "comment": {"body": "Done", "public": True}}})
    p.dispatcher.drain()
    p.dispatcher.advance(1445)
    [survey] = [m for m in _sent() if "How would you rate" in m["Subject"]]
    link = re.search(r"https://helpdesk\.test(/surveys/\S+)", survey.get_content())
    assert link is not None
    rated = p.api.http.post(link.group(1), headers={"Content-Type": "application/x-www-form-urlencoded"},
                            body="score=bad&comment=Nobody+helped")
    assert rated.status_code == 200
    p.dispatcher.drain()
    ticket = _ticket(p, 1)
    assert (ticket["status"], ticket["assignee_id"]) == ("open", manager)
    assert "bad_rating" in ticket["tags"]


def test_a_keyword_auto_answer_solves_a_repetitive_question(p: Pipeline) -> None:
    _trigger(p, "Password reset auto-answer", [
        {"field": "update_type", "operator": "is", "value": "Create"},
        {"field": "comment_includes_word", "operator": "includes", "value": '"reset my password" "forgot password"'},
    ], [{"field": "notification_user", "value": [
        "requester_id", "Re: {{ticket.title}}",
        "Hello {{ticket.requester.first_name}},\n\nUse the link 'Forgot password?' on the sign-in page.",
    ]}, {"field": "status", "value": "solved"}, {"field": "current_tags", "value": "auto_answered"}])
    p.email(make_email(message_id="pw@customer.example", subject="Locked out",
                       body="Hi, how do I reset my password? Thanks"))
    p.email(make_email(message_id="other@customer.example", sender="eve@customer.example",
                       subject="Invoice", body="Please send the invoice again."))
    p.dispatcher.drain()
    solved, other = _ticket(p, 1), _ticket(p, 2)
    assert (solved["status"], solved["tags"]) == ("solved", ["auto_answered"])
    assert other["status"] == "new" and other["tags"] == []
    [answer] = [m for m in _sent() if m["Subject"].startswith("Re: Locked out")]
    assert answer["To"].addresses[0].addr_spec == "dana@customer.example"
    assert "Hello Dana," in answer.get_content() and "Forgot password?" in answer.get_content()


class _Backend(BaseHTTPRequestHandler):
    """A claims backend that accepts only requests whose Zendesk signature verifies."""

    server: _BackendServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        timestamp = self.headers.get("X-Zendesk-Webhook-Signature-Timestamp") or ""
        signature = self.headers.get("X-Zendesk-Webhook-Signature") or ""
        expected = base64.b64encode(hmac.new(self.server.secret.encode(), timestamp.encode() + body,
                                             hashlib.sha256).digest()).decode()
        verified = bool(timestamp) and hmac.compare_digest(expected, signature)
        self.server.received.append({"verified": verified, "body": body, "path": self.path,
                                     "content_type": self.headers.get("Content-Type")})
        status = self.server.status if verified else 401
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"approved": true}' if verified else b'{"error": "bad signature"}')

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _BackendServer(ThreadingHTTPServer):
    secret = ""
    status = 200

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Backend)
        self.received: list[dict[str, Any]] = []


@pytest.fixture
def backend() -> Iterator[_BackendServer]:
    server = _BackendServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _claims_webhook(p: Pipeline, backend: _BackendServer) -> str:
    endpoint = f"http://127.0.0.1:{backend.server_address[1]}/claims/approve"
    created = p.json("POST", "/api/v2/webhooks", {"webhook": {
        "name": "Claims backend", "endpoint": endpoint, "http_method": "POST", "request_format": "json",
        "status": "active", "subscriptions": ["conditional_ticket_events"]}}, expect=201)["webhook"]
    backend.secret = p.json("GET", f"/api/v2/webhooks/{created['id']}/signing_secret")["signing_secret"]["secret"]
    body = '{"ticket_id": {{ticket.id}}, "title": "{{ticket.title}}", "requester": "{{ticket.requester.email}}"}'
    _trigger(p, "Auto-approve claims", [{"field": "current_tags", "operator": "includes", "value": "claim"}],
             [{"field": "notification_webhook", "value": [created["id"], body]},
              {"field": "current_tags", "value": "claim_sent"}])
    return str(created["id"])


def test_a_trigger_calls_a_backend_that_verifies_the_signature(p: Pipeline, backend: _BackendServer) -> None:
    _claims_webhook(p, backend)
    p.json("POST", "/api/v2/tickets.json", {"ticket": {
        "subject": 'Claim for a "broken" vase', "tags": ["claim"], "comment": {"body": "It broke."},
        "requester": {"email": "carla@customer.example", "name": "Carla"}}}, expect=201)
    p.dispatcher.drain()
    [call] = backend.received
    assert call["verified"] and call["path"] == "/claims/approve"
    assert call["content_type"].startswith("application/json")
    assert json.loads(call["body"]) == {"ticket_id": 1, "title": 'Claim for a "broken" vase',
                                        "requester": "carla@customer.example"}
    assert "claim_sent" in _ticket(p, 1)["tags"]
    [invocation] = p.json("GET", "/api/v2/webhooks/1/invocations")["invocations"]
    assert (invocation["status"], invocation["http_status"]) == ("succeeded", 200)


def test_a_wrong_secret_is_refused_by_the_backend_and_not_retried(p: Pipeline, backend: _BackendServer) -> None:
    _claims_webhook(p, backend)
    backend.secret = "not-the-secret"
    p.json("POST", "/api/v2/tickets.json", {"ticket": {"subject": "Claim", "tags": ["claim"],
                                                       "comment": {"body": "x"}}}, expect=201)
    for _ in range(3):
        p.dispatcher.drain()
    assert [c["verified"] for c in backend.received] == [False]  # 401: recorded, not retried
    [invocation] = p.json("GET", "/api/v2/webhooks/1/invocations")["invocations"]
    assert (invocation["status"], invocation["http_status"]) == ("failed", 401)
    assert p.messages("NotifyDeadLetterQueue") == []


def test_a_deployment_refuses_a_loopback_webhook_without_retrying(p: Pipeline, backend: _BackendServer) -> None:
    p.stack.functions["NotifyFunction"].env["WEBHOOK_PRIVATE_TARGETS"] = "deny"  # the template's default
    _claims_webhook(p, backend)
    p.json("POST", "/api/v2/tickets.json", {"ticket": {"subject": "Claim", "tags": ["claim"],
                                                       "comment": {"body": "x"}}}, expect=201)
    for _ in range(3):
        p.dispatcher.drain()
    assert backend.received == []
    [invocation] = p.json("GET", "/api/v2/webhooks/1/invocations")["invocations"]
    assert invocation["status"] == "failed" and "not a public address" in invocation["error"]
    assert p.messages("NotifyDeadLetterQueue") == []


def test_a_failing_backend_is_retried_then_dead_lettered(p: Pipeline, backend: _BackendServer) -> None:
    _claims_webhook(p, backend)
    backend.status = 503
    p.json("POST", "/api/v2/tickets.json", {"ticket": {"subject": "Claim", "tags": ["claim"],
                                                       "comment": {"body": "x"}}}, expect=201)
    for _ in range(6):
        p.dispatcher.drain()
    assert len(backend.received) == 5 and all(c["verified"] for c in backend.received)
    assert len(p.messages("NotifyDeadLetterQueue")) == 1


def _spy_runs(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    from helpdesk.services import trigger_evaluation

    runs: list[list[int]] = []
    real = getattr(trigger_evaluation, "run_triggers")  # noqa: B009 - the name the service calls

    def recording(*args: Any, **kwargs: Any) -> Any:
        run = real(*args, **kwargs)
        runs.append(list(run.fired))
        return run

    monkeypatch.setattr(trigger_evaluation, "run_triggers", recording)
    return runs


def test_chaining_a_later_trigger_fires_on_an_earlier_ones_tag(p: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = _spy_runs(monkeypatch)
    vip = _trigger(p, "VIP by priority tag", [{"field": "current_tags", "operator": "includes", "value": "vip"}],
                   [{"field": "priority", "value": "urgent"}], position=1)
    tagger = _trigger(p, "Tag VIP senders", [{"field": "subject_includes_word", "operator": "includes",
                                              "value": "contract"}],
                      [{"field": "current_tags", "value": "vip"}], position=2)
    p.email(make_email(message_id="vip@customer.example", subject="Our contract renewal"))
    p.dispatcher.drain()
    ticket = _ticket(p, 1)
    assert (ticket["priority"], ticket["tags"]) == ("urgent", ["vip"])
    assert runs == [[tagger, vip]]  # the tag set by the second trigger made the first one fire on re-check


def test_two_flip_flopping_triggers_stop_each_having_fired_once(p: Pipeline,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    runs = _spy_runs(monkeypatch)
    down = _trigger(p, "High becomes low", [{"field": "priority", "operator": "is", "value": "high"}],
                    [{"field": "priority", "value": "low"}])
    up = _trigger(p, "Low becomes high", [{"field": "priority", "operator": "is", "value": "low"}],
                  [{"field": "priority", "value": "high"}])
    p.json("POST", "/api/v2/tickets.json", {"ticket": {"subject": "Flip", "priority": "high",
                                                       "comment": {"body": "x"}}}, expect=201)
    p.dispatcher.drain()
    assert runs == [[down, up]]  # one evaluation; the rule's own update does not re-run triggers
    assert _ticket(p, 1)["priority"] == "high"  # low, then high again: the net change is none
