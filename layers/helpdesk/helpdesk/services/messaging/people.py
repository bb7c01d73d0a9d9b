"""Who wrote: the user an identity of the message already finds (by the conversation's single read), or a new end
user holding every identity the message carries (a WhatsApp business-scoped id and the phone number beside it).
An identity seen for the first time on a known person is added to them, so the same person is one user whatever
way they write next (an agent can also link a messaging identity to a user met by email)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from helpdesk.bootstrap import Container
from helpdesk.channels.messaging.items import InboundMessage
from helpdesk.domain.clock import iso
from helpdesk.domain.errors import EmailTaken, IdentityTaken
from helpdesk.domain.identities import UserIdentity, next_identity_id, normalised
from helpdesk.domain.mailboxes import clean_name
from helpdesk.domain.users import User
from helpdesk.services.common import with_retries

Known = Mapping[tuple[str, str], int]


def sender_label(item: InboundMessage) -> str:
    return clean_name(item.name or "") or item.sender.value


def _identities(item: InboundMessage) -> list[tuple[str, str]]:
    seen: dict[tuple[str, str], None] = {}
    for identity in (item.sender, *item.identities):
        seen[(identity.kind, normalised(identity.kind, identity.value))] = None
    return list(seen)


def requester_for(deps: Container, item: InboundMessage, known: Known) -> int:
    """The user id of the person who sent ``item`` (created when none of its identities is known)."""
    wanted = _identities(item)
    primary = wanted[0]
    user_id = known.get(primary) or next((known[k] for k in wanted if k in known), None)
    if user_id is None:
        return _create(deps, item, wanted)
    missing = [k for k in wanted if k not in known]
    if missing:
        _link(deps, user_id, missing)
    return user_id


def _create(deps: Container, item: InboundMessage, wanted: list[tuple[str, str]]) -> int:
    now = iso(deps.clock.now())
    user_id = deps.users.allocate_id()
    identities = tuple(UserIdentity(user_id * 100 + n, kind, value, verified=True, created_at=now)
                       for n, (kind, value) in enumerate(wanted, start=1))
    email = next((value for kind, value in wanted if kind == "email"), "")
    user = User(id=user_id, email=email, name=sender_label(item), created_at=now, updated_at=now,
                identities=tuple(i for i in identities if i.type != "email"))
    try:
        return deps.users.create(user).id
    except (IdentityTaken, EmailTaken):  # the same person created by a concurrent message of another channel
        for kind, value in wanted:
            found = deps.users.find_by_identity(kind, value)
            if found is not None:
                return found.id
        raise


def _link(deps: Container, user_id: int, missing: list[tuple[str, str]]) -> None:
    """Add identities first seen now; one another user already has stays theirs. An email address (a web chat
    visitor's, given for follow-ups) becomes the address of a user who has none."""
    def attempt() -> None:
        user = deps.users.get(user_id)
        added, email = list(user.identities), user.email
        for kind, value in missing:
            if kind == "email":
                email = email or (value if deps.users.find_by_email(value) is None else "")
                continue
            if deps.users.find_by_identity(kind, value) is not None:
                continue
            added.append(UserIdentity(next_identity_id(user.id, (*user.all_identities(), *added)), kind, value,
                                      verified=True, created_at=iso(deps.clock.now())))
        if len(added) > len(user.identities) or email != user.email:
            try:
                deps.users.put(replace(user, identities=tuple(added), email=email))
            except (IdentityTaken, EmailTaken):
                return  # taken in between by another user: theirs

    with_retries(attempt, what="user")
