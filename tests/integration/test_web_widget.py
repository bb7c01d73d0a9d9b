"""The web chat widget through the real pipeline: a visitor's message takes the one conversation path (FIFO queue,
receive_message) and becomes a web_widget ticket; the agent's reply is read back by the visitor's poll; the survey's
buttons after solve record the rating and open no ticket. Tokens are checked on every request, bad input is a 4xx
with its reason, and the visitor endpoints answer any origin."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tests.integration.messaging_support import Chat
from tests.support import Pipeline

WIDGET = "acme-site"


def _visitor(p: Pipeline, token: str | None = None, **fields: Any) -> Any:
    headers = {"Content-Type": "application/json", "Origin": "https://shop.example"}
    if token:
        headers["X-Visitor-Token"] = token
    return p.call("POST", "/chat/visitors", {"widget": WIDGET, **fields}, headers)


def _start(p: Pipeline, **fields: Any) -> str:
    answer = _visitor(p, **fields)
    assert answer.status_code == 201, answer.body
    return str(json.loads(answer.body)["token"])


def _as(token: str | None) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Origin": "https://shop.example"}
    return {**headers, "X-Visitor-Token": token} if token is not None else headers


def _write(p: Pipeline, token: str, text: str, client_id: str, payload: str | None = None) -> Any:
    body: dict[str, Any] = {"id": client_id, "text": text}
    if payload is not None:
        body["payload"] = payload
    return p.call("POST", "/chat/messages", body, _as(token))


def _poll(p: Pipeline, token: str, after: str | None = None) -> dict[str, Any]:
    answer = p.call("GET", "/chat/messages" + (f"?after={after}" if after else ""), None, _as(token))
    assert answer.status_code == 200, answer.body
    return dict(json.loads(answer.body))


def _tickets(p: Pipeline) -> list[dict[str, Any]]:
    return list(p.json("GET", "/api/v2/tickets.json")["tickets"])


def test_a_visitor_message_becomes_a_web_widget_ticket(chat: Chat) -> None:
    p = chat.pipeline
    token = _start(p, email="dana@customer.example", name="Dana")
    answer = _write(p, token, "Do you ship to Norway?", "msg-0001-aaaa")
    assert answer.status_code == 202 and json.loads(answer.body) == {"id": "msg-0001-aaaa", "queued": True}
    queued = p.sqs.get_queue_attributes(QueueUrl=p.queue_url("MessagingInboundQueue"),
                                        AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert queued["ApproximateNumberOfMessages"] == "1"  # queued as every channel's messages are
    p.dispatcher.drain()
    [ticket] = _tickets(p)
    assert ticket["via"]["channel"] == "web_widget"
    assert ticket["subject"] == "Conversation with Dana on Web chat"
    assert ticket["description"] == "Do you ship to Norway?"
    requester = p.json("GET", f"/api/v2/users/{ticket['requester_id']}.json")["user"]
    assert requester["email"] == "dana@customer.example"
    identities = p.json("GET", f"/api/v2/users/{ticket['requester_id']}/identities.json")["identities"]
    assert {i["type"] for i in identities} == {"email", "sdk"}
    triggers = p.json("POST", "/api/v2/triggers.json", {"trigger": {  # via 48 is web_widget for rules too
        "title": "tag web chat", "conditions": {"all": [{"field": "via_id", "operator": "is", "value": 48}]},
        "actions": [{"field": "set_tags", "value": "webchat"}]}}, expect=201)
    assert triggers["trigger"]["conditions"]["all"][0]["value"] == 48


def _redeliver(p: Pipeline, token: str, text: str, client_id: str) -> None:
    """Queue the message again under another de-duplication id: only the comment's idempotency record stops it."""
    from helpdesk.channels.messaging import web_widget
    from helpdesk.channels.messaging.items import to_json
    from helpdesk.local.dispatcher import function_environment
    from helpdesk.ports import Queued
    from helpdesk.services.messaging.widget_visitors import authenticate

    with function_environment(p.stack, p.stack.functions["ApiFunction"]):
        deps = p.deps()
        item = web_widget.inbound_message(authenticate(deps, token), client_id, text, p.clock.now())
        deps.messaging_queue.send([Queued(to_json(item), item.conversation, "a-later-delivery")])


def test_the_same_message_id_twice_makes_one_comment(chat: Chat) -> None:
    p = chat.pipeline
    token = _start(p)
    for _ in range(2):
        assert _write(p, token, "Hello?", "msg-0001-aaaa").status_code == 202
    p.dispatcher.drain()
    _redeliver(p, token, "Hello?", "msg-0001-aaaa")  # as after the FIFO queue's five-minute de-duplication
    p.dispatcher.drain()
    [ticket] = _tickets(p)
    assert [c["body"] for c in p.json("GET", f"/api/v2/tickets/{ticket['id']}/comments.json")["comments"]] == [
        "Hello?"]
    other = _start(p)  # another visitor using the same page id is another message
    assert _write(p, other, "Hello from me too", "msg-0001-aaaa").status_code == 202
    p.dispatcher.drain()
    assert len(_tickets(p)) == 2


