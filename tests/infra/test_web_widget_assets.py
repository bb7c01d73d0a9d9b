"""The web chat's script, style and demo page are files, not Python: they reach a deployment only if the Lambda
layer's content and the package's data both hold them."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

from tests.support import ROOT

PACKAGE = ROOT / "layers" / "helpdesk" / "helpdesk"
ASSETS = PACKAGE / "channels" / "messaging" / "web_widget_assets"


def _assets() -> list[Path]:
    found = sorted(p for p in ASSETS.iterdir() if p.is_file())
    assert {p.name for p in found} >= {"widget.js", "widget.css", "demo.html"}
    return found


def test_the_package_data_holds_every_widget_asset() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["helpdesk"]
    for asset in _assets():
        relative = asset.relative_to(PACKAGE).as_posix()
        assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), relative


def test_the_lambda_layer_content_holds_every_widget_asset() -> None:
    from helpdesk.local.template import load_sam_template

    template = load_sam_template(ROOT / "template.yaml")
    layer = template["Resources"]["HelpdeskLayer"]["Properties"]["ContentUri"]
    content = (ROOT / layer).resolve()
    for asset in _assets():
        assert asset.resolve().is_relative_to(content), asset
    excluded = content / ".samignore"
    assert not excluded.exists() or "web_widget_assets" not in excluded.read_text()
