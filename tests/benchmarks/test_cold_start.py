"""Cold start: each handler's import cost in a fresh interpreter, as a ratio to `import boto3` plus one client,
measured in the same run (runs interleaved, medians of several). Run with `make bench`."""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

RUNS = 7
LIMIT = 1.5
BASELINE = "import boto3; boto3.client('sqs', region_name='us-east-1')"
HANDLERS = {
    "api": ("functions/api/app.py", "app"),
    "email_ingest": ("functions/email_ingest/handler.py", "handler"),
    "ticket_create": ("functions/ticket_create/handler.py", "handler"),
    "trigger_eval": ("functions/trigger_eval/handler.py", "handler"),
    "sla_escalation": ("functions/sla_escalation/handler.py", "handler"),
    "csat_survey": ("functions/csat_survey/handler.py", "handler"),
    "notify": ("functions/notify/handler.py", "handler"),
}
# Reported, not asserted: what the first invocation imports on top of the handler (Powertools logger, metrics and
# batch, the adapters, boto3, PynamoDB, one client).
FIRST_CALL = ("from aws_lambda_powertools import Logger, Metrics;"
              "from aws_lambda_powertools.utilities.batch import BatchProcessor, process_partial_response;"
              "import helpdesk.bootstrap as b, helpdesk.adapters.dynamo.repositories, helpdesk.adapters.eventbridge;"
              "import helpdesk.services.inbound_email, helpdesk.services.trigger_evaluation;"
              "from helpdesk.adapters.aws import client; client('sqs', 'us-east-1')")


def _loader(path: str, attribute: str) -> str:
    location = str(ROOT / path)
    return (f"import importlib.util as u; s = u.spec_from_file_location('h', {location!r}); "
            f"m = u.module_from_spec(s); s.loader.exec_module(m); getattr(m, {attribute!r})")


def _time(code: str) -> float:
    """Seconds to run `code` in a fresh interpreter, measured inside it (no interpreter start-up)."""
    script = f"import time; t = time.perf_counter()\n{code}\nprint(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"},
                         cwd=Path(ROOT))
    return float(out.stdout.strip().splitlines()[-1])


@pytest.mark.benchmark
def test_each_handler_imports_within_one_and_a_half_boto3_cold_starts() -> None:
    samples: dict[str, list[float]] = {"baseline": [], **{name: [] for name in HANDLERS}, "first_call": []}
    for _ in range(RUNS):  # interleaved, so drift on a shared machine hits every column alike
        samples["baseline"].append(_time(BASELINE))
        for name, (path, attribute) in HANDLERS.items():
            samples[name].append(_time(_loader(path, attribute)))
        samples["first_call"].append(_time(_loader(*HANDLERS["ticket_create"]) + "\n" + FIRST_CALL))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    baseline = medians["baseline"]
    print(f"\nbaseline (import boto3 + one client): median {baseline * 1000:.0f} ms over {RUNS} runs")
    for name in [*HANDLERS, "first_call"]:
        print(f"  {name:<15} {medians[name] * 1000:7.0f} ms   ratio {medians[name] / baseline:.2f}")
    over = {name: medians[name] / baseline for name in HANDLERS if medians[name] / baseline > LIMIT}
    assert not over, f"handlers over {LIMIT}x the baseline: {over}"
