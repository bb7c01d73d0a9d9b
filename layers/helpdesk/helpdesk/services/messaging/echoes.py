"""Echoes (Messenger and Instagram send back every message the page sends, and WhatsApp Business apps may too):
an echo of a message this help desk sent is dropped (it is already the agent's comment); an echo of a message sent
from outside the help desk, the page's own inbox or phone app, is an agent's public comment on the conversation's
ticket, by the account's "outside the help desk" user, and is never sent to the customer again."""

from __future__ import annotations

from helpdesk.bootstrap import Container
from helpdesk.channels.messaging.items import InboundMessage
from helpdesk.domain.channel_accounts import ChannelAccount
from helpdesk.domain.clock import iso
from helpdesk.domain.errors import IdentityTaken
from helpdesk.domain.identities import UserIdentity
from helpdesk.domain.tickets import Actor, NewComment, change_ticket
from helpdesk.domain.users import User
from helpdesk.services.common import commit, with_retries
from helpdesk.services.messaging.correlation import parse_correlation
from helpdesk.services.messaging.receive_message import Received, comment_text, message_ref


def receive_echo(deps: Container, item: InboundMessage, account: ChannelAccount) -> Received:
    ref = message_ref(item.channel, item.account, item.provider_id)
    correlation = item.data.get("correlation")
    if (isinstance(correlation, str) and parse_correlation(correlation)) or deps.conversations.sent(ref):
        return Received(None, dropped="an echo of a message this help desk sent")
    conversation = deps.conversations.get(item.conversation)
    if conversation is None or conversation.ticket_id is None:
        return Received(None, dropped="an echo in a conversation that has no ticket")
    author = _outside_author(deps, account)
    ticket_id = conversation.ticket_id

    def attempt() -> Received:
        ticket = deps.tickets.get(ticket_id)
        if ticket.status == "closed":
            return Received(ticket_id, dropped="an echo on a closed ticket")
        comment = NewComment(body=comment_text(item), public=True, author_id=author.id, via=item.channel,
                             message_id=ref)
        update = change_ticket(ticket, actor=Actor("agent", author.id), via=item.channel, now=deps.clock.now(),
                               comment=comment)
        written: list[bool] = []
        commit(deps, update, idempotency_key=f"msg#{ref}", message_ids=[ref], announce_reply=False,
               on_saved=lambda: written.append(True))
        return Received(ticket_id, duplicate=not written)

    return with_retries(attempt)


def _outside_author(deps: Container, account: ChannelAccount) -> User:
    """The agent an outside message is shown from; deactivated, so it can never sign in."""
    key = f"{account.channel}:{account.account}"
    found = deps.users.find_by_identity("page", key)
    if found is not None:
        return found
    user_id = deps.users.allocate_id()
    now = iso(deps.clock.now())
    user = User(id=user_id, email="", name=f"{account.name} (outside the help desk)", role="agent", active=False,
                identities=(UserIdentity(user_id * 100 + 1, "page", key, created_at=now),), created_at=now,
                updated_at=now)
    try:
        return deps.users.create(user)
    except IdentityTaken:
        again = deps.users.find_by_identity("page", key)
        if again is None:
            raise
        return again
