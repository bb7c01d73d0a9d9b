"""Rules as code: triggers, SLA policies (and automations and macros where this deployment has them) to and from
YAML files kept in git.

Export writes one file per kind (``triggers.yaml``, ...) in the API shape without timestamps, ordered by position
then id, so an export of unchanged rules is byte for byte the same. Import reads every file first and validates
every rule through its kind's ``from_api``; a rule without an id (or with an id this deployment does not know) is
matched to a stored rule by title; titles must stay unique. Only when nothing is wrong are rules created, updated
(when they differ) and, with ``prune``, deleted when no file lists them. A kind whose file is absent is left alone.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.domain.clock import iso
from helpdesk.domain.errors import InvalidRule
from helpdesk.domain.sla import SlaPolicy
from helpdesk.domain.triggers import Trigger
from helpdesk.ports import RuleRemover

VOLATILE = ("created_at", "updated_at")


@dataclass(frozen=True)
class RuleKind:
    """How one kind of rule is listed, validated and saved. ``parse(data, id, stored)`` raises InvalidRule."""

    name: str  # the file stem and the YAML key: "triggers"
    store_kind: str  # the rules table's kind and id counter: "trigger"
    stored: Callable[[], list[Any]]
    parse: Callable[[Mapping[str, Any], int, Any | None], Any]
    save: Callable[[Any], None]

    @property
    def file(self) -> str:
        return f"{self.name}.yaml"


@dataclass(frozen=True)
class Problem:
    file: str
    title: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.title}: {self.reason}"


@dataclass(frozen=True)
class Change:
    kind: RuleKind
    action: str  # create | update | delete
    title: str
    rule_id: int | None = None  # None: allocated when the change is applied
    data: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        named = f" #{self.rule_id}" if self.rule_id is not None else ""
        return f"{self.action} {self.kind.name[:-1]}{named} {self.title!r}"


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def rule_kinds(deps: Container) -> tuple[list[RuleKind], list[str]]:
    """The kinds this deployment has, and a note for each optional kind that is skipped."""
    now = iso(deps.clock.now()) or ""

    def trigger(data: Mapping[str, Any], rule_id: int, stored: Any | None) -> Trigger:
        created = stored.created_at if isinstance(stored, Trigger) else None
        return Trigger.from_api({**data, "created_at": created}, id=rule_id, now_iso=now)

    kinds = [
        RuleKind("triggers", "trigger", deps.rules.triggers, trigger, deps.rules.put_trigger),
        RuleKind("sla_policies", "sla_policy", deps.rules.sla_policies,
                 lambda data, rule_id, stored: SlaPolicy.from_api(data, id=rule_id), deps.rules.put_sla_policy),
    ]
    notes = []
    for name, singular, module, cls in (("automations", "automation", "automations", "Automation"),
                                        ("macros", "macro", "macros", "Macro")):
        found = _optional_kind(deps, name, singular, module, cls, now)
        if isinstance(found, str):
            notes.append(f"{name}: skipped ({found})")
        else:
            kinds.append(found)
    return kinds, notes


def _optional_kind(deps: Container, name: str, singular: str, module: str, cls: str, now: str) -> RuleKind | str:
    """A kind another part of the product provides: ``container().<name>`` with a list and a put method, and
    ``helpdesk.domain.<module>.<cls>.from_api(data, id=, now_iso=[, existing=])``."""
    if not hasattr(deps, name):
        return f"this deployment has no {name}"
    repo = getattr(deps, name)
    listing = next((getattr(repo, m) for m in ("all", "list", name) if callable(getattr(repo, m, None))), None)
    put = next((getattr(repo, m) for m in ("put", "save", f"put_{singular}") if callable(getattr(repo, m, None))),
               None)
    try:
        rule_class = getattr(importlib.import_module(f"helpdesk.domain.{module}"), cls)
    except (ImportError, AttributeError):
        rule_class = None
    if listing is None or put is None or rule_class is None:
        return f"container().{name} has no list/put methods or {cls}.from_api is missing"
    wants_existing = "existing" in inspect.signature(rule_class.from_api).parameters

    def parse(data: Mapping[str, Any], rule_id: int, stored: Any | None) -> Any:
        if wants_existing:
            return rule_class.from_api(dict(data), id=rule_id, now_iso=now, existing=stored)
        return rule_class.from_api({**data, "created_at": getattr(stored, "created_at", None)}, id=rule_id,
                                   now_iso=now)

    return RuleKind(name, singular, listing, parse, put)


def document(rule: Any) -> dict[str, Any]:
    """A rule as it is written to its file: the API shape without timestamps."""
    return {key: value for key, value in rule.to_api().items() if key not in VOLATILE}


def _order(rule: Any) -> tuple[int, int]:
    return int(getattr(rule, "position", 0) or 0), int(rule.id)


def export_rules(deps: Container) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """File name -> ``{kind: [rule, ...]}`` for every kind, and the notes on kinds skipped."""
    kinds, notes = rule_kinds(deps)
    files = {kind.file: {kind.name: [document(r) for r in sorted(kind.stored(), key=_order)]} for kind in kinds}
    return files, notes


def plan_import(deps: Container, documents: Mapping[str, Any], *, prune: bool = False) -> Plan:
    """What importing these files (file name -> parsed YAML; absent kinds omitted) would change; nothing is written."""
    kinds, notes = rule_kinds(deps)
    plan = Plan(notes=list(notes))
    known = {kind.file for kind in kinds}
    for name in sorted(set(documents) - known):
        plan.problems.append(Problem(name, "-", "this deployment has no such kind of rule"))
    for kind in kinds:
        if kind.file not in documents:
            plan.notes.append(f"{kind.file}: not found; {kind.name} left as they are")
            continue
        _plan_kind(kind, documents[kind.file], plan, prune)
    return plan


def _entries(kind: RuleKind, doc: Any, plan: Plan) -> list[Mapping[str, Any]] | None:
    entries = doc.get(kind.name) if isinstance(doc, Mapping) else None
    if isinstance(doc, Mapping) and kind.name in doc and entries is None:
        entries = []
    if not isinstance(entries, list):
        plan.problems.append(Problem(kind.file, "-", f"the file must hold a mapping with a '{kind.name}' list"))
        return None
    good = []
    for index, entry in enumerate(entries):
        if isinstance(entry, Mapping):
            good.append(entry)
        else:
            plan.problems.append(Problem(kind.file, f"#{index + 1}", "a rule is a mapping of its fields"))
    return good if len(good) == len(entries) else None


def _title(entry: Mapping[str, Any], index: int) -> str:
    title = entry.get("title")
    return title.strip() if isinstance(title, str) and title.strip() else f"(untitled #{index + 1})"


def _plan_kind(kind: RuleKind, doc: Any, plan: Plan, prune: bool) -> None:
    entries = _entries(kind, doc, plan)
    if entries is None:
        return
    stored = kind.stored()
    by_id = {int(rule.id): rule for rule in stored}
    by_title: dict[str, list[Any]] = {}
    for rule in stored:
        by_title.setdefault(rule.title, []).append(rule)
    claimed: dict[int, str] = {}
    next_position = max([_order(r)[0] for r in stored] + [_position(e) for e in entries] + [0]) + 1
    changes: list[Change] = []
    for index, entry in enumerate(entries):
        title = _title(entry, index)
        target = _match(entry, title, by_id, by_title)
        if isinstance(target, str):
            plan.problems.append(Problem(kind.file, title, target))
            continue
        if target is not None and target.id in claimed:
            plan.problems.append(Problem(kind.file, title, f"names the same stored rule #{target.id} as "
                                                           f"{claimed[target.id]!r}"))
            continue
        data = dict(entry)
        if "position" not in data:  # as the API does: a new rule goes last, a stored one keeps its place
            data["position"] = getattr(target, "position", 0) if target is not None else next_position
            next_position += 1 if target is None else 0
        try:
            rule = kind.parse(data, target.id if target is not None else 0, target)
        except (InvalidRule, ValueError, TypeError) as error:
            plan.problems.append(Problem(kind.file, title, str(error)))
            continue
        if target is None:
            changes.append(Change(kind, "create", rule.title, None, data))
        else:
            claimed[target.id] = rule.title
            if document(rule) != document(target):
                changes.append(Change(kind, "update", rule.title, target.id, data))
            else:
                plan.unchanged += 1
    removed = [r for r in stored if r.id not in claimed] if prune else []
    changes += [Change(kind, "delete", r.title, r.id) for r in sorted(removed, key=_order)]
    _check_titles(kind, changes, stored, claimed, plan)
    plan.changes += changes


def _position(entry: Mapping[str, Any]) -> int:
    value = entry.get("position")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _match(entry: Mapping[str, Any], title: str, by_id: Mapping[int, Any],
           by_title: Mapping[str, Sequence[Any]]) -> Any | str | None:
    """The stored rule an entry updates (by id, else by title), None for a new rule, or why it is ambiguous."""
    rule_id = entry.get("id")
    if isinstance(rule_id, int) and not isinstance(rule_id, bool) and rule_id in by_id:
        return by_id[rule_id]
    same = by_title.get(title, [])
    if len(same) > 1:
        return f"several stored rules are titled {title!r} ({', '.join(f'#{r.id}' for r in same)}); give its id"
    return same[0] if same else None


def _check_titles(kind: RuleKind, changes: Sequence[Change], stored: Sequence[Any], claimed: Mapping[int, str],
                  plan: Plan) -> None:
    """Titles must be unique once the import is done: the file's rules plus the stored rules it leaves alone."""
    deleted = {c.rule_id for c in changes if c.action == "delete"}
    titles = [c.title for c in changes if c.action == "create"] + list(claimed.values())
    titles += [r.title for r in stored if r.id not in claimed and r.id not in deleted]
    for title in sorted({t for t in titles if titles.count(t) > 1}):
        plan.problems.append(Problem(kind.file, title, "duplicate title: rule titles must be unique"))


