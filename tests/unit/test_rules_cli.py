"""`helpdesk rules`: the YAML written for review, and the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from helpdesk.cli import main
from helpdesk.rules_cli import dump


def test_dump_is_stable_block_yaml_in_the_api_order() -> None:
    content = {"triggers": [{"id": 2, "title": "Route \u00e9t\u00e9", "conditions": {"all": [], "any": []},
                             "actions": [{"field": "notification_user", "value": ["requester_id", "Hi " * 60, "x"]}]}]}
    text = dump("triggers", content)
    assert text == dump("triggers", yaml.safe_load(text.split("\n", 1)[1]))
    assert text.startswith("# helpdesk rules: triggers.") and "Route \u00e9t\u00e9" in text
    lines = text.splitlines()
    assert lines[1:4] == ["triggers:", "- id: 2", "  title: Route \u00e9t\u00e9"]
    assert yaml.safe_load(text) == content


def test_import_needs_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "import", str(tmp_path / "missing")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_rules_needs_a_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["rules"])
    assert "export" in capsys.readouterr().err
