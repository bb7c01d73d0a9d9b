"""`helpdesk email ...`: parse raw mail into the normalized JSON, and replay raw mail into the pipeline.

`replay` reads a folder of .eml files, an S3 prefix, or the inbound dead-letter queue, with the settings of the
environment (as every function does); downstream idempotency makes a replay of mail already ticketed a no-op.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TextIO

from helpdesk.bootstrap import Container
from helpdesk.ports import InboundQueue, RawMailStore

Item = tuple[str, Callable[[], bytes], str | None]  # (name shown, loader, raw_key when the mail is already stored)


class ReplaySourceError(Exception):
    """The source of a replay cannot be listed (no such folder, bad s3:// URL, no dead-letter queue)."""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    email = commands.add_parser("email", help="parse raw mail, replay mail into the pipeline")
    actions = email.add_subparsers(dest="email_command", required=True)
    parse = actions.add_parser("parse", help="print each file's normalized message as one JSON line")
    parse.add_argument("files", nargs="+", metavar="FILE")
    parse.set_defaults(run=parse_files)
    replay = actions.add_parser("replay", help="queue raw mail again (exit 1 when any failed, 2 on a bad source)")
    replay.add_argument("source", nargs="?", metavar="SOURCE", help="a folder (every *.eml below it) or s3://bucket/prefix")
    replay.add_argument("--dead-letters", action="store_true",
                        help="move every message of the inbound dead-letter queue back onto the inbound queue")
    replay.add_argument("--dry-run", action="store_true", help="read and check everything, queue nothing")
    replay.set_defaults(run=replay_mail)


def parse_files(args: argparse.Namespace) -> int:
    from helpdesk.channels.email.parse import parse_email

    failed = False
    for name in args.files:
        try:
            raw = Path(name).read_bytes()
        except OSError as error:
            failed = True
            print(json.dumps({"file": name, "error": error.strerror or str(error)}))
            continue
        print(json.dumps({"file": name, **parse_email(raw).to_json()}))
    return 1 if failed else 0


@dataclass
class Tally:
    queued: int = 0
    dropped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def summary(self, queued_as: str) -> str:
        lines = [f"{self.queued} {queued_as}, {len(self.dropped)} dropped, {len(self.failed)} failed"]
        lines += [f"  dropped {reason}" for reason in self.dropped]
        lines += [f"  failed {reason}" for reason in self.failed]
        return "\n".join(lines)


class Progress:
    """`[#####.....] 12/40 name` on stderr: redrawn in place on a terminal, a few plain lines elsewhere."""

    def __init__(self, total: int, stream: TextIO, width: int = 20) -> None:
        self.total, self.done, self._stream, self._width, self._shown = total, 0, stream, width, -1
        self._tty = stream.isatty()

    def step(self, name: str) -> None:
        self.done += 1
        total = max(self.total, self.done)
        filled = self._width * self.done // total
        line = f"[{'#' * filled}{'.' * (self._width - filled)}] {self.done}/{total} {name[-50:]}"
        if self._tty:
            self._stream.write("\r\x1b[K" + line)
        elif filled != self._shown or self.done == total:
            self._stream.write(line + "\n")
        self._shown = filled
        self._stream.flush()

    def close(self) -> None:
        if self._tty and self.done:
            self._stream.write("\n")


def replay_mail(args: argparse.Namespace) -> int:
    from helpdesk.bootstrap import container
    from helpdesk.domain.errors import HelpdeskError

    if args.dead_letters == bool(args.source):
        print("helpdesk email replay: give a SOURCE or --dead-letters (not both)", file=sys.stderr)
        return 2
    try:
        deps = container()
        if args.dead_letters:
            tally = move_dead_letters(deps, dry_run=args.dry_run)
            print(tally.summary("would be moved back" if args.dry_run else "moved back to the inbound queue"))
        else:
            tally = replay_items(DryRunContainer(deps) if args.dry_run else deps, _items(deps, args.source))
            print(tally.summary("would be queued (dry run)" if args.dry_run else "queued"))
    except (ReplaySourceError, HelpdeskError) as error:
        print(f"helpdesk email replay: {error}", file=sys.stderr)
        return 2
    return 1 if tally.failed else 0


def replay_items(deps: Container, items: list[Item]) -> Tally:
    from botocore.exceptions import BotoCoreError, ClientError

    from helpdesk.domain.errors import HelpdeskError
    from helpdesk.services.inbound_email import queue_raw_email

    tally, progress = Tally(), Progress(len(items), sys.stderr)
    for name, load, raw_key in items:
        try:
            queued = queue_raw_email(deps, load(), source="replay", raw_key=raw_key)
        except (OSError, HelpdeskError, BotoCoreError, ClientError) as error:
            tally.failed.append(f"{name}: {error}")
        else:
            if queued.dropped:
                tally.dropped.append(f"{name}: {queued.dropped}")
            else:
                tally.queued += 1
        progress.step(name)
    progress.close()
    return tally


def _items(deps: Container, source: str) -> list[Item]:
    if source.startswith("s3://"):
        return _s3_items(deps, source)
    root = Path(source)
    if root.is_file():
        return [(str(root), root.read_bytes, None)]
    if not root.is_dir():
        raise ReplaySourceError(f"{source} is neither a folder, a file nor an s3:// URL")
    return [(str(p.relative_to(root)), p.read_bytes, None) for p in sorted(root.rglob("*.eml")) if p.is_file()]


def _s3_items(deps: Container, source: str) -> list[Item]:
    from helpdesk.adapters.aws import client

    bucket, _, prefix = source.removeprefix("s3://").partition("/")
    if not bucket:
        raise ReplaySourceError(f"{source} names no bucket")
    s3 = client("s3", deps.settings.region, deps.settings.endpoint_url)
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    keys = [str(o["Key"]) for page in pages for o in page.get("Contents", []) if not str(o["Key"]).endswith("/")]
    stored = bucket == deps.settings.raw_mail_bucket  # the raw-mail bucket: queue the key, store no copy

    def loader(key: str) -> Callable[[], bytes]:
        return lambda: bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    return [(f"s3://{bucket}/{key}", loader(key), key if stored else None) for key in sorted(keys)]


class _NoQueue(InboundQueue):
    def send(self, body: Mapping[str, Any], *, group_id: str, dedup_id: str) -> None:
        return None


class _NoStore(RawMailStore):
    def put(self, key: str, data: bytes, content_type: str = "message/rfc822") -> str:
        return key

    def get(self, key: str) -> bytes:
        raise KeyError(key)

    def link(self, key: str, expires_seconds: int) -> str:
        raise KeyError(key)


class DryRunContainer(Container):
    """The environment's container whose raw store and inbound queue keep nothing: the same checks, no effect."""

    def __init__(self, real: Container) -> None:
        super().__init__(real.settings)

    @cached_property
    def raw_store(self) -> RawMailStore:
        return _NoStore()

    @cached_property
    def inbound_queue(self) -> InboundQueue:
        return _NoQueue()


def move_dead_letters(deps: Container, *, dry_run: bool) -> Tally:
    """Receive each message of the inbound DLQ, send it to the inbound queue (same group, new dedup id), delete it."""
    from botocore.exceptions import BotoCoreError, ClientError

    from helpdesk.adapters.aws import client

    sqs = client("sqs", deps.settings.region, deps.settings.endpoint_url)
    inbound = deps.settings.require(deps.settings.inbound_queue_url, "INBOUND_QUEUE_URL")
    dead = os.environ.get("INBOUND_DLQ_URL") or dead_letter_queue_url(sqs, inbound)
    if dead == inbound:
        raise ReplaySourceError("the dead-letter queue and the inbound queue are the same queue")
    waiting = int(sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["ApproximateNumberOfMessages"])
                  ["Attributes"]["ApproximateNumberOfMessages"])
    if dry_run:
        return Tally(queued=waiting)
    tally, progress = Tally(), Progress(waiting, sys.stderr)
    seen: set[str] = set()
    while True:
        batch = sqs.receive_message(QueueUrl=dead, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=120,
                                    AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
        fresh = [m for m in batch if m["MessageId"] not in seen]
        if not fresh:  # empty, or only messages whose move failed earlier and that came back
            break
        for message in fresh:
            seen.add(message["MessageId"])
            name = _message_name(message)
            try:
                sqs.send_message(**_resend_params(inbound, message))
                sqs.delete_message(QueueUrl=dead, ReceiptHandle=message["ReceiptHandle"])
                tally.queued += 1
            except (BotoCoreError, ClientError) as error:
                tally.failed.append(f"{name}: {error}")
            progress.step(name)
    progress.close()
    return tally


def dead_letter_queue_url(sqs: Any, inbound_url: str) -> str:
    """The queue named like the inbound one with DeadLetterQueue: `s-InboundQueue-X.fifo`, `s-InboundDeadLetterQueue*`.

    CloudFormation gives each queue its own random suffix, so the exact name is preferred and the prefix suffices."""
    name = inbound_url.rstrip("/").rsplit("/", 1)[-1]
    at = name.rfind("Queue")
    if at < 0:
        raise ReplaySourceError(f"cannot tell the dead-letter queue of {name}: set INBOUND_DLQ_URL")
    prefix, exact = name[:at] + "DeadLetterQueue", name[:at] + "DeadLetterQueue" + name[at + len("Queue"):]
    urls = [str(u) for u in sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", [])]
    same_kind = [u for u in urls if u.endswith(".fifo") == name.endswith(".fifo")]
    exact_matches = [u for u in same_kind if u.rsplit("/", 1)[-1] == exact]
    found = exact_matches or same_kind
    if len(found) != 1:
        raise ReplaySourceError(f"{len(found)} queues are named {prefix}*: set INBOUND_DLQ_URL")
    return found[0]


def _resend_params(inbound: str, message: Mapping[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {"QueueUrl": inbound, "MessageBody": message["Body"]}
    if inbound.endswith(".fifo"):
        group = message.get("Attributes", {}).get("MessageGroupId") or message["MessageId"]
        params.update(MessageGroupId=group, MessageDeduplicationId=uuid.uuid4().hex)
    attributes = {key: {k: v for k, v in value.items() if k in ("DataType", "StringValue", "BinaryValue")}
                  for key, value in message.get("MessageAttributes", {}).items()}
    if attributes:
        params["MessageAttributes"] = attributes
    return params


def _message_name(message: Mapping[str, Any]) -> str:
    try:
        body = json.loads(message["Body"])
    except ValueError:
        body = None
    named = body.get("message_id") if isinstance(body, dict) else None
    return str(named or message["MessageId"])