def apply_plan(deps: Container, plan: Plan) -> None:
    """Write a plan without problems: creates and updates first, then deletions."""
    if plan.problems:
        raise InvalidRule(f"{len(plan.problems)} problem(s): nothing imported")
    remover: RuleRemover = deps.rule_remover
    kinds = {c.kind.name: c.kind for c in plan.changes}
    stored = {name: {int(r.id): r for r in kind.stored()} for name, kind in kinds.items()}
    for change in plan.changes:
        if change.action == "delete":
            continue
        target = stored[change.kind.name].get(change.rule_id) if change.rule_id is not None else None
        rule_id = change.rule_id if change.rule_id is not None else deps.rules.allocate_id(change.kind.store_kind)
        change.kind.save(change.kind.parse(change.data, rule_id, target))
    for change in plan.changes:
        if change.action == "delete" and change.rule_id is not None:
            remover.remove(change.kind.store_kind, change.rule_id)


def read_documents(directory: Path) -> tuple[dict[str, Any], list[Problem]]:
    """Every ``*.yaml`` file of ``directory``, parsed (file name -> content), and the files that cannot be read."""
    import yaml

    documents: dict[str, Any] = {}
    problems = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            documents[path.name] = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            problems.append(Problem(path.name, "-", f"cannot be read as YAML: {error}".replace("\n", " ")))
    return documents, problems