def test_the_agent_reply_reaches_the_visitor_poll_and_only_theirs(chat: Chat) -> None:
    p = chat.pipeline
    token = _start(p)
    assert _poll(p, token)["messages"] == []  # nothing written yet: no conversation, no ticket
    _write(p, token, "Where is my order?", "msg-0001-aaaa")
    p.dispatcher.drain()
    first = _poll(p, token)
    [mine] = first["messages"]
    assert (mine["from"], mine["client_id"], mine["text"]) == ("visitor", "msg-0001-aaaa", "Where is my order?")
    ticket_id = first["ticket_id"]
    p.json("PUT", f"/api/v2/tickets/{ticket_id}.json", {"ticket": {"comment": {"body": "It ships today."}}})
    p.json("PUT", f"/api/v2/tickets/{ticket_id}.json", {"ticket": {"comment": {"body": "Internal: VIP",
                                                                                 "public": False}}})
    later = _poll(p, token, first["cursor"])
    [reply] = later["messages"]
    assert (reply["from"], reply["author"], reply["text"]) == ("agent", "Admin", "It ships today.")
    assert _poll(p, token, later["cursor"])["messages"] == []
    stranger = _start(p)
    assert _poll(p, stranger)["messages"] == []
    p.dispatcher.drain()  # the reply's delivery on the widget channel is recorded as sent
    comments = p.json("GET", f"/api/v2/tickets/{ticket_id}/comments.json")["comments"]
    assert comments[1]["metadata"]["delivery"]["status"] == "sent"


def test_a_survey_press_after_solve_records_the_rating_and_opens_no_ticket(chat: Chat) -> None:
    p = chat.pipeline
    token = _start(p)
    _write(p, token, "Can I change my address?", "msg-0001-aaaa")
    p.dispatcher.drain()
    ticket_id = _tickets(p)[0]["id"]
    p.json("PUT", f"/api/v2/tickets/{ticket_id}.json", {"ticket": {"status": "solved",
                                                                   "comment": {"body": "Done, changed."}}})
    p.dispatcher.advance(6)  # the survey sweep offers it in the chat
    survey = _poll(p, token)["survey"]
    assert survey["rated"] is False and survey["question"].startswith("How would you rate")
    good = next(b for b in survey["buttons"] if b["payload"].split(":")[2] == "good")
    assert _write(p, token, good["label"], "msg-0002-bbbb", payload=good["payload"]).status_code == 202
    p.dispatcher.drain()
    ticket = p.json("GET", f"/api/v2/tickets/{ticket_id}.json")["ticket"]
    assert ticket["satisfaction_rating"]["score"] == "good" and ticket["status"] == "solved"
    assert len(_tickets(p)) == 1
    assert _poll(p, token)["survey"] == {"ticket_id": ticket_id, "rated": True}
    forged = good["payload"][:-4] + "0000"  # a payload not signed by us is a plain message: a new ticket
    _write(p, token, "Good", "msg-0003-cccc", payload=forged)
    p.dispatcher.drain()
    assert len(_tickets(p)) == 2


def test_an_email_given_later_becomes_the_requester_address(chat: Chat) -> None:
    p = chat.pipeline
    token = _start(p)
    _write(p, token, "Hi", "msg-0001-aaaa")
    p.dispatcher.drain()
    renewed = _visitor(p, token, email="late@customer.example")
    assert renewed.status_code == 201
    again = json.loads(renewed.body)["token"]
    _write(p, again, "Here is my email", "msg-0002-bbbb")
    p.dispatcher.drain()
    [ticket] = _tickets(p)  # the same visitor, the same conversation
    requester = p.json("GET", f"/api/v2/users/{ticket['requester_id']}.json")["user"]
    assert requester["email"] == "late@customer.example"


@pytest.mark.parametrize("token", [None, "", "v1.abc.def", "not a token at all"])
def test_bad_tokens_are_401_with_a_reason(chat: Chat, token: str | None) -> None:
    p = chat.pipeline
    for method, body in (("GET", None), ("POST", {"id": "msg-0001-aaaa", "text": "hi"})):
        answer = p.call(method, "/chat/messages", body, _as(token))
        assert answer.status_code == 401, answer.body
        assert json.loads(answer.body)["error"] == "InvalidVisitorToken"
        assert answer.headers["WWW-Authenticate"].startswith("VisitorToken")  # no browser password prompt
        assert answer.headers["Access-Control-Allow-Origin"] == "*"  # the page can read why


