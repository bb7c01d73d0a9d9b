"""Groups of agents and their memberships (Zendesk's shapes), with this product's assignment settings.

A group carries ``assignment``: ``mode`` (``round_robin``, ``load_based`` or ``none``), ``unassigned_limit_minutes``
(a ticket left unassigned in the group this long goes to the group's manager; null: never) and ``manager_id``.
A membership carries what assignment reads about the agent in that group: ``capacity`` (how many tickets in
new, open, pending or on hold the agent may hold; null: no limit), ``skills`` (names matched against the
ticket's ``skill_<name>`` tags), ``languages`` (locale prefixes such as ``de``; empty: any language) and
``available``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from helpdesk.domain.errors import InvalidRule
from helpdesk.domain.inputs import whole_number

ASSIGNMENT_MODES = ("round_robin", "load_based", "none")


def _envelope(data: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise InvalidRule(f"a {key.replace('_', ' ')} is an object")
    inner = data.get(key)
    return inner if isinstance(inner, Mapping) else data


def _optional_id(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    number = whole_number(value)
    if number is None:
        raise InvalidRule(f"{name} must be a user id or null")
    return number


def _required_id(value: Any, name: str) -> int:
    found = _optional_id(value, name)
    if found is None or found <= 0:
        raise InvalidRule(f"{name} is required")
    return found


def _words(value: Any, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise InvalidRule(f"{name} must be a list of names")
    return tuple(dict.fromkeys(item.strip().lower() for item in value if item.strip()))


def _flag(value: Any, name: str, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise InvalidRule(f"{name} must be true or false")
    return value


@dataclass(frozen=True)
class AssignmentSettings:
    mode: str = "none"
    unassigned_limit_minutes: int | None = None
    manager_id: int | None = None

    @classmethod
    def from_api(cls, data: Any) -> AssignmentSettings:
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise InvalidRule("assignment must be an object")
        mode = data.get("mode", "none")
        if mode not in ASSIGNMENT_MODES:
            raise InvalidRule(f"assignment.mode must be one of {', '.join(ASSIGNMENT_MODES)}, not {mode!r}")
        limit = data.get("unassigned_limit_minutes")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0):
            raise InvalidRule("assignment.unassigned_limit_minutes must be a positive number of minutes or null")
        return cls(mode, limit, _optional_id(data.get("manager_id"), "assignment.manager_id"))

    def to_api(self) -> dict[str, Any]:
        return {"mode": self.mode, "unassigned_limit_minutes": self.unassigned_limit_minutes,
                "manager_id": self.manager_id}


@dataclass(frozen=True)
class Group:
    id: int
    name: str
    description: str = ""
    default: bool = False
    is_public: bool = True
    assignment: AssignmentSettings = field(default_factory=AssignmentSettings)
    created_at: str = ""
    updated_at: str = ""

    @classmethod
    def from_api(cls, data: Any, *, id: int, now_iso: str, existing: Group | None = None) -> Group:
        """A group from an API body; on update (``existing``) absent fields keep their value."""
        body = _envelope(data, "group")
        base = existing or cls(id=id, name="", created_at=now_iso)
        name = body.get("name", base.name)
        if not isinstance(name, str) or not name.strip():
            raise InvalidRule("name is required")
        description = body.get("description", base.description)
        if not isinstance(description, str | None):
            raise InvalidRule("description must be text")
        assignment = base.assignment
        if "assignment" in body:
            merged = {**base.assignment.to_api(), **body["assignment"]} if isinstance(
                body["assignment"], Mapping) else body["assignment"]
            assignment = AssignmentSettings.from_api(merged)
        return cls(id=id, name=name.strip(), description=description or "",
                   default=_flag(body.get("default"), "default", base.default),
                   is_public=_flag(body.get("is_public"), "is_public", base.is_public),
                   assignment=assignment, created_at=base.created_at or now_iso, updated_at=now_iso)

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "url": f"/api/v2/groups/{self.id}.json", "name": self.name,
                "description": self.description, "default": self.default, "deleted": False,
                "is_public": self.is_public, "assignment": self.assignment.to_api(),
                "created_at": self.created_at, "updated_at": self.updated_at}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Group:
        return cls(id=int(doc["id"]), name=str(doc["name"]), description=str(doc.get("description") or ""),
                   default=bool(doc.get("default")), is_public=bool(doc.get("is_public", True)),
                   assignment=AssignmentSettings.from_api(doc.get("assignment")),
                   created_at=str(doc.get("created_at") or ""), updated_at=str(doc.get("updated_at") or ""))


@dataclass(frozen=True)
class GroupMembership:
    id: int
    user_id: int
    group_id: int
    default: bool = False
    capacity: int | None = None
    skills: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    available: bool = True
    created_at: str = ""
    updated_at: str = ""

    @classmethod
    def from_api(cls, data: Any, *, id: int, now_iso: str,
                 existing: GroupMembership | None = None) -> GroupMembership:
        """A membership from an API body; on update only capacity, skills, languages, available, default."""
        body = _envelope(data, "group_membership")
        if existing is None:
            base = cls(id=id, user_id=_required_id(body.get("user_id"), "user_id"),
                       group_id=_required_id(body.get("group_id"), "group_id"), created_at=now_iso)
        else:
            base = existing
        capacity = body.get("capacity", base.capacity)
        if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0):
            raise InvalidRule("capacity must be a number of tickets (0 or more) or null")
        languages = _words(body["languages"], "languages") if "languages" in body else base.languages
        if any(not lang.replace("-", "").isalpha() for lang in languages):
            raise InvalidRule("languages must be locale prefixes such as 'en' or 'pt-br'")
        return cls(id=base.id, user_id=base.user_id, group_id=base.group_id,
                   default=_flag(body.get("default"), "default", base.default), capacity=capacity,
                   skills=_words(body["skills"], "skills") if "skills" in body else base.skills,
                   languages=tuple(lang.split("-")[0] for lang in languages),
                   available=_flag(body.get("available"), "available", base.available),
                   created_at=base.created_at or now_iso, updated_at=now_iso)

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "url": f"/api/v2/group_memberships/{self.id}.json", "user_id": self.user_id,
                "group_id": self.group_id, "default": self.default, "capacity": self.capacity,
                "skills": list(self.skills), "languages": list(self.languages), "available": self.available,
                "created_at": self.created_at, "updated_at": self.updated_at}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> GroupMembership:
        return cls(id=int(doc["id"]), user_id=int(doc["user_id"]), group_id=int(doc["group_id"]),
                   default=bool(doc.get("default")), capacity=doc.get("capacity"),
                   skills=tuple(doc.get("skills") or ()), languages=tuple(doc.get("languages") or ()),
                   available=bool(doc.get("available", True)), created_at=str(doc.get("created_at") or ""),
                   updated_at=str(doc.get("updated_at") or ""))
