"""Outbound mail to awkward requesters: names that try to break headers, internationalised addresses."""

from __future__ import annotations

import email
import json
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

from tests.support import Pipeline, sample

INJECTED = "Eve\r\nBcc: x@evil.example"


def _sent() -> list[tuple[set[str], str, EmailMessage]]:
    """(addresses SES delivers to, raw text, parsed message) of every mail sent; moto adds the To, Cc and Bcc
    headers' addresses to the Destinations we pass, as SES delivers to both."""
    from moto.ses.models import ses_backends

    return [({spec for _, spec in getaddresses(m.destinations)}, m.raw_data,
             email.message_from_string(m.raw_data, policy=policy.default))
            for m in ses_backends["123456789012"]["us-east-1"].sent_messages]


def _header_names(raw: str) -> list[str]:
    head = raw.split("\r\n\r\n", 1)[0].split("\n\n", 1)[0]
    return [line.split(":", 1)[0].strip().lower() for line in head.splitlines() if line and line[0] not in " \t"]


def _assert_not_injected(raw: str, message: EmailMessage, destinations: set[str]) -> None:
    assert "bcc" not in _header_names(raw)
    assert message["Bcc"] is None and not message.defects
    assert not any("evil.example" in d for d in destinations)
    for name in ("To", "From", "Subject"):
        assert "\r" not in str(message[name]) and "\n" not in str(message[name])


