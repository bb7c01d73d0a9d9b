"""Notifications that reach the people they name, through the real pipeline (moto): a group notification mails
each member of the group and no one else, ``requester_and_ccs`` includes the CCs, CCs get public agent replies
(on the reply's Cc line, as Zendesk sends them), and nothing automatic goes to a bouncing address."""

from __future__ import annotations

import email
from dataclasses import replace
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

from tests.support import Pipeline


def _sent() -> list[tuple[set[str], EmailMessage]]:
    """(addresses SES delivered to, the parsed message) of every mail sent."""
    from moto.ses.models import ses_backends

    return [({spec for _, spec in getaddresses(m.destinations)},
             email.message_from_string(m.raw_data, policy=policy.default))
            for m in ses_backends["123456789012"]["us-east-1"].sent_messages]


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    return "" if body is None else str(body.get_content())


def _about(subject: str) -> list[tuple[set[str], EmailMessage]]:
    return [(to, m) for to, m in _sent() if str(m["Subject"]).startswith(subject)]


def _user(p: Pipeline, address: str, role: str = "end-user", *, bouncing: bool = False) -> int:
    users = p.deps().users
    user = users.ensure(address, address.split("@")[0].title(), role=role)
    if bouncing:
        user = users.put(replace(user, bouncing=True))
    return int(user.id)


def _group(p: Pipeline, name: str, members: list[int]) -> int:
    number = int(p.json("POST", "/api/v2/groups.json", {"group": {"name": name}}, expect=201)["group"]["id"])
    for user_id in members:
        p.json("POST", "/api/v2/group_memberships",
               {"group_membership": {"group_id": number, "user_id": user_id}}, expect=201)
    return number


def _trigger(p: Pipeline, field: str, recipient: Any, subject: str) -> None:
    body = {"trigger": {"title": subject, "conditions": {"all": [
        {"field": "update_type", "operator": "is", "value": "Create"}], "any": []},
        "actions": [{"field": field, "value": [recipient, subject, "Ticket {{ticket.id}} needs you"]}]}}
    p.json("POST", "/api/v2/triggers.json", body, expect=201)


def _ticket(p: Pipeline, **fields: Any) -> int:
    body = {"ticket": {"subject": "Printer on fire", "comment": {"body": "It smokes"},
                       "requester": {"name": "Dana", "email": "dana@customer.example"}, **fields}}
    number = int(p.json("POST", "/api/v2/tickets.json", body, expect=201)["ticket"]["id"])
    p.dispatcher.drain()
    return number


def test_a_group_notification_reaches_every_member_and_no_one_else(pipeline: Pipeline) -> None:
    p = pipeline
    ada, bo, cy = (_user(p, f"{n}@support.example", "agent") for n in ("ada", "bo", "cy"))
    gone = _user(p, "gone@support.example", "agent", bouncing=True)
    billing = _group(p, "Billing", [ada, bo, gone])
    _group(p, "Sales", [cy])
    _trigger(p, "notification_group", billing, "Billing heads-up")
    _trigger(p, "notification_group", "group_id", "Your group has a ticket")
    assert p.deps().users.get(billing).email == "admin@example.com"  # the user the mail went to before
    number = _ticket(p, group_id=billing)
    for subject in ("Billing heads-up", "Your group has a ticket"):
        mails = _about(subject)
        assert sorted(to.pop() for to, _ in mails) == ["ada@support.example", "bo@support.example"]
        assert all(f"[#{number}]" in str(m["Subject"]) and m["Auto-Submitted"] == "auto-generated"
                   for _, m in mails)


def test_a_group_notification_redelivered_after_a_partial_send_mails_only_those_not_mailed(
        pipeline: Pipeline) -> None:
    from helpdesk.services.notifications import deliver

    p = pipeline
    ada, bo = (_user(p, f"{n}@support.example", "agent") for n in ("ada", "bo"))
    billing = _group(p, "Billing", [ada, bo])
    number = _ticket(p, group_id=billing)
    detail = {"event_id": "ev-group-1", "ticket_id": number, "recipient": "group_id", "recipient_type": "group",
              "subject": "Once each", "body": "hello", "trigger_id": 1}
    p.deps().deliveries.mark_sent(f"ev-group-1#{ada}", "sent-before-a-crash")  # ada was mailed, then it failed
    first = deliver(p.deps(), "NotificationRequested", detail)
    again = deliver(p.deps(), "NotificationRequested", detail)
    assert first.skipped is None
    assert [to for to, _ in _about("Once each")] == [{"bo@support.example"}]
    assert again.skipped == "already sent" and len(_about("Once each")) == 1


def test_requester_and_ccs_includes_every_cc_but_not_a_bouncing_one(pipeline: Pipeline) -> None:
    p = pipeline
    ccs = [_user(p, "carl@customer.example"), _user(p, "cleo@customer.example"),
           _user(p, "bounce@customer.example", bouncing=True)]
    _trigger(p, "notification_user", "requester_and_ccs", "We got it")
    _ticket(p, collaborator_ids=ccs)
    reached = sorted(to.pop() for to, _ in _about("We got it"))
    assert reached == ["carl@customer.example", "cleo@customer.example", "dana@customer.example"]


def test_ccs_get_public_agent_replies_on_the_cc_line_and_private_notes_go_to_no_one(pipeline: Pipeline) -> None:
    p = pipeline
    ccs = [_user(p, "carl@customer.example"), _user(p, "bounce@customer.example", bouncing=True)]
    number = _ticket(p, collaborator_ids=ccs)
    before = len(_sent())
    p.json("PUT", f"/api/v2/tickets/{number}.json", {"ticket": {"comment": {"body": "Internal", "public": False}}})
    p.dispatcher.drain()
    assert len(_sent()) == before  # a private note mails no one
    p.json("PUT", f"/api/v2/tickets/{number}.json", {"ticket": {"comment": {"body": "Unplug it", "public": True}}})
    p.dispatcher.drain()
    [(to, reply)] = [(to, m) for to, m in _sent()[before:] if "Unplug it" in _text(m)]
    assert [a.addr_spec for a in reply["To"].addresses] == ["dana@customer.example"]
    assert [a.addr_spec for a in reply["Cc"].addresses] == ["carl@customer.example"]
    assert to == {"dana@customer.example", "carl@customer.example"}  # never the bouncing CC


def test_a_bouncing_requester_gets_nothing_automatic_while_the_ccs_still_get_replies(pipeline: Pipeline) -> None:
    p = pipeline
    _user(p, "dana@customer.example", bouncing=True)
    carl = _user(p, "carl@customer.example")
    _trigger(p, "notification_user", "requester_id", "Received")
    _trigger(p, "notification_user", "requester_and_ccs", "Everyone received")
    number = _ticket(p, collaborator_ids=[carl])
    p.json("PUT", f"/api/v2/tickets/{number}.json", {"ticket": {"comment": {"body": "Unplug it", "public": True}}})
    p.dispatcher.drain()
    assert not any("dana@customer.example" in to for to, _ in _sent())
    assert _about("Received") == []
    assert [to for to, _ in _about("Everyone received")] == [{"carl@customer.example"}]
    [(to, reply)] = [(to, m) for to, m in _sent() if "Unplug it" in _text(m)]
    assert to == {"carl@customer.example"} and reply["Cc"] is None
    assert [a.addr_spec for a in reply["To"].addresses] == ["carl@customer.example"]
