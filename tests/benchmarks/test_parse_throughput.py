"""Parse throughput: helpdesk's parse_email over a corpus of real mail, as a ratio to the bare
`email.message_from_bytes(raw, policy=policy.default)` measured in the same run (runs interleaved, medians of
several, each run several passes over the corpus). Reported, not asserted. Run with `make bench`."""

from __future__ import annotations

import email
import gc
import math
import statistics
import time
from collections.abc import Callable
from email import policy
from typing import Any

import pytest

from helpdesk.channels.email.parse import parse_email
from tests.support import CORPORA, EVENTS

RUNS = 7
PASSES = 5
CHATWOOT = CORPORA / "eml_chatwoot"


def _corpus() -> list[bytes]:
    """Every message of the chatwoot corpus (its LICENSE is no message) and of events/."""
    files = [p for p in sorted(CHATWOOT.iterdir()) if p.is_file() and p.name != "LICENSE"]
    return [p.read_bytes() for p in [*files, *sorted(EVENTS.glob("*.eml"))]]


def _bare(raw: bytes) -> Any:
    return email.message_from_bytes(raw, policy=policy.default)


def _seconds(parse: Callable[[bytes], Any], corpus: list[bytes]) -> float:
    gc.collect()
    start = time.perf_counter()
    for _ in range(PASSES):
        for raw in corpus:
            parse(raw)
    return time.perf_counter() - start


@pytest.mark.benchmark
def test_parse_email_throughput_relative_to_the_bare_email_package() -> None:
    if not CHATWOOT.is_dir() or not any(CHATWOOT.glob("*.eml")):
        pytest.skip(f"the mail corpus is absent: {CHATWOOT} (shared/corpora beside the repository) has no .eml")
    corpus = _corpus()
    for raw in corpus:  # warm up: imports, lazy tables, regex caches
        parse_email(raw)
        _bare(raw)
    samples: dict[str, list[float]] = {"baseline": [], "helpdesk": []}
    for run in range(RUNS):  # interleaved, alternating which goes first, so drift hits both alike
        order = [("baseline", _bare), ("helpdesk", parse_email)]
        for name, parse in order if run % 2 == 0 else reversed(order):
            samples[name].append(_seconds(parse, corpus))
    messages = len(corpus) * PASSES
    rate = {name: messages / statistics.median(values) for name, values in samples.items()}
    ratio = rate["helpdesk"] / rate["baseline"]
    size = sum(len(raw) for raw in corpus) / 1024
    print(f"\nparse throughput over {len(corpus)} messages ({size:.0f} KiB) x {PASSES} passes, median of {RUNS} runs")
    print(f"  email.message_from_bytes (policy.default) {rate['baseline']:9.0f} messages/s")
    print(f"  helpdesk parse_email                      {rate['helpdesk']:9.0f} messages/s")
    print(f"  ratio (helpdesk / baseline throughput)    {ratio:9.3f}  ({1 / ratio:.1f}x the time per message)")
    assert math.isfinite(ratio) and ratio > 0
