"""The layer's requirements must install from binary wheels on the Lambda platform (python3.13, arm64).

`sam build` for an arm64 layer on an x86 machine (or in CI) cannot compile sdists, so a dependency without
an aarch64/pure wheel breaks the build. This test needs PyPI: it is skipped when PyPI cannot be reached at
all, and fails when PyPI answers but a requirement does not resolve to wheels.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

PLATFORM = "manylinux2014_aarch64"
PYTHON_VERSION = "3.13"
NETWORK_ERRORS = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "Max retries exceeded",
    "ConnectTimeoutError",
    "ReadTimeoutError",
)
RESOLUTION_ERRORS = ("No matching distribution found", "ResolutionImpossible", "Could not find a version")


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def index_url() -> str:
    return os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple/").rstrip("/") + "/"


def pypi_reachable() -> bool:
    try:
        with urllib.request.urlopen(index_url() + "pip/", timeout=10) as response:
            return bool(response.status < 500)
    except (urllib.error.URLError, TimeoutError, OSError):
        return False


def test_layer_requirements_resolve_as_wheels_for_lambda_arm64(tmp_path: Path) -> None:
    requirements = repo_root() / "layers" / "helpdesk" / "requirements.txt"
    assert requirements.is_file()
    if not pypi_reachable():
        pytest.skip(f"PyPI ({index_url()}) is unreachable: no network, cannot check the layer's wheels")
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-cache-dir",
        "-r",
        str(requirements),
        "--platform",
        PLATFORM,
        "--python-version",
        PYTHON_VERSION,
        "--implementation",
        "cp",
        "--only-binary=:all:",
        "-d",
        str(tmp_path),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    output = result.stdout + result.stderr
    if result.returncode != 0:
        if any(e in output for e in NETWORK_ERRORS) and not any(e in output for e in RESOLUTION_ERRORS):
            pytest.skip(f"PyPI became unreachable during the download:\n{output[-2000:]}")
        pytest.fail(f"the layer's requirements do not resolve as {PLATFORM} wheels:\n{output[-4000:]}")
    wheels = sorted(p.name for p in tmp_path.iterdir())
    assert all(name.endswith(".whl") for name in wheels), wheels
    names = {name.split("-")[0].lower() for name in wheels}
    assert {"pynamodb", "aws_lambda_powertools", "chalice"} <= names
    for name in wheels:
        platform_tag = name.removesuffix(".whl").split("-")[-1]
        assert platform_tag == "any" or "aarch64" in platform_tag, name
