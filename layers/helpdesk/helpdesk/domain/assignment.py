"""Choosing the agent of a group who gets an unassigned ticket: pure, the data comes from the caller.

An agent qualifies when their membership is ``available``, holds every skill the ticket asks for and speaks
the requester's language; then only agents under their ``capacity`` (tickets of theirs in new, open, pending
or on hold) remain.

- Skills: each ticket tag ``skill_<name>`` asks for the skill ``<name>`` (tags are how triggers route, so a
  trigger adds ``skill_billing``; a membership lists ``skills: ["billing"]``). No such tag: any agent.
- Language: the prefix of the requester's locale (``de`` of ``de-CH``). A membership without languages takes
  any language; one with languages takes only tickets whose requester speaks one of them.
- ``round_robin``: members in the order of their user ids, starting after the agent the group's cursor last
  gave a ticket to (wrapping around), the first who remains; agents who do not remain are skipped, not
  queued.
- ``load_based``: the remaining agent with the fewest open tickets (then the lowest user id).
- ``none``: nobody (the ticket waits for an agent, or for the manager after the group's limit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from helpdesk.domain.groups import GroupMembership

SKILL_TAG_PREFIX = "skill_"
OPEN_STATUSES = ("new", "open", "pending", "hold")


@dataclass(frozen=True)
class Needs:
    """What a ticket asks of its agent."""

    skills: frozenset[str] = frozenset()
    language: str | None = None


def needs_of(tags: Iterable[str], requester_locale: str | None) -> Needs:
    skills = frozenset(tag[len(SKILL_TAG_PREFIX):].lower() for tag in tags
                       if tag.lower().startswith(SKILL_TAG_PREFIX) and len(tag) > len(SKILL_TAG_PREFIX))
    language = (requester_locale or "").replace("_", "-").split("-")[0].strip().lower() or None
    return Needs(skills, language)


def qualified(members: Sequence[GroupMembership], needs: Needs) -> list[GroupMembership]:
    """The available members with the skills and the language, ordered by user id (one entry per agent)."""
    found: dict[int, GroupMembership] = {}
    for member in members:
        if not member.available or not needs.skills <= set(member.skills):
            continue
        if member.languages and needs.language not in member.languages:
            continue
        found.setdefault(member.user_id, member)
    return [found[user_id] for user_id in sorted(found)]


def needs_load(mode: str, member: GroupMembership) -> bool:
    """Whether choosing needs this member's count of open tickets (only what is compared is counted)."""
    return mode == "load_based" or member.capacity is not None


def choose(mode: str, members: Sequence[GroupMembership], loads: Mapping[int, int],
           last_assigned: int | None = None) -> int | None:
    """The user id that gets the ticket among ``qualified`` members, or None when nobody can take it."""
    if mode not in ("round_robin", "load_based"):
        return None
    remaining = [m.user_id for m in members if m.capacity is None or loads.get(m.user_id, 0) < m.capacity]
    if not remaining:
        return None
    if mode == "load_based":
        return min(remaining, key=lambda user_id: (loads.get(user_id, 0), user_id))
    ordered = sorted(remaining)
    if last_assigned is None:
        return ordered[0]
    return next((user_id for user_id in ordered if user_id > last_assigned), ordered[0])
