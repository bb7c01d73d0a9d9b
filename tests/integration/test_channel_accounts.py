"""Channel accounts through the API: admins configure the numbers and pages a deployment answers, agents read
them with their health, and a message to an account the deployment does not know is dropped, not ticketed."""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.integration.messaging_support import PHONE_NUMBER_ID, Chat, whatsapp_body, whatsapp_message
from tests.support import START, Pipeline

T0 = int(START.timestamp())
WHATSAPP = {"channel_account": {"channel": "whatsapp", "account": PHONE_NUMBER_ID, "name": "Support line",
                                "reopen_window_hours": "always"}}


def _call(p: Pipeline, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
          expect: int = 200) -> Any:
    answer = p.call(method, path, body, headers)
    assert answer.status_code == expect, answer.body
    return json.loads(answer.body) if answer.body else None


def _agent(p: Pipeline) -> dict[str, str]:
    _call(p, "POST", "/api/v2/users.json", {"user": {"name": "Agnes", "email": "agnes@x.example", "role": "agent"}},
          expect=201)
    token = _call(p, "POST", "/api/v2/api_tokens.json", {"token": {"description": "agents"}}, expect=201)
    login = base64.b64encode(f"agnes@x.example/token:{token['api_token']['token']}".encode()).decode()
    return {"Authorization": f"Basic {login}", "Content-Type": "application/json"}


def test_admins_configure_accounts_and_agents_read_them_with_their_health(pipeline: Pipeline) -> None:
    p = pipeline
    created = _call(p, "POST", "/api/v2/channel_accounts.json", WHATSAPP, expect=201)["channel_account"]
    assert created["channel"] == "whatsapp" and created["account"] == PHONE_NUMBER_ID
    assert created["reopen_window_hours"] == "always"
    assert created["health"] == {"last_success_at": None, "last_error_at": None, "last_error": None,
                                 "token_state": "unknown"}
    agent = _agent(p)
    listed = _call(p, "GET", "/api/v2/channel_accounts.json", headers=agent)["channel_accounts"]
    assert [a["id"] for a in listed] == [created["id"]]
    _call(p, "POST", "/api/v2/channel_accounts.json", {"channel_account": {"channel": "sms", "account": "+1"}},
          headers=agent, expect=403)
    changed = _call(p, "PUT", f"/api/v2/channel_accounts/{created['id']}.json",
                    {"channel_account": {"name": "Sales line"}})["channel_account"]
    assert changed["name"] == "Sales line" and changed["created_at"] == created["created_at"]
    _call(p, "DELETE", f"/api/v2/channel_accounts/{created['id']}", expect=204)
    _call(p, "GET", f"/api/v2/channel_accounts/{created['id']}.json", expect=404)


def test_an_account_is_configured_once_and_bad_records_are_refused(pipeline: Pipeline) -> None:
    p = pipeline
    _call(p, "POST", "/api/v2/channel_accounts.json", WHATSAPP, expect=201)
    again = _call(p, "POST", "/api/v2/channel_accounts.json", WHATSAPP, expect=422)
    assert "already channel account" in json.dumps(again)
    sms = _call(p, "POST", "/api/v2/channel_accounts.json",
                {"channel_account": {"channel": "sms", "account": "+14155238886"}}, expect=201)["channel_account"]
    _call(p, "PUT", f"/api/v2/channel_accounts/{sms['id']}.json",
          {"channel_account": {"channel": "whatsapp", "account": PHONE_NUMBER_ID}}, expect=422)
    for bad in ({"channel": "telegram", "account": "1"}, {"channel": "sms"}, {"channel": "sms", "account": "2",
                                                                              "reopen_window_hours": -3}):
        _call(p, "POST", "/api/v2/channel_accounts.json", {"channel_account": bad}, expect=422)
    _call(p, "GET", "/api/v2/channel_accounts/abc", expect=400)


def test_a_message_to_an_unknown_account_is_dropped_and_a_known_one_is_ticketed(chat: Chat) -> None:
    p = chat.pipeline
    for spec in p.stack.functions.values():
        if "MESSAGING_AUTO_ACCOUNTS" in spec.env:
            spec.env["MESSAGING_AUTO_ACCOUNTS"] = "false"  # a deployment: only the accounts it was given
    chat.whatsapp(whatsapp_body(whatsapp_message("Anyone there?", "wamid.1", at=T0 - 60)))
    p.dispatcher.drain()
    assert p.json("GET", "/api/v2/tickets.json")["tickets"] == []
    _call(p, "POST", "/api/v2/channel_accounts.json", WHATSAPP, expect=201)
    chat.whatsapp(whatsapp_body(whatsapp_message("Hello again", "wamid.2", at=T0)))
    p.dispatcher.drain()
    [ticket] = p.json("GET", "/api/v2/tickets.json")["tickets"]
    assert ticket["description"] == "Hello again"


def test_health_shows_the_last_send_and_a_revoked_token(chat: Chat) -> None:
    p = chat.pipeline
    chat.whatsapp(whatsapp_body(whatsapp_message("Hello?", "wamid.1", at=T0 - 60)))
    p.dispatcher.drain()
    p.json("PUT", "/api/v2/tickets/1.json", {"ticket": {"comment": {"body": "Hi!"}}})
    p.dispatcher.drain()
    [account] = p.json("GET", "/api/v2/channel_accounts.json")["channel_accounts"]
    assert account["health"]["token_state"] == "valid" and account["health"]["last_success_at"]
    chat.providers.answer_next("whatsapp", 401, {"error": {"message": "Error validating access token",
                                                           "type": "OAuthException", "code": 190}})
    p.json("PUT", "/api/v2/tickets/1.json", {"ticket": {"comment": {"body": "Still there?"}}})
    p.dispatcher.drain()
    health = p.json("GET", f"/api/v2/channel_accounts/{account['id']}.json")["channel_account"]["health"]
    assert health["token_state"] == "needs_reauthorisation"
    assert health["last_error"]["code"] == "190"
