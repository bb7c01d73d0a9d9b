"""The local stack driven by the two most used Python clients of Zendesk's API, zenpy and zdesk, as an
integrator's script would call it: create and update (with their audit), both pagination styles followed to the
end, show_many, create_many and update_many with their job status, tags."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.local_stack import ADMIN_EMAIL, ADMIN_TOKEN, LocalStackProcess, start_local_stack

zenpy = pytest.importorskip("zenpy", reason="zenpy is a dev dependency: pip install -e '.[dev]'")
zdesk = pytest.importorskip("zdesk", reason="zdesk is a dev dependency: pip install -e '.[dev]'")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    running = start_local_stack(tmp_path_factory.mktemp("clients"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def zenpy_client(stack: LocalStackProcess, monkeypatch: pytest.MonkeyPatch) -> Any:
    """zenpy pointed at the local stack by its own switches (it otherwise builds https://SUB.zendesk.com)."""
    scheme, netloc = stack.url.split("://")
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", scheme)
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", netloc)
    return zenpy.Zenpy(subdomain="local", email=ADMIN_EMAIL, token=ADMIN_TOKEN)


@pytest.fixture
def zdesk_client(stack: LocalStackProcess) -> Any:
    return zdesk.Zendesk(stack.url, zdesk_email=ADMIN_EMAIL, zdesk_password=ADMIN_TOKEN, zdesk_token=True)


def _made(zd: Any, subject: str) -> int:
    created = zd.ticket_create(data={"ticket": {"subject": subject, "comment": {"body": f"about {subject}"}}},
                               retval="content")
    return int(created["ticket"]["id"])


def test_zenpy_creates_updates_and_reads_every_page(zenpy_client: Any) -> None:
    from zenpy.lib.api_objects import Comment, Ticket

    made = []
    for i in range(5):
        audit = zenpy_client.tickets.create(Ticket(subject=f"zenpy {i}", description=f"body {i}"))
        assert audit.ticket.id and audit.audit.ticket_id == audit.ticket.id  # the documented .ticket and .audit
        made.append(audit.ticket.id)
    ticket = zenpy_client.tickets(id=made[0])
    ticket.priority = "high"
    ticket.comment = Comment(body="an agent's note", public=False)
    updated = zenpy_client.tickets.update(ticket)
    assert updated.ticket.priority == "high"
    assert any(e.get("field_name") == "priority" for e in updated.audit.events)
    listed = [t.id for t in zenpy_client.tickets(cursor_pagination=2)]  # links.next followed, 2 at a time
    assert set(made) <= set(listed) and len(listed) == len(set(listed))
    comments = list(zenpy_client.tickets.comments(ticket=made[0]))
    assert [c.body for c in comments][-1] == "an agent's note" and comments[-1].public is False


def test_zenpy_show_many_update_many_job_status_and_tags(zenpy_client: Any) -> None:
    from zenpy.lib.api_objects import Ticket

    ids = [zenpy_client.tickets.create(Ticket(subject=f"bulk {i}", description="x")).ticket.id for i in range(3)]
    shown = {t.id: t for t in zenpy_client.tickets(ids=ids)}
    assert set(shown) == set(ids)
    for t in shown.values():
        t.status = "pending"
    job = zenpy_client.tickets.update(list(shown.values()))  # update_many with a list of tickets
    assert job.status == "completed" and {r.id for r in job.results} == set(ids)
    assert all(r.success for r in job.results)
    again = zenpy_client.job_status(id=job.id)
    assert again.id == job.id and again.total == 3
    assert {t.status for t in zenpy_client.tickets(ids=ids)} == {"pending"}
    assert sorted(zenpy_client.tickets.set_tags(ids[0], ["one", "two"])) == ["one", "two"]
    assert sorted(zenpy_client.tickets.add_tags(ids[0], ["three"])) == ["one", "three", "two"]
    assert sorted(zenpy_client.tickets.delete_tags(ids[0], ["one"])) == ["three", "two"]
    zenpy_client.disable_caching()  # zenpy keeps the tickets it read; read this one from the API
    assert sorted(zenpy_client.tickets(id=ids[0]).tags) == ["three", "two"]


def test_zdesk_reads_every_offset_page_and_bulk_updates(zdesk_client: Any) -> None:
    made = [_made(zdesk_client, f"zdesk {i}") for i in range(5)]
    everything = zdesk_client.tickets_list(get_all_pages=True, per_page=2)  # follows next_page to the end
    ids = [t["id"] for t in everything["tickets"]]
    assert set(made) <= set(ids) and len(ids) == len(set(ids))
    shown = zdesk_client.tickets_show_many(ids=made[:2])
    assert sorted(t["id"] for t in shown["tickets"]) == sorted(made[:2])
    job = zdesk_client.tickets_update_many(data={"ticket": {"priority": "urgent"}}, ids=made[:3])["job_status"]
    assert job["status"] == "completed"
    status = zdesk_client.job_status_show(job["id"])["job_status"]
    assert [r["id"] for r in status["results"]] == made[:3] and all(r["success"] for r in status["results"])
    assert {zdesk_client.ticket_show(n)["ticket"]["priority"] for n in made[:3]} == {"urgent"}
    created = zdesk_client.tickets_create_many(data={"tickets": [{"subject": "m", "comment": {"body": "m"}}]})
    new_id = created["job_status"]["results"][0]["id"]
    zdesk_client.ticket_tags_update(new_id, data={"tags": ["vip"]})
    assert zdesk_client.ticket_tags(new_id)["tags"] == ["vip"]
    zdesk_client.ticket_tags_delete(new_id, tags="vip")
    assert zdesk_client.ticket_tags(new_id)["tags"] == []


def test_zenpy_deletes_lists_restores_and_purges(zenpy_client: Any) -> None:
    from zenpy.lib.api_objects import Ticket

    ids = [zenpy_client.tickets.create(Ticket(subject=f"del {i}", description="x")).ticket.id for i in range(2)]
    zenpy_client.disable_caching()
    tickets = [zenpy_client.tickets(id=n) for n in ids]
    zenpy_client.tickets.delete(tickets[0])
    assert ids[0] in {t.id for t in zenpy_client.tickets.deleted()}
    assert ids[0] not in {t.id for t in zenpy_client.tickets()}
    zenpy_client.tickets.restore(ids[0])
    assert zenpy_client.tickets(id=ids[0]).subject == "del 0"
    zenpy_client.tickets.delete(tickets[1])
    job = zenpy_client.tickets.permanently_delete(tickets[1])
    assert job.status == "completed"
    assert ids[1] not in {t.id for t in zenpy_client.tickets.deleted()}


def test_zdesk_deletes_many_and_restores(zdesk_client: Any) -> None:
    made = [_made(zdesk_client, f"zdesk del {i}") for i in range(2)]
    job = zdesk_client.tickets_destroy_many(ids=",".join(map(str, made)))["job_status"]
    assert all(r["success"] for r in job["results"])
    deleted = zdesk_client.deleted_tickets_list(get_all_pages=True)["deleted_tickets"]
    assert set(made) <= {d["id"] for d in deleted}
    zdesk_client.deleted_ticket_restore_update(made[0], data=None)
    assert zdesk_client.ticket_show(made[0])["ticket"]["id"] == made[0]


def test_attachments_download_byte_for_byte_from_the_emulated_s3(zenpy_client: Any, tmp_path: Any) -> None:
    """zenpy uploads a file and attaches it; the comment's content_url, followed with the API's credentials,
    redirects to a signed URL the local stack's S3 serves with the very bytes."""
    import requests
    from zenpy.lib.api_objects import Comment, Ticket

    data = bytes(range(256)) * 64 + "é fin".encode()
    path = tmp_path / "report.bin"
    path.write_bytes(data)
    upload = zenpy_client.attachments.upload(str(path), target_name="report.bin",
                                             content_type="application/octet-stream")
    made = zenpy_client.tickets.create(Ticket(subject="with a file",
                                              comment=Comment(body="attached", uploads=[upload.token])))
    zenpy_client.disable_caching()
    [comment] = list(zenpy_client.tickets.comments(ticket=made.ticket.id))
    [attachment] = comment.attachments
    assert attachment.file_name == "report.bin" and attachment.size == len(data)
    assert zenpy_client.attachments(id=attachment.id).content_url == attachment.content_url
    session = requests.Session()
    session.auth = (f"{ADMIN_EMAIL}/token", ADMIN_TOKEN)
    answer = session.get(attachment.content_url, allow_redirects=False, timeout=30)
    assert answer.status_code == 302
    downloaded = requests.get(answer.headers["Location"], timeout=30)  # the signed URL needs no credentials
    assert downloaded.status_code == 200 and downloaded.content == data
    followed = session.get(attachment.content_url, timeout=30)  # as a script does: the redirect followed
    assert followed.status_code == 200 and followed.content == data
    unauthorised = requests.get(attachment.content_url, allow_redirects=False, timeout=30)
    assert unauthorised.status_code == 401


def test_both_clients_wait_out_a_429_and_retry(stack: LocalStackProcess, zenpy_client: Any,
                                               zdesk_client: Any) -> None:
    """Past the account's limit both clients read Retry-After, wait, and succeed in the next minute."""
    import threading
    import time

    from zdesk import RateLimitError

    stack.admin("PUT", "/api/v2/account/settings.json", {"settings": {"api": {"rate_limit": 3}}})
    try:
        while time.time() % 60 < 45:  # exhaust the minute near its end, so the wait is seconds, not a minute
            time.sleep(1)
        while stack.call("GET", "/api/v2/users/me.json", auth=basic_auth()).status != 429:
            pass
        zdesk_client.retry_on = [RateLimitError]
        zdesk_client.max_retries = 2
        answers: dict[str, Any] = {}
        threads = [
            threading.Thread(target=lambda: answers.update(zenpy=zenpy_client.users.me().email)),
            threading.Thread(target=lambda: answers.update(zdesk=zdesk_client.user_show("me")["user"]["email"])),
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert answers == {"zenpy": ADMIN_EMAIL, "zdesk": ADMIN_EMAIL}
        assert time.monotonic() - started >= 1  # they waited for the next minute
    finally:
        stack.admin("PUT", "/api/v2/account/settings.json", {"settings": {"api": {"rate_limit": None}}})


def basic_auth() -> str:
    from tests.e2e.local_stack import basic

    return basic(ADMIN_EMAIL, ADMIN_TOKEN)


def test_zenpy_merges_tickets(zenpy_client: Any) -> None:
    from zenpy.lib.api_objects import Ticket

    target, *sources = [zenpy_client.tickets.create(Ticket(subject=f"merge {i}", description="x")).ticket.id
                        for i in range(3)]
    job = zenpy_client.tickets.merge(target, sources, target_comment="merged here", source_comment="moved")
    assert job.status == "completed"
    zenpy_client.disable_caching()
    assert {zenpy_client.tickets(id=n).status for n in sources} == {"closed"}
    assert [c.body for c in zenpy_client.tickets.comments(ticket=target)][-1] == "merged here"
