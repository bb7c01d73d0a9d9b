"""messaging_media's use case: the media of a message (images, documents, audio, video) fetched into S3 after its
comment was written, so the text never waits for a download.

``MediaRequested`` names the comment and its pending attachments in order. Each is downloaded from its provider
(credentials to the provider's own hosts only), checked against every SHA-256 the provider gave, stored under
``attachments/<sha256>`` as mail attachments are, and marked ``stored`` on the comment; a file over the cap, or
whose digest does not match, is marked ``failed`` at once. A download that fails otherwise is retried by the queue
(the request comes back), and on its last attempt marked ``failed`` with the reason. Marking writes the comment's
attachment states only: the ticket, its ``updated_at``, triggers and SLA stay as they are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from helpdesk.bootstrap import Container
from helpdesk.channels.messaging.media import MAX_MEDIA_BYTES, content_type, sha256_matches
from helpdesk.domain.errors import InvalidInput
from helpdesk.domain.inputs import whole_number
from helpdesk.ports import MediaUnavailable
from helpdesk.services.messaging import channel_health

ATTEMPTS = 5  # the MessagingMediaQueue's maxReceiveCount: its last receive marks what still fails
ATTACHMENT_PREFIX = "attachments/"  # as mail attachments: content addressed, in the raw-mail bucket
DONE = ("stored", "failed")


class MediaRetry(Exception):
    """Some media of the request could not be fetched this time; the queue delivers the request again."""


@dataclass(frozen=True)
class RequestedMedia:
    kind: str
    ref: str
    sha256: str | None = None


@dataclass(frozen=True)
class MediaRequest:
    ticket_id: int
    comment_id: int
    channel: str
    account: str
    media: tuple[RequestedMedia, ...]


@dataclass(frozen=True)
class Fetched:
    stored: int = 0
    failed: int = 0
    already: int = 0  # recorded by an earlier attempt (a redelivery)


def request_from_event(detail: Mapping[str, Any]) -> MediaRequest:
    """The request a ``MediaRequested`` detail carries; InvalidInput naming what is wrong."""
    ticket_id, comment_id = whole_number(detail.get("ticket_id")), whole_number(detail.get("comment_id"))
    channel, account, media = detail.get("channel"), detail.get("account"), detail.get("media")
    if ticket_id is None or comment_id is None:
        raise InvalidInput("MediaRequested needs a ticket_id and a comment_id")
    if not isinstance(channel, str) or not isinstance(account, str) or not isinstance(media, list):
        raise InvalidInput("MediaRequested needs a channel, an account and a list of media")
    wanted = []
    for entry in media:
        ref = entry.get("ref") if isinstance(entry, Mapping) else None
        if not isinstance(ref, str) or not ref:
            raise InvalidInput("each media of MediaRequested needs a ref")
        digest = entry.get("sha256")
        wanted.append(RequestedMedia(str(entry.get("kind") or "file"), ref,
                                     digest if isinstance(digest, str) and digest else None))
    return MediaRequest(ticket_id, comment_id, channel, account, tuple(wanted))


def fetch(deps: Container, request: MediaRequest, attempt: int) -> Fetched:
    """Fetch every media of the request not recorded yet; ``attempt`` is this delivery's receive count (1 first).
    Raises MediaRetry when some may succeed later and this was not the last attempt."""
    recorded = deps.tickets.attachment_states(request.ticket_id, request.comment_id)
    stored = failed = already = 0
    later: list[str] = []
    for position, media in enumerate(request.media, start=1):
        if recorded.get(position, {}).get("status") in DONE:
            already += 1
            continue
        try:
            state = _store(deps, request, media)
        except MediaUnavailable as exc:
            if exc.reason == "unauthorized":  # the channel's token no longer works: its health says so
                channel_health.token_refused(deps, request.channel, request.account, f"media download: {exc}")
            if exc.retry and attempt < ATTEMPTS:
                later.append(f"{media.kind} {position}: {exc}")
                continue
            state = {"status": "failed", "reason": exc.reason, "detail": exc.detail[:300]}
        state["attempts"] = attempt
        deps.tickets.set_attachment_state(request.ticket_id, request.comment_id, position, state)
        stored, failed = stored + (state["status"] == "stored"), failed + (state["status"] == "failed")
    if later:
        raise MediaRetry(f"attempt {attempt} of {ATTEMPTS}: " + "; ".join(later))
    return Fetched(stored, failed, already)


def _store(deps: Container, request: MediaRequest, media: RequestedMedia) -> dict[str, Any]:
    download = deps.media_downloads.download(request.channel, request.account, media.ref, MAX_MEDIA_BYTES)
    digest = hashlib.sha256(download.data).digest()
    for claim in (media.sha256, *download.sha256):
        if claim and not sha256_matches(claim, digest):
            raise MediaUnavailable("sha256_mismatch", f"the provider's sha256 {claim[:80]!r} is not that of the "
                                   f"{len(download.data)} bytes received", retry=False)
    kind = content_type(download.content_type)
    key = deps.raw_store.put(f"{ATTACHMENT_PREFIX}{digest.hex()}", download.data, kind)
    return {"status": "stored", "key": key, "size": len(download.data), "content_type": kind,
            "sha256": digest.hex()}
