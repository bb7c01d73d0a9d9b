"""What a web chat visitor's page shows: the public comments of the visitor's current ticket after the page's
cursor (their own messages, marked with the page's ids, and the agents' replies), and the satisfaction survey's
buttons once the ticket is solved and the survey was offered in the chat.

A poll costs one read of the conversation and, once it has a ticket, one query of the comments after the cursor
(by key range: a long conversation costs no more than a short one), plus a read of each agent named in what is new.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.channels.messaging.web_widget import Visitor, client_id_of
from helpdesk.domain.clock import iso
from helpdesk.domain.errors import InvalidInput, NotFound
from helpdesk.domain.tickets import Comment
from helpdesk.services.messaging import chat_survey

POLL_MILLISECONDS = 3000  # how often an open chat panel asks (the page slows down when the panel is closed)
SUPPORT = "Support"
_CURSOR = re.compile(r"^t([0-9]{1,18})c([0-9]{1,9})$")


@dataclass(frozen=True)
class Cursor:
    ticket_id: int
    comment_id: int

    def __str__(self) -> str:
        return f"t{self.ticket_id}c{self.comment_id}"


def cursor(value: str | None) -> Cursor | None:
    if value in (None, ""):
        return None
    found = _CURSOR.match(value)
    if found is None:
        raise InvalidInput(f"after: {value[:40]!r} is not a cursor this endpoint gave")
    return Cursor(int(found.group(1)), int(found.group(2)))


def poll(deps: Container, visitor: Visitor, after: Cursor | None) -> dict[str, Any]:
    conversation = deps.conversations.get(visitor.conversation)
    ticket_id = conversation.ticket_id if conversation else None
    answer: dict[str, Any] = {"messages": [], "cursor": str(after) if after else None, "ticket_id": ticket_id,
                              "survey": None, "poll_ms": POLL_MILLISECONDS}
    if conversation is None or ticket_id is None:
        return answer
    since = after.comment_id if after is not None and after.ticket_id == ticket_id else 0
    comments = [c for c in deps.tickets.comments(ticket_id, after=since) if c.public]
    names: dict[int, str] = {}
    answer["messages"] = [_message(deps, c, visitor, conversation.requester_id, names) for c in comments]
    if comments:
        answer["cursor"] = str(Cursor(ticket_id, comments[-1].id))
    elif after is None or after.ticket_id != ticket_id:
        answer["cursor"] = str(Cursor(ticket_id, since))
    answer["survey"] = _survey(deps, conversation.survey, ticket_id)
    return answer


def _message(deps: Container, comment: Comment, visitor: Visitor, requester_id: int,
             names: dict[int, str]) -> dict[str, Any]:
    mine = comment.author_id == requester_id
    return {"id": f"t{comment.ticket_id}c{comment.id}", "ticket_id": comment.ticket_id,
            "from": "visitor" if mine else "agent", "author": None if mine else _name(deps, comment.author_id, names),
            "text": comment.body, "at": iso(comment.created_at),
            "client_id": client_id_of(comment.message_id, visitor) if mine else None}


def _name(deps: Container, user_id: int, names: dict[int, str]) -> str:
    if user_id not in names:
        names[user_id] = SUPPORT  # the system and rules (author -1), and a user deleted since
        if user_id > 0:
            with contextlib.suppress(NotFound):
                names[user_id] = deps.users.get(user_id).name or SUPPORT
    return names[user_id]


def _survey(deps: Container, survey: Any, ticket_id: int) -> dict[str, Any] | None:
    """The buttons of a survey offered in this chat for the current ticket, or that it was answered."""
    if not survey or int(survey.get("ticket_id") or 0) != ticket_id:
        return None
    if survey.get("rated_at"):
        return {"ticket_id": ticket_id, "rated": True}
    buttons = chat_survey.buttons(deps.secrets.survey_secret(), ticket_id)
    return {"ticket_id": ticket_id, "rated": False, "question": chat_survey.QUESTION,
            "buttons": [{"payload": payload, "label": label} for payload, label in buttons]}
