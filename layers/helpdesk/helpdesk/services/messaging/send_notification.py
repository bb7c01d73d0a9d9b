"""messaging_send's second use case: a rule's notification to the requester of a messaging ticket leaves on the
customer's channel (its body as the message), as Zendesk's messaging tickets answer in the conversation rather
than by mail. The same window rules as a reply: inside it a session message, outside it the account's approved
template (WhatsApp) or nothing, recorded; never twice for one event (a redelivery finds it sent)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.errors import TicketNotFound
from helpdesk.ports import OutboundMessage
from helpdesk.services.messaging import channel_accounts, channel_health
from helpdesk.services.messaging.send_replies import SendLater, conversation_parts, window


@dataclass(frozen=True)
class Notified:
    sent: bool
    why: str = ""  # why not


def notify(deps: Container, detail: Mapping[str, Any]) -> Notified:
    event_id = str(detail["event_id"])
    if deps.conversations.sent(f"notification:{event_id}") is not None:
        return Notified(False, "sent already (a redelivery)")
    try:
        ticket = deps.tickets.get(int(detail["ticket_id"]))
    except TicketNotFound:
        return Notified(False, "the ticket is gone")
    if ticket.conversation is None:
        return Notified(False, "not a messaging ticket")
    body = str(detail.get("body") or "").strip()
    if not body:
        return Notified(False, "the notification has no body")
    channel, account_id, person = conversation_parts(ticket.conversation)
    account = channel_accounts.resolve(deps, channel, account_id)
    if account is None:
        return Notified(False, f"the {channel} account {account_id} is unknown or off")
    open_as = window(account, deps.conversations.get(ticket.conversation), deps.clock.now())
    if open_as == "closed":
        return Notified(False, "window_closed: the customer last wrote more than 24 hours ago")
    message = (OutboundMessage(text=body, template=account.window_template, template_language=account.template_language,
                               template_parameters=(f"#{ticket.id}", body[:1000]))
               if open_as == "template" else OutboundMessage(text=body, human_agent=open_as == "human_agent"))
    result = deps.messaging_transport.send(channel, account.account, person, message)
    if result.outcome == "sent":
        deps.conversations.remember_sent(f"notification:{event_id}", ticket.id, 0)
        channel_health.succeeded(deps, account)
        return Notified(True)
    channel_health.failed(deps, account, result)
    if result.outcome == "retry":
        raise SendLater(f"{channel} asked to retry: {result.code} {result.detail}")
    return Notified(False, f"{result.outcome}: {result.code} {result.detail}")