def _mail(sender: str, message_id: str, subject: str = "Help please") -> bytes:
    return (f"From: {sender}\r\nTo: support@example.com\r\nSubject: {subject}\r\n"
            f"Date: Mon, 23 Nov 2026 08:00:00 +0000\r\nMessage-ID: <{message_id}>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: text/plain; charset="utf-8"\r\n\r\nMy parcel has not arrived.\r\n').encode()


def _acknowledge(p: Pipeline) -> None:
    p.json("POST", "/api/v2/triggers.json", json.loads(sample("api_trigger_acknowledge.json")), expect=201)


def _reply(p: Pipeline, ticket_id: int) -> None:
    p.json("PUT", f"/api/v2/tickets/{ticket_id}.json", json.loads(sample("api_agent_reply.json")))
    p.dispatcher.drain()


def _only_ticket(p: Pipeline) -> dict[str, Any]:
    [ticket] = p.json("GET", "/api/v2/tickets.json")["tickets"]
    return dict(ticket)


def test_a_crlf_name_in_an_encoded_from_is_cleaned_and_the_requester_gets_mail(pipeline: Pipeline) -> None:
    _acknowledge(pipeline)
    sender = "=?utf-8?q?Eve=0D=0ABcc=3A_x=40evil=2Eexample?= <eve@customer.example>"
    pipeline.email(_mail(sender, "eve-1@customer.example", "=?utf-8?q?Hi=0D=0ABcc=3A_y=40evil=2Eexample?="))
    pipeline.dispatcher.drain()
    ticket = _only_ticket(pipeline)
    requester = pipeline.json("GET", f"/api/v2/users/{ticket['requester_id']}.json")["user"]
    assert requester["name"] == "Eve Bcc: x@evil.example"  # stored on one line
    _reply(pipeline, ticket["id"])
    sent = _sent()
    assert len(sent) == 2  # the acknowledgement and the agent's reply
    for destinations, raw, message in sent:
        assert destinations == {"eve@customer.example"}
        assert message["To"].addresses[0].addr_spec == "eve@customer.example"
        _assert_not_injected(raw, message, destinations)
    assert pipeline.dispatcher.failures == []


def test_a_crlf_name_and_subject_through_the_api_get_replies_without_injection(pipeline: Pipeline) -> None:
    user = pipeline.json("POST", "/api/v2/users.json", {"user": {"name": INJECTED, "email": "eve@customer.example"}},
                         expect=201)["user"]
    assert user["name"] == "Eve Bcc: x@evil.example"
    pipeline.json("POST", "/api/v2/triggers.json", {"trigger": {
        "title": "Tell the requester", "conditions": {"all": [
            {"field": "update_type", "operator": "is", "value": "Change"}], "any": []},
        "actions": [{"field": "notification_user", "value": [
            "requester_id", "Update on {{ticket.title}}\r\nCc: z@evil.example {{ticket.requester.name}}",
            "Hello {{ticket.requester.name}}"]}]}}, expect=201)
    ticket = pipeline.json("POST", "/api/v2/tickets.json", {"ticket": {
        "subject": "Broken\r\nBcc: y@evil.example", "requester_id": user["id"],
        "comment": {"body": "Opened for Eve"}}}, expect=201)["ticket"]
    _reply(pipeline, ticket["id"])
    sent = _sent()
    assert {message["Subject"] for _, _, message in sent} == {
        f"Re: Broken Bcc: y@evil.example [#{ticket['id']}]",
        f"Update on Broken Bcc: y@evil.example Cc: z@evil.example Eve Bcc: x@evil.example [#{ticket['id']}]"}
    for destinations, raw, message in sent:
        assert destinations == {"eve@customer.example"}
        assert "cc" not in _header_names(raw)
        _assert_not_injected(raw, message, destinations)
    assert pipeline.dispatcher.failures == []


DANA = "da\u00f1\u0430@customer.example"  # the second "a" is Cyrillic: a local part only SMTPUTF8 can carry


def _solve_and_pass_the_survey_delay(p: Pipeline, ticket_id: int) -> None:
    p.json("PUT", f"/api/v2/tickets/{ticket_id}.json", json.loads(sample("api_solve.json")))
    p.dispatcher.drain()
    p.dispatcher.advance(15)


def test_a_requester_whose_address_needs_smtputf8_is_ticketed_and_never_mailed(pipeline: Pipeline) -> None:
    """SES does not send SMTPUTF8 (see helpdesk.domain.mailboxes): the person who wrote is not lost, the ticket
    says at once that mail cannot reach them, and no reply, notification or survey fails or retries."""
    pipeline.stack.functions["CsatSurveyFunction"].env["SURVEY_DELAY_MINUTES"] = "10"
    _acknowledge(pipeline)
    pipeline.email(_mail(f"Dana <{DANA}>", "dana-1@customer.example"))
    pipeline.dispatcher.drain()
    ticket = _only_ticket(pipeline)
    assert "requester_unmailable" in ticket["tags"]
    requester = pipeline.json("GET", f"/api/v2/users/{ticket['requester_id']}.json")["user"]
    assert requester["email"] == DANA
    _reply(pipeline, ticket["id"])
    [reply] = [c for c in pipeline.json("GET", f"/api/v2/tickets/{ticket['id']}/comments.json")["comments"]
               if "full refund" in c["body"]]
    delivery = reply["metadata"]["delivery"]
    assert delivery["status"] == "undeliverable" and "needs SMTPUTF8" in delivery["error"]
    _solve_and_pass_the_survey_delay(pipeline, ticket["id"])
    assert _sent() == []
    assert pipeline.dispatcher.failures == []
    solved = pipeline.json("GET", f"/api/v2/tickets/{ticket['id']}.json")["ticket"]
    assert solved["status"] == "solved" and solved["satisfaction_rating"]["score"] == "unoffered"
    pipeline.dispatcher.advance(15)  # the survey was dropped, not left due to fail again
    assert pipeline.dispatcher.failures == []


def test_a_requester_at_an_internationalised_domain_gets_every_mail(pipeline: Pipeline) -> None:
    pipeline.stack.functions["CsatSurveyFunction"].env["SURVEY_DELAY_MINUTES"] = "10"
    _acknowledge(pipeline)
    pipeline.email(_mail("Dana <dana@bücher.example>", "dana-2@customer.example"))
    pipeline.dispatcher.drain()
    ticket = _only_ticket(pipeline)
    assert "requester_unmailable" not in ticket["tags"]
    _reply(pipeline, ticket["id"])
    _solve_and_pass_the_survey_delay(pipeline, ticket["id"])
    sent = _sent()
    assert [m["Subject"].split(":")[0] for _, _, m in sent] == ["We received your request", "Re", "How would you rate"
                                                                " the support you received? [#1]"]
    for destinations, raw, message in sent:
        assert destinations == {"dana@xn--bcher-kva.example"}  # SES takes the domain punycoded
        assert message["To"].addresses[0].addr_spec == "dana@xn--bcher-kva.example" and raw.isascii()
    assert pipeline.dispatcher.failures == []


def test_the_api_takes_internationalised_domains_and_refuses_what_ses_cannot_send_to(pipeline: Pipeline) -> None:
    created = pipeline.json("POST", "/api/v2/users.json", {"user": {"name": "Dana", "email": "Dana@Bücher.example"}},
                            expect=201)["user"]
    assert created["email"] == "dana@bücher.example"
    for path, body in [
        ("/api/v2/users.json", {"user": {"name": "Dana", "email": DANA}}),
        ("/api/v2/tickets.json", {"ticket": {"subject": "Hi", "comment": {"body": "Hi"},
                                             "requester": {"name": "Dana", "email": DANA}}}),
        ("/api/v2/recipient_addresses.json", {"recipient_address": {"email": f"support-{DANA}"}}),
    ]:
        response = pipeline.call("POST", path, body)
        assert response.status_code == 422, (path, response.body)
        assert "needs SMTPUTF8" in json.loads(response.body)["description"]
    response = pipeline.call("PUT", f"/api/v2/users/{created['id']}.json", {"user": {"email": DANA}})
    assert response.status_code == 422 and "needs SMTPUTF8" in json.loads(response.body)["description"]