def test_forged_wrong_key_and_expired_tokens_are_401(chat: Chat) -> None:
    from helpdesk.channels.messaging import web_widget

    p = chat.pipeline
    token = _start(p)
    version, body, mac = token.split(".")
    forged = f"{version}.{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}.{mac}"
    other_key, _ = web_widget.issue(b"another deployment", WIDGET, p.clock.now())
    reasons = {}
    for name, bad in (("forged", forged), ("other key", other_key)):
        answer = p.call("GET", "/chat/messages", None, _as(bad))
        assert answer.status_code == 401
        reasons[name] = json.loads(answer.body)["description"]
    assert all("signature" in reason for reason in reasons.values()), reasons
    p.clock.advance(web_widget.TOKEN_LIFETIME + timedelta(seconds=1))
    expired = p.call("GET", "/chat/messages", None, _as(token))
    assert expired.status_code == 401 and "expired" in json.loads(expired.body)["description"]
    assert _visitor(p, token).status_code == 401  # renewing needs a token still valid


def test_bad_input_is_a_4xx_with_its_reason(chat: Chat) -> None:
    p = chat.pipeline
    token = _start(p)
    too_long = _write(p, token, "x" * 4097, "msg-0001-aaaa")
    assert too_long.status_code == 413 and "4096" in json.loads(too_long.body)["description"]
    huge = p.call("POST", "/chat/messages", b'{"id": "msg-0001-aaaa", "text": "' + b"y" * 70000 + b'"}', _as(token))
    assert huge.status_code == 413
    cases: list[tuple[Any, int]] = [
        (b"not json", 400), (b"[1, 2]", 400), ({"text": "no id"}, 400), ({"id": "x", "text": "bad id"}, 400),
        ({"id": "msg-0001-aaaa", "text": ""}, 400), ({"id": "msg-0001-aaaa", "text": 7}, 400),
        ({"id": "msg-0001-aaaa", "text": "hi", "payload": {"x": 1}}, 400)]
    for body, status in cases:
        answer = p.call("POST", "/chat/messages", body, _as(token))
        assert answer.status_code == status, (body, answer.body)
        assert json.loads(answer.body)["description"]
    assert p.call("GET", "/chat/messages?after=garbage", None, _as(token)).status_code == 400
    assert _visitor(p, widget="has spaces").status_code == 400
    assert _visitor(p, email="not-an-address").status_code == 422
    assert p.call("POST", "/chat/messages", "text", {**_as(token), "Content-Type": "text/plain"}).status_code == 415


def test_an_unknown_widget_is_404_where_accounts_are_configured(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    p = chat.pipeline
    p.stack.functions["ApiFunction"].env["MESSAGING_AUTO_ACCOUNTS"] = "false"
    from helpdesk import bootstrap

    bootstrap.reset()
    answer = _visitor(p)
    assert answer.status_code == 404 and WIDGET in json.loads(answer.body)["description"]


def test_the_visitor_endpoints_answer_any_origin(chat: Chat) -> None:
    p = chat.pipeline
    for path, methods in (("/chat/visitors", "POST"), ("/chat/messages", "GET, POST")):
        preflight = p.call("OPTIONS", path, None, {"Origin": "https://shop.example",
                                                   "Access-Control-Request-Method": "POST",
                                                   "Access-Control-Request-Headers": "content-type,x-visitor-token"})
        assert preflight.status_code == 204
        assert preflight.headers["Access-Control-Allow-Origin"] == "*"
        assert "X-Visitor-Token" in preflight.headers["Access-Control-Allow-Headers"]
        assert all(m in preflight.headers["Access-Control-Allow-Methods"] for m in methods.split(", "))
    started = _visitor(p)
    assert started.headers["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in started.headers


def test_the_script_and_style_are_served_from_the_package(chat: Chat) -> None:
    p = chat.pipeline
    script = p.call("GET", "/chat/widget.js", None, {})
    assert script.status_code == 200 and script.headers["Content-Type"].startswith("application/javascript")
    assert b"X-Visitor-Token" in script.body and b"/chat/messages" in script.body
    style = p.call("GET", "/chat/widget.css", None, {})
    assert style.status_code == 200 and b"@media (max-width: 480px)" in style.body


def test_the_local_demo_page_embeds_the_widget_with_one_tag() -> None:
    from helpdesk.local.server import DEMO_WIDGET, chat_demo_page

    page = chat_demo_page("http://127.0.0.1:8123")
    tag = f'<script src="http://127.0.0.1:8123/chat/widget.js" data-widget="{DEMO_WIDGET}"'
    assert page.count(tag) == 1 and "{{" not in page


def test_the_local_stack_generates_the_widget_key_or_takes_it_from_the_environment(
        pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    from helpdesk.local.runtime import _messaging_secrets

    manager = boto3.client("secretsmanager", region_name="us-east-1")
    arn = pipeline.stack.resources["InboundProviderSecret"]
    generated = _messaging_secrets(manager, pipeline.stack)["web_widget_secret"]
    stored = json.loads(manager.get_secret_value(SecretId=arn)["SecretString"])
    assert len(generated) == 32 and stored["web_widget_secret"] == generated
    monkeypatch.setenv("HELPDESK_WEB_WIDGET_SECRET", "chosen-widget-key")
    assert _messaging_secrets(manager, pipeline.stack)["web_widget_secret"] == "chosen-widget-key"
