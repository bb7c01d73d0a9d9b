"""`helpdesk rules ...`: business rules as YAML files for review in git (see helpdesk.services.rules_as_code).

`export DIR` writes triggers.yaml, sla_policies.yaml (and automations.yaml, macros.yaml where this deployment has
them). `import DIR [--dry-run] [--prune]` validates every rule of every file first; any problem -> nothing is
changed, every problem is listed as `file: rule title: reason`, exit 1. Settings come from the environment, as
for every function.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

HEADER = "# helpdesk rules: {name}. Written by `helpdesk rules export`; applied with `helpdesk rules import`.\n"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rules = commands.add_parser("rules", help="export and import triggers, SLA policies, ... as YAML files")
    actions = rules.add_subparsers(dest="rules_command", required=True)
    export = actions.add_parser("export", help="write one YAML file per kind of rule into DIR")
    export.add_argument("directory", metavar="DIR")
    export.set_defaults(run=export_command)
    load = actions.add_parser("import", help="validate every rule in DIR, then create and update (exit 1 on any "
                                             "problem, with nothing changed)")
    load.add_argument("directory", metavar="DIR")
    load.add_argument("--dry-run", action="store_true", help="validate and show the changes, write nothing")
    load.add_argument("--prune", action="store_true", help="also delete stored rules that no file lists")
    load.set_defaults(run=import_command)


def dump(name: str, content: Any) -> str:
    """Stable YAML for review: block style, keys in the API's order, unicode kept, long lines not folded."""
    import yaml

    body = yaml.safe_dump(content, sort_keys=False, allow_unicode=True, default_flow_style=False, width=10_000)
    return HEADER.format(name=name) + body


def export_command(args: argparse.Namespace) -> int:
    from helpdesk.bootstrap import container
    from helpdesk.domain.errors import HelpdeskError
    from helpdesk.services.rules_as_code import export_rules

    directory = Path(args.directory)
    try:
        files, notes = export_rules(container())
        directory.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            (directory / name).write_text(dump(name.removesuffix(".yaml"), content), encoding="utf-8")
            count = sum(len(rules) for rules in content.values())
            print(f"{directory / name}: {count} rule(s)")
    except (HelpdeskError, OSError) as error:
        print(f"helpdesk rules export: {error}", file=sys.stderr)
        return 2
    for note in notes:
        print(f"note: {note}")
    return 0


def import_command(args: argparse.Namespace) -> int:
    from helpdesk.bootstrap import container
    from helpdesk.domain.errors import HelpdeskError
    from helpdesk.services.rules_as_code import apply_plan, plan_import, read_documents

    directory = Path(args.directory)
    if not directory.is_dir():
        print(f"helpdesk rules import: {directory} is not a folder", file=sys.stderr)
        return 2
    try:
        deps = container()
        documents, unreadable = read_documents(directory)
        plan = plan_import(deps, documents, prune=args.prune)
        plan.problems[:0] = unreadable
        for note in plan.notes:
            print(f"note: {note}")
        if plan.problems:
            print(f"{len(plan.problems)} problem(s); nothing was changed:", file=sys.stderr)
            for problem in plan.problems:
                print(f"  {problem}", file=sys.stderr)
            return 1
        for change in plan.changes:
            print(("would " if args.dry_run else "") + str(change))
        if not args.dry_run:
            apply_plan(deps, plan)
    except HelpdeskError as error:
        print(f"helpdesk rules import: {error}", file=sys.stderr)
        return 2
    verb = "would change" if args.dry_run else "changed"
    print(f"{len(plan.changes)} rule(s) {verb}, {plan.unchanged} unchanged")
    return 0
