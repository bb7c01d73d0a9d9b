"""Random JSON (hypothesis), and real payloads with random parts replaced or removed (seeded): the WhatsApp and
Messenger parsers never raise, every item they return is well formed, every message or status survives the
inbound queue."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.channels.messaging import messenger, whatsapp
from helpdesk.channels.messaging.items import Ignored, InboundMessage, StatusUpdate, item_from_json, to_json
from tests.support import CORPORA, ROOT
from tests.unit.channels.messaging.whatsapp_bodies import body, change, contact, status, text_message

Parser = Callable[[Any], list[Any]]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20)


def samples(folder: str, fallback: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The corpus's payloads when present (each file a payload or a dict of named ones), and our own always."""
    found = list(fallback)
    for path in sorted((CORPORA / folder).glob("*.json")) if (CORPORA / folder).is_dir() else []:
        document = json.loads(path.read_text())
        if "raw_body" not in document:
            found += [document] if "object" in document else list(document.values())
    return found


WHATSAPP = samples("whatsapp_updates", [body(change([text_message("wamid.1"), {
    "from": "1", "id": "wamid.2", "timestamp": "1", "type": "edit", "edit": {"original_message_id": "wamid.1",
                                                                             "message": {"type": "image"}}}],
    [status("wamid.3", biz_opaque_callback_data="c", errors=[{"code": 1}])], contacts=[contact()]))])
MESSENGER = samples("messenger_webhooks", [{"object": "instagram", "entry": [{"id": "1", "messaging": [
    {"sender": {"id": "2"}, "recipient": {"id": "1"}, "timestamp": 1, "message": {
        "mid": "m", "text": "t", "attachments": [{"type": "location", "payload": {"coordinates": {"lat": 1}}}],
        "reply_to": {"mid": "r", "story": {"url": "u"}}, "quick_reply": {"payload": "p"}}},
    {"sender": {"id": "2"}, "recipient": {"id": "1"}, "timestamp": 1, "reaction": {"mid": "m"}},
    {"sender": {"id": "2"}, "recipient": {"id": "1"}, "delivery": {"mids": ["m"], "watermark": 1}}]}]}])


def paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(document, dict):
        for key, value in document.items():
            found += paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += paths(value, (*prefix, index))
    return found


def mutate(document: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    if not path:
        return value
    copy = json.loads(json.dumps(document))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return copy


def check(parse: Parser, document: Any) -> list[Any]:
    found = parse(document)
    for item in found:
        assert isinstance(item, InboundMessage | StatusUpdate | Ignored), item
        if isinstance(item, Ignored):
            assert item.reason
            continue
        moment = item.sent_at if isinstance(item, InboundMessage) else item.at
        assert moment.tzinfo is not None and item.account
        if isinstance(item, InboundMessage):
            assert item.provider_id and item.sender.value
        assert item_from_json(json.loads(json.dumps(to_json(item)))) == item
    return found


def tally(found: list[Any]) -> dict[str, int]:
    kinds = [type(item).__name__ + (" malformed" if isinstance(item, Ignored) and item.malformed else "")
             for item in found]
    return {kind: kinds.count(kind) for kind in set(kinds)}


ODD_VALUES: list[Any] = [None, "", 0, -1, 1.5, 1e308, 10**30, True, False, [], {}, [None], {"id": None}, "x",
                        "\ud800", "1e30", "-5", "US.1", "<ID>", "wamid.x", {"type": "text"}, [{"code": "x"}]]


def damaged(sources: list[dict[str, Any]], seed: int, count: int) -> list[Any]:
    """``count`` payloads, each with one to four random parts replaced by odd values or removed."""
    rng = random.Random(seed)
    found = []
    for _ in range(count):
        document: Any = rng.choice(sources)
        for _ in range(rng.randint(1, 4)):
            document = mutate(document, rng.choice(paths(document)), rng.choice(ODD_VALUES), rng.random() < 0.3)
        found.append(document)
    return found


def test_damaged_whatsapp_payloads_never_raise() -> None:
    found = [item for document in damaged(WHATSAPP, 7, 2000) for item in check(whatsapp.parse, document)]
    counts = tally(found)  # the damage reaches every outcome, not only the first guard
    assert min(counts.get(kind, 0) for kind in ("InboundMessage", "StatusUpdate", "Ignored malformed")) > 20, counts


def test_damaged_messenger_payloads_never_raise() -> None:
    found = [item for document in damaged(MESSENGER, 11, 2000) for item in check(messenger.parse, document)]
    counts = tally(found)
    assert min(counts.get(kind, 0) for kind in ("InboundMessage", "StatusUpdate", "Ignored malformed")) > 20, counts


@settings(max_examples=200, deadline=None)
@given(JSON, st.sampled_from(["whatsapp_business_account", "page", "instagram", None]))
def test_random_json_never_raises(document: Any, obj: str | None) -> None:
    if isinstance(document, dict) and obj is not None:
        document = {**document, "object": obj}
    check(whatsapp.parse, document)
    check(messenger.parse, document)


def test_the_meta_modules_import_nothing_heavy() -> None:
    """Pure modules: no AWS SDK, and pywa (the tests' oracle) never reaches the product."""
    code = ("import sys; import helpdesk.channels.messaging.whatsapp, helpdesk.channels.messaging.messenger, "
            "helpdesk.channels.messaging.meta; print(sorted(m for m in ('pywa', 'boto3', 'botocore', 'httpx') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"
    product = ROOT / "layers" / "helpdesk" / "helpdesk"
    importing = re.compile(r"^\s*(import|from)\s+pywa\b", re.MULTILINE)
    assert not [path for path in product.rglob("*.py") if importing.search(path.read_text())]
