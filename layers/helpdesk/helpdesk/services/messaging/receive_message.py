"""messaging_ingest's use case for a message a person sent on any messaging channel: it becomes a comment on their
conversation's ticket, exactly once.

The conversation (one person on one channel account) points to its ticket. A message goes to that ticket while it
is open; after it was solved it opens a new ticket linked to the old one, unless the channel account reopens
within a window (Zendesk's way: always); after it was closed, a follow-up. The comment, the ticket, the message's
provider id (the idempotency record) and the conversation are one transaction, so a redelivered message makes no
second comment and a crash before the write loses nothing: the queue delivers it again. Items of one conversation
are handled one at a time (the FIFO group), and the conversation's version guards the rest.

Reactions, edits and deletions are message events kept beside the ticket: no comment, no reopen, no change of
the ticket, so no trigger and no SLA metric moves. An echo of a message we sent is dropped; an echo of one sent
from outside the help desk (the page's own inbox) is an agent's comment that is not sent again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.channels.messaging.items import InboundMessage
from helpdesk.domain.channel_accounts import ChannelAccount
from helpdesk.domain.clock import iso
from helpdesk.domain.events import DomainEvent, ticket_event
from helpdesk.domain.tickets import Actor, NewComment, Ticket, change_ticket, open_ticket
from helpdesk.ports import Conversation, ConversationLookup
from helpdesk.services.common import commit, with_retries
from helpdesk.services.messaging import channel_accounts
from helpdesk.services.messaging.people import requester_for, sender_label

CHANNEL_NAMES = {"whatsapp": "WhatsApp", "facebook": "Messenger", "instagram_dm": "Instagram", "sms": "SMS",
                 "web_widget": "Web chat"}
PLACEHOLDERS = {"unsupported": "[a message of a type this help desk cannot show]"}


@dataclass(frozen=True)
class Received:
    ticket_id: int | None
    created: bool = False
    duplicate: bool = False
    dropped: str | None = None  # why nothing was written (counted)
    event: str | None = None  # a message event kept (reaction, edit, delete)


def message_ref(channel: str, account: str, provider_id: str) -> str:
    """A provider's message id, unique across channels and accounts."""
    return f"{channel}:{account}:{provider_id}"


def receive(deps: Container, item: InboundMessage) -> Received:
    account = channel_accounts.resolve(deps, item.channel, item.account)
    if account is None:
        return Received(None, dropped=f"a message to an unknown {item.channel} account")
    if item.kind in ("reaction", "edit", "delete"):
        return _message_event(deps, item)
    if item.kind == "echo":
        from helpdesk.services.messaging.echoes import receive_echo

        return receive_echo(deps, item, account)
    from helpdesk.services.messaging import chat_survey

    identities = [(item.sender.kind, item.sender.value), *((i.kind, i.value) for i in item.identities)]
    read = [deps.conversations.lookup(item.conversation, identities)]  # one read serves the survey check too
    answered = chat_survey.answer(deps, item, read[0].conversation)
    if answered is not None:
        return Received(answered, dropped="a satisfaction survey answer (recorded as the rating)")

    def attempt() -> Received:  # a retry after another writer won reads the conversation again
        return _append(deps, item, account, read.pop() if read else deps.conversations.lookup(
            item.conversation, identities))

    return with_retries(attempt)


def comment_text(item: InboundMessage) -> str:
    text = item.text.strip()
    if text:
        return text
    if item.kind in PLACEHOLDERS:
        return PLACEHOLDERS[item.kind]
    kinds = ", ".join(media.kind for media in item.media)
    return f"[{kinds}]" if kinds else "(empty message)"


def _pending_media(item: InboundMessage) -> tuple[dict[str, Any], ...]:
    return tuple({"filename": media.filename or f"{media.kind}-{index}", "content_type": media.mime_type
                  or "application/octet-stream", "size": None, "sha256": None, "inline": False, "content_id": None,
                  "key": None, "status": "pending", "media": {"kind": media.kind, "ref": media.ref,
                                                              "sha256": media.sha256}}
                 for index, media in enumerate(item.media, start=1))


def _subject(item: InboundMessage) -> str:
    return f"Conversation with {sender_label(item)} on {CHANNEL_NAMES.get(item.channel, item.channel)}"


def _reopens(account: ChannelAccount, ticket: Ticket, now: datetime) -> bool:
    solved_at = ticket.solved_at or ticket.status_updated_at or ticket.updated_at
    return account.reopens((now - solved_at).total_seconds() / 3600)


def _append(deps: Container, item: InboundMessage, account: ChannelAccount, found: ConversationLookup) -> Received:
    ref = message_ref(item.channel, item.account, item.provider_id)
    requester_id = requester_for(deps, item, found.users)
    conversation = found.conversation
    ticket = deps.tickets.get(conversation.ticket_id) if conversation and conversation.ticket_id else None
    now = deps.clock.now()
    media = _pending_media(item)
    comment = NewComment(body=comment_text(item), public=True, author_id=requester_id, via=item.channel,
                         message_id=ref, attachments=media)
    actor = Actor("end-user", requester_id)
    if ticket is not None and (ticket.status not in ("solved", "closed") or (
            ticket.status == "solved" and _reopens(account, ticket, now))):
        update = change_ticket(ticket, actor=actor, via=item.channel, now=now, comment=comment)
    else:
        fields = {k: v for k, v in (("group_id", account.group_id), ("brand_id", account.brand_id)) if v}
        update = open_ticket(ticket_id=deps.tickets.allocate_id(), subject=_subject(item), comment=comment,
                             requester_id=requester_id, actor=actor, via=item.channel, now=now, fields=fields)
        update.ticket.follow_up_of = ticket.id if ticket is not None else None
        update.ticket.conversation = item.conversation
    last = conversation.last_inbound_at if conversation else None
    state = Conversation(key=item.conversation, requester_id=requester_id, ticket_id=update.ticket.id,
                         last_inbound_at=max(last, item.sent_at) if last else item.sent_at,
                         survey=conversation.survey if conversation else None,
                         version=conversation.version if conversation else None)
    extra: list[DomainEvent] = []
    if media and update.comment is not None:
        extra.append(ticket_event("MediaRequested", update.ticket.id, f"c{update.comment.id}", actor, now,
                                  comment_id=update.comment.id, channel=item.channel, account=item.account,
                                  media=[dict(m["media"]) for m in media]))
    written: list[bool] = []
    commit(deps, update, idempotency_key=f"msg#{ref}", message_ids=[ref], conversation=state,
           extra_events=extra, on_saved=lambda: written.append(True))
    return Received(update.ticket.id, created=bool(written) and update.previous is None, duplicate=not written)


def _message_event(deps: Container, item: InboundMessage) -> Received:
    """A reaction, edit or deletion, kept on the ticket of the message it refers to, changing nothing else."""
    target = message_ref(item.channel, item.account, item.target) if item.target else None
    ticket_id = deps.tickets.ticket_for_message_ids([target]) if target else None
    if ticket_id is None:
        return Received(None, dropped=f"a {item.kind} of a message this help desk does not have")
    deps.tickets.record_message_event(ticket_id, message_ref(item.channel, item.account, item.provider_id), {
        "kind": item.kind, "target": target, "text": item.text, "data": dict(item.data),
        "sent_at": iso(item.sent_at), "sender": {"kind": item.sender.kind, "value": item.sender.value}})
    return Received(ticket_id, event=item.kind)

