"""The messaging webhooks' use case, once the provider's signature was checked on the raw bytes: the raw body is
kept, every item of the (batched) body is queued on the FIFO inbound queue grouped by conversation, in the
provider's order (by its timestamps, ties as given), so a person's messages are handled one at a time and in
order, and the answer goes back at once. An item that cannot be read is dead-lettered with its cause, an event
this product does not act on is counted by reason, and neither holds back the other items. Only a failure to keep
or queue them is an error: the provider then delivers the body again (and the message ids make that harmless).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from helpdesk.bootstrap import Container
from helpdesk.channels.messaging.items import Ignored, InboundMessage, StatusUpdate, WebhookItem, to_json
from helpdesk.ports import Queued
from helpdesk.services.messaging.provider_order import provider_time
from helpdesk.services.messaging.receive_message import message_ref

RAW_PREFIX = "inbound-messaging/"
_GROUP = re.compile(r"[!-~]{1,128}")  # what SQS takes as a MessageGroupId


@dataclass
class Accepted:
    queued: int = 0
    ignored: Counter[str] = field(default_factory=Counter)
    malformed: list[str] = field(default_factory=list)
    raw_key: str = ""


def message_group(conversation: str) -> str:
    """The FIFO group of a conversation: its key when SQS can take it (1 to 128 letters, digits and punctuation),
    else the key's SHA-256, so an odd id neither fails the whole body nor merges two people's groups."""
    if _GROUP.fullmatch(conversation):
        return conversation
    return "sha256:" + hashlib.sha256(conversation.encode("utf-8", "surrogatepass")).hexdigest()


def _dedup(item: InboundMessage | StatusUpdate) -> str:
    if isinstance(item, InboundMessage):
        key = f"m:{message_ref(item.channel, item.account, item.provider_id)}"
    else:
        key = f"s:{item.channel}:{item.account}:{item.provider_id or item.correlation}:{item.status}:{item.at}"
    return hashlib.sha256(key.encode()).hexdigest()


def accept(deps: Container, provider: str, raw: bytes, items: Sequence[WebhookItem],
           content_type: str = "application/json") -> Accepted:
    accepted = Accepted()
    digest = hashlib.sha256(raw).hexdigest()
    accepted.raw_key = deps.raw_store.put(f"{RAW_PREFIX}{provider}/{digest}", raw, content_type)
    acted_on = [item for item in items if isinstance(item, InboundMessage | StatusUpdate)]
    queued = [Queued(to_json(item), message_group(item.conversation), _dedup(item))
              for item in sorted(acted_on, key=provider_time)]  # a batched body's messages as written
    deps.messaging_queue.send(queued)
    accepted.queued = len(queued)
    for item in items:
        if isinstance(item, Ignored) and item.malformed:
            deps.messaging_queue.dead_letter({"provider": provider, "channel": item.channel,
                                              "raw_key": accepted.raw_key}, item.reason)
            accepted.malformed.append(item.reason)
        elif isinstance(item, Ignored):
            accepted.ignored[item.reason] += 1
    return accepted
