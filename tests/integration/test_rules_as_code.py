"""`helpdesk rules export` / `import`: rules to YAML and back, validated as a whole before anything is written."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpdesk.cli import main
from tests.support import Pipeline

ROUTE_SPANISH = {"trigger": {"title": "Route Spanish", "description": "Spanish speakers to the ES group",
                             "conditions": {"all": [{"field": "requester_locale", "operator": "is", "value": "es"}]},
                             "actions": [{"field": "group_id", "value": 12}]}}
ESCALATE = {"trigger": {"title": "Escalate second reply", "conditions": {"all": [
    {"field": "update_type", "operator": "is", "value": "Change"},
    {"field": "current_tags", "operator": "includes", "value": "vip"}], "any": []},
    "actions": [{"field": "priority", "value": "urgent"}, {"field": "current_tags", "value": "escalated ünïcode"}]}}
POLICY = {"sla_policy": {"title": "Standard", "position": 1, "policy_metrics": [
    {"priority": "normal", "metric": "first_reply_time", "target": 120}]}}


def _seed(pipeline: Pipeline) -> None:
    for body in (ROUTE_SPANISH, ESCALATE):
        pipeline.json("POST", "/api/v2/triggers.json", body, expect=201)
    pipeline.json("POST", "/api/v2/slas/policies.json", POLICY, expect=201)


def _files(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.yaml"))}


def _stored(pipeline: Pipeline) -> dict[str, Any]:
    deps = pipeline.deps()
    return {"triggers": [t.to_api() for t in deps.rules.triggers()],
            "sla_policies": [p.to_api() for p in deps.rules.sla_policies()]}


def test_export_then_import_changes_nothing_and_exports_the_same_files(
        pipeline: Pipeline, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(pipeline)
    assert main(["rules", "export", str(tmp_path / "a")]) == 0
    exported = _files(tmp_path / "a")
    assert {"triggers.yaml", "sla_policies.yaml"} <= set(exported)
    triggers = yaml.safe_load(exported["triggers.yaml"])["triggers"]
    assert [t["title"] for t in triggers] == ["Route Spanish", "Escalate second reply"]
    assert "created_at" not in triggers[0] and "escalated ünïcode" in exported["triggers.yaml"]
    before = _stored(pipeline)
    pipeline.clock.advance(timedelta(hours=1))
    capsys.readouterr()
    assert main(["rules", "import", str(tmp_path / "a")]) == 0
    assert "0 rule(s) changed, 3 unchanged" in capsys.readouterr().out
    assert _stored(pipeline) == before
    assert main(["rules", "export", str(tmp_path / "b")]) == 0
    assert _files(tmp_path / "b") == exported


def test_an_edited_folder_is_applied_matching_rules_by_title(
        pipeline: Pipeline, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(pipeline)
    main(["rules", "export", str(tmp_path)])
    doc = yaml.safe_load((tmp_path / "triggers.yaml").read_text(encoding="utf-8"))
    spanish = doc["triggers"][0]
    del spanish["id"]  # matched by its title
    spanish["actions"] = [{"field": "group_id", "value": 13}]
    doc["triggers"] = [spanish, {"title": "Tag refunds", "conditions": {"all": [
        {"field": "subject_includes_word", "operator": "includes", "value": "refund"}]},
        "actions": [{"field": "current_tags", "value": "refund"}]}]
    (tmp_path / "triggers.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    (tmp_path / "sla_policies.yaml").unlink()  # a kind without its file is left alone

    assert main(["rules", "import", str(tmp_path), "--prune", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would update trigger #1 'Route Spanish'" in out and "would create trigger 'Tag refunds'" in out
    assert "would delete trigger #2 'Escalate second reply'" in out
    assert len(_stored(pipeline)["triggers"]) == 2  # a dry run writes nothing

    assert main(["rules", "import", str(tmp_path)]) == 0  # without --prune nothing is deleted
    titles = {t["title"]: t for t in _stored(pipeline)["triggers"]}
    assert set(titles) == {"Route Spanish", "Escalate second reply", "Tag refunds"}
    assert titles["Route Spanish"]["id"] == 1 and titles["Route Spanish"]["actions"] == [
        {"field": "group_id", "value": 13}]
    assert titles["Tag refunds"]["position"] > titles["Escalate second reply"]["position"]
    assert main(["rules", "import", str(tmp_path), "--prune"]) == 0
    assert [t["title"] for t in _stored(pipeline)["triggers"]] == ["Route Spanish", "Tag refunds"]
    assert [p["title"] for p in _stored(pipeline)["sla_policies"]] == ["Standard"]


def test_one_invalid_rule_means_nothing_changes_and_every_problem_is_listed(
        pipeline: Pipeline, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(pipeline)
    main(["rules", "export", str(tmp_path)])
    before = _stored(pipeline)
    doc = yaml.safe_load((tmp_path / "triggers.yaml").read_text(encoding="utf-8"))
    doc["triggers"][0]["actions"] = [{"field": "group_id", "value": 99}]  # a valid change ...
    doc["triggers"].append({"title": "New and fine", "conditions": {"all": [
        {"field": "status", "operator": "is", "value": "open"}]}, "actions": [{"field": "priority", "value": "low"}]})
    doc["triggers"].append({"title": "Broken", "conditions": {"all": [
        {"field": "mood", "operator": "is", "value": "grumpy"}]}, "actions": [{"field": "priority", "value": "low"}]})
    doc["triggers"].append({"title": "New and fine", "conditions": {"all": [
        {"field": "status", "operator": "is", "value": "open"}]}, "actions": [{"field": "priority", "value": "high"}]})
    (tmp_path / "triggers.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    policies = yaml.safe_load((tmp_path / "sla_policies.yaml").read_text(encoding="utf-8"))
    policies["sla_policies"][0]["policy_metrics"][0]["target"] = -5
    (tmp_path / "sla_policies.yaml").write_text(yaml.safe_dump(policies), encoding="utf-8")
    (tmp_path / "webhooks_by_mistake.yaml").write_text("- {}\n", encoding="utf-8")

    assert main(["rules", "import", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "nothing was changed" in err
    assert "triggers.yaml: Broken: conditions.all[0]: unknown condition field 'mood'" in err
    assert "triggers.yaml: New and fine: duplicate title" in err
    assert "sla_policies.yaml: Standard: policy metric target must be a positive number of minutes" in err
    assert "webhooks_by_mistake.yaml: -: this deployment has no such kind of rule" in err
    assert _stored(pipeline) == before


@pytest.mark.parametrize(("content", "reason"), [
    ("triggers: [\n", "cannot be read as YAML"),
    ("- title: a list, not a mapping\n", "must hold a mapping with a 'triggers' list"),
    ("triggers:\n- just a string\n", "#1: a rule is a mapping of its fields"),
])
def test_unreadable_files_are_problems_too(pipeline: Pipeline, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           content: str, reason: str) -> None:
    (tmp_path / "triggers.yaml").write_text(content, encoding="utf-8")
    assert main(["rules", "import", str(tmp_path)]) == 1
    assert reason in capsys.readouterr().err
    assert _stored(pipeline)["triggers"] == []


def test_a_stored_title_the_file_does_not_claim_still_counts_as_a_duplicate(
        pipeline: Pipeline, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(pipeline)
    renamed = {"triggers": [{"id": 1, "title": "Escalate second reply", "conditions": {"all": [
        {"field": "status", "operator": "is", "value": "open"}]}, "actions": [{"field": "priority", "value": "low"}]}]}
    (tmp_path / "triggers.yaml").write_text(json.dumps(renamed), encoding="utf-8")
    assert main(["rules", "import", str(tmp_path)]) == 1
    assert "triggers.yaml: Escalate second reply: duplicate title" in capsys.readouterr().err
    assert main(["rules", "import", str(tmp_path), "--prune"]) == 0  # the other one goes: no duplicate left
    assert [(t["id"], t["title"]) for t in _stored(pipeline)["triggers"]] == [(1, "Escalate second reply")]



def test_automations_and_macros_travel_too(pipeline: Pipeline, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from helpdesk.domain.automations import Automation
    from helpdesk.domain.macros import Macro

    deps = pipeline.deps()
    now = "2026-11-23T09:00:00Z"
    deps.automations.put(Automation.from_api({
        "title": "Close solved after 4 days", "position": 1,
        "conditions": {"all": [{"field": "status", "operator": "is", "value": "solved"},
                               {"field": "SOLVED", "operator": "greater_than", "value": 96}]},
        "actions": [{"field": "status", "value": "closed"}]}, id=deps.rules.allocate_id("automation"), now_iso=now))
    deps.macros.put(Macro.from_api({"title": "Known issue", "actions": [
        {"field": "comment_value", "value": "See our status page."}]}, id=deps.macros.allocate_id(), now_iso=now))
    assert main(["rules", "export", str(tmp_path / "a")]) == 0
    exported = _files(tmp_path / "a")
    assert "Close solved after 4 days" in exported["automations.yaml"]
    assert "Known issue" in exported["macros.yaml"]
    before = ([a.to_api() for a in deps.automations.all()], [m.to_api() for m in deps.macros.macros()])
    pipeline.clock.advance(timedelta(hours=1))
    capsys.readouterr()
    assert main(["rules", "import", str(tmp_path / "a")]) == 0
    assert "0 rule(s) changed, 2 unchanged" in capsys.readouterr().out
    assert ([a.to_api() for a in deps.automations.all()], [m.to_api() for m in deps.macros.macros()]) == before
    macros = yaml.safe_load(exported["macros.yaml"])
    macros["macros"].append({"title": "Refund approved", "actions": [{"field": "status", "value": "solved"}]})
    (tmp_path / "a" / "macros.yaml").write_text(yaml.safe_dump(macros), encoding="utf-8")
    assert main(["rules", "import", str(tmp_path / "a"), "--prune"]) == 0
    assert [m.title for m in deps.macros.macros()] == ["Known issue", "Refund approved"]
    (tmp_path / "a" / "automations.yaml").write_text("automations: []\n", encoding="utf-8")
    assert main(["rules", "import", str(tmp_path / "a"), "--prune"]) == 0
    assert deps.automations.all() == []
