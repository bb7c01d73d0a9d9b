"""`helpdesk local --demo`: replay the sample events of events/ through the local stack's HTTP API and report
what happened (tickets, threading, triggers, SLA breaches, surveys, ratings, mails, messages in and out on the
messaging channels)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from helpdesk.domain.clock import parse_iso
from helpdesk.local.runtime import LocalRuntime

EMAILS = ("email_order_refund.eml", "email_password_reset.eml", "email_invoice_question.eml")
REPLY = "email_reply_order_refund.eml"
MESSAGING_CHANNELS = ("whatsapp", "facebook", "instagram_dm", "sms", "web_widget")
TRIGGERS = ("api_trigger_refund_priority.json", "api_trigger_acknowledge.json", "api_trigger_bad_rating.json")


class DemoFailed(RuntimeError):
    pass


class Client:
    def __init__(self, runtime: LocalRuntime) -> None:
        self.base = runtime.api_url
        credentials = f"{runtime.admin_email}/token:{runtime.admin_token}".encode()
        self._auth = "Basic " + base64.b64encode(credentials).decode()

    def call(self, method: str, path: str, body: bytes | None = None, content_type: str = "application/json",
             auth: bool = True) -> tuple[int, bytes]:
        request = urllib.request.Request(self.base + path, data=body, method=method)
        if body is not None:
            request.add_header("Content-Type", content_type)
        if auth:
            request.add_header("Authorization", self._auth)
        try:
            with urllib.request.urlopen(request, timeout=600) as response:
                return int(response.status), response.read()
        except urllib.error.HTTPError as error:
            return int(error.code), error.read()

    def json(self, method: str, path: str, payload: Any = None, expect: int = 200) -> Any:
        body = None if payload is None else json.dumps(payload).encode()
        status, data = self.call(method, path, body)
        if status != expect:
            raise DemoFailed(f"{method} {path} answered {status}: {data[:300]!r}")
        return json.loads(data)


def _events(runtime: LocalRuntime, detail_type: str) -> list[Mapping[str, Any]]:
    return [e["detail"] for e in runtime.observed.events if e.get("detail-type") == detail_type]


def run_demo(runtime: LocalRuntime, progress: Callable[[str], None] = lambda line: None) -> dict[str, Any]:
    """Play the demo's steps through the HTTP API, telling ``progress`` about each as it is played."""
    events_dir = runtime.root / "events"
    api = Client(runtime)
    steps = 11
    started = time.monotonic()

    def progress_line(line: str) -> None:
        nonlocal started
        progress(f"{line} ({time.monotonic() - started:.1f} s)")
        started = time.monotonic()

    for name in TRIGGERS:
        api.json("POST", "/api/v2/triggers.json", json.loads((events_dir / name).read_text()), expect=201)
    api.json("POST", "/api/v2/slas/policies.json", json.loads((events_dir / "api_sla_policy.json").read_text()),
             expect=201)
    progress_line(f"[1/{steps}] {len(TRIGGERS)} triggers and an SLA policy created through the API")
    for index, name in enumerate((*EMAILS, REPLY), start=2):
        status, data = api.call("POST", "/inbound/email/raw", (events_dir / name).read_bytes(), "message/rfc822")
        if status != 202:
            raise DemoFailed(f"inbound {name} answered {status}: {data[:300]!r}")
        runtime.dispatcher.drain()
        what = "a reply to the first mail" if name == REPLY else "a customer's mail"
        progress_line(f"[{index}/{steps}] {what} posted to /inbound/email/raw ({name}) and handled")
    first = _ticket_for_subject(api, "Refund for order #1234")
    api.json("PUT", f"/api/v2/tickets/{first}.json", json.loads((events_dir / "api_agent_reply.json").read_text()))
    runtime.dispatcher.drain()
    api.json("PUT", f"/api/v2/tickets/{first}", json.loads((events_dir / "api_solve.json").read_text()))
    runtime.dispatcher.drain()
    progress_line(f"[6/{steps}] an agent replied to ticket #{first} by the API, then solved it")
    chat = _whatsapp(api, runtime, events_dir, "whatsapp_messages.json")
    progress_line(f"[7/{steps}] two WhatsApp messages of a new contact posted, signed, to /inbound/whatsapp: "
                  f"ticket #{chat}")
    api.json("PUT", f"/api/v2/tickets/{chat}.json",
             json.loads((events_dir / "api_agent_reply_whatsapp.json").read_text()))
    runtime.dispatcher.drain()
    _whatsapp_read(api, runtime, events_dir, chat)
    progress_line(f"[8/{steps}] an agent replied to ticket #{chat} by the API: sent on WhatsApp, then read")
    web = _web_chat(api, runtime, events_dir)
    progress_line(f"[9/{steps}] a web chat visitor wrote from the widget (/chat/messages): ticket #{web}; an agent "
                  "replied by the API, and the visitor's next poll showed it")
    api.json("POST", "/_local/clock/advance", {"minutes": 75})
    progress_line(f"[10/{steps}] clock advanced 75 minutes: the SLA sweep ran every minute on the way")
    delay = int(runtime.stack.env.get("SURVEY_DELAY_MINUTES", "1440"))
    api.json("POST", "/_local/clock/advance", {"minutes": delay + 10})
    _rate(api, runtime, json.loads((events_dir / "survey_rating_bad.json").read_text()))
    runtime.dispatcher.drain()
    progress_line(f"[11/{steps}] clock advanced {delay + 10} minutes: the survey was sent, and rated on its page")
    return summarise(api, runtime)


def _post_meta(api: Client, runtime: LocalRuntime, path: str, raw: bytes) -> Any:
    """Post a webhook body as Meta does: signed over its raw bytes with the app secret."""
    secret = runtime.messaging_secrets["meta_app_secret"].encode()
    signature = "sha256=" + hmac.new(secret, raw, hashlib.sha256).hexdigest()
    request = urllib.request.Request(api.base + path, data=raw, method="POST", headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": signature})
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise DemoFailed(f"POST {path} answered {error.code}: {error.read()[:300]!r}") from error


def _fill(template: str, **values: str) -> bytes:
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template.encode()


def _whatsapp(api: Client, runtime: LocalRuntime, events_dir: Path, name: str) -> int:
    now = str(int(runtime.clock.now().timestamp()))
    _post_meta(api, runtime, "/inbound/whatsapp", _fill((events_dir / name).read_text(), now=now))
    runtime.dispatcher.drain()
    for ticket in api.json("GET", "/api/v2/tickets.json")["tickets"]:
        if ticket["via"]["channel"] == "whatsapp":
            return int(ticket["id"])
    raise DemoFailed("the WhatsApp messages made no ticket")


def _whatsapp_read(api: Client, runtime: LocalRuntime, events_dir: Path, ticket_id: int) -> None:
    """The customer's phone reports the reply delivered, then read (statuses keyed by the id WhatsApp gave it)."""
    comments = api.json("GET", f"/api/v2/tickets/{ticket_id}/comments.json")["comments"]
    sent = [c for c in comments if ((c.get("metadata") or {}).get("delivery") or {}).get("provider_id")]
    if not sent:
        raise DemoFailed(f"the agent's reply on ticket #{ticket_id} was not sent on WhatsApp")
    reply = sent[-1]
    now = str(int(runtime.clock.now().timestamp()))
    _post_meta(api, runtime, "/inbound/whatsapp", _fill(
        (events_dir / "whatsapp_status_read.json").read_text(), now=now,
        wamid=reply["metadata"]["delivery"]["provider_id"], correlation=f"t{ticket_id}c{reply['id']}"))
    runtime.dispatcher.drain()


def _visitor_call(api: Client, method: str, path: str, token: str | None, body: Any = None) -> Any:
    """The widget's own calls: no agent credentials, the visitor's signed token in its header."""
    request = urllib.request.Request(api.base + path, method=method,
                                     data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("X-Visitor-Token", token)
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise DemoFailed(f"{method} {path} answered {error.code}: {error.read()[:300]!r}") from error


def _web_chat(api: Client, runtime: LocalRuntime, events_dir: Path) -> int:
    sample = json.loads((events_dir / "webchat_message.json").read_text())
    token = str(_visitor_call(api, "POST", "/chat/visitors", None, sample["visitor"])["token"])
    _visitor_call(api, "POST", "/chat/messages", token, sample["message"])
    runtime.dispatcher.drain()
    ticket = _visitor_call(api, "GET", "/chat/messages", token)["ticket_id"]
    if ticket is None:
        raise DemoFailed("the web chat message made no ticket")
    api.json("PUT", f"/api/v2/tickets/{ticket}.json",
             json.loads((events_dir / "api_agent_reply_webchat.json").read_text()))
    runtime.dispatcher.drain()
    seen = _visitor_call(api, "GET", "/chat/messages", token)["messages"]
    if not any(m["from"] == "agent" for m in seen):
        raise DemoFailed(f"the agent's reply on ticket #{ticket} did not reach the visitor's widget")
    return int(ticket)


def _ticket_for_subject(api: Client, subject: str) -> int:
    listing = api.json("GET", "/api/v2/tickets.json")
    for ticket in listing["tickets"]:
        if ticket["subject"] == subject:
            return int(ticket["id"])
    raise DemoFailed(f"no ticket with subject {subject!r}")


def _rate(api: Client, runtime: LocalRuntime, rating: Mapping[str, str]) -> None:
    survey = next((p for p in runtime.observed.mails if "How-would-you-rate" in p.name), None)
    if survey is None:
        raise DemoFailed("no survey mail was sent")
    link = re.search(r"/surveys/([A-Za-z0-9_.=-]+)", survey.read_text().replace("=\n", ""))
    if link is None:
        raise DemoFailed(f"the survey mail {survey.name} holds no link")
    path = f"/surveys/{link.group(1)}"
    status, page = api.call("GET", path, auth=False)
    if status != 200 or b"How did we do?" not in page:
        raise DemoFailed(f"the survey page answered {status}")
    form = f"score={rating['score']}&comment={urllib.parse.quote_plus(rating['comment'])}".encode()
    status, page = api.call("POST", path, form, "application/x-www-form-urlencoded", auth=False)
    if status != 200:
        raise DemoFailed(f"the rating answered {status}: {page[:200]!r}")


def summarise(api: Client, runtime: LocalRuntime) -> dict[str, Any]:
    tickets = api.json("GET", "/api/v2/tickets.json")["tickets"]
    threaded = [e for e in _events(runtime, "TicketUpdated")
                if e.get("via") == "email" and (e.get("comment") or {}).get("via") == "email"]
    fired = [t for e in _events(runtime, "TriggersFired") for t in e.get("fired", [])]
    titles = {t["id"]: t["title"] for t in api.json("GET", "/api/v2/triggers.json")["triggers"]}
    breaches = []
    for e in _events(runtime, "SlaBreached"):
        due, at = parse_iso(e["due_at"]), parse_iso(e["breached_at"])
        late = (at - due).total_seconds() if due and at else None
        breaches.append({"ticket_id": e["ticket_id"], "metric": e["metric"], "due_at": e["due_at"],
                         "breached_at": e["breached_at"], "seconds_after_due": late})
    channels: dict[str, int] = {}
    for t in tickets:
        channels[t["via"]["channel"]] = channels.get(t["via"]["channel"], 0) + 1
    sent = runtime.providers.sent() if runtime.providers is not None else []
    return {
        "tickets": [{"id": t["id"], "subject": t["subject"], "status": t["status"], "priority": t["priority"],
                     "tags": t["tags"], "satisfaction": t["satisfaction_rating"]["score"]}
                    for t in sorted(tickets, key=lambda t: t["id"])],
        "threaded_replies": [{"ticket_id": e["ticket_id"], "comment_id": e["comment"]["id"]} for e in threaded],
        "triggers_fired": [{"trigger_id": t, "title": titles.get(t, "?")} for t in fired],
        "sla_breaches": breaches,
        "surveys_sent": [{"ticket_id": e["ticket_id"], "recipient": e["recipient"]}
                         for e in _events(runtime, "SurveySent")],
        "ratings": [{"ticket_id": e["ticket_id"], "score": e["score"], "comment": e["comment"]}
                    for e in _events(runtime, "SatisfactionRated")],
        "emails_sent": [str(p.relative_to(runtime.outbox.parent)) if p.is_relative_to(runtime.outbox.parent)
                        else str(p) for p in runtime.observed.mails],
        "outbox": str(runtime.outbox),
        "messages_in": _messages_in(runtime),
        "messages_out": [{"provider": c.provider, "path": c.path} for c in sent] + [  # shown in the visitor's widget
            {"provider": "web_widget", "path": "/chat/messages"} for e in _events(runtime, "ReplyPosted")
            if e.get("channel") == "web_widget"],
        "channels": dict(sorted(channels.items())),
        "failures": list(runtime.dispatcher.failures),
    }


def _messages_in(runtime: LocalRuntime) -> int:
    """Comments made from messages people sent on a messaging channel (the events the ingest published)."""
    return sum(1 for kind in ("TicketCreated", "TicketUpdated") for e in _events(runtime, kind)
               if (e.get("comment") or {}).get("via") in MESSAGING_CHANNELS)


def check(summary: Mapping[str, Any]) -> list[str]:
    """What the demo must show; an empty list means it did."""
    problems = []
    if len(summary["tickets"]) < 3:
        problems.append("fewer than 3 tickets")
    if not summary["threaded_replies"]:
        problems.append("no reply threaded into an existing ticket")
    if not summary["triggers_fired"]:
        problems.append("no trigger fired")
    if not any(b["seconds_after_due"] is not None and 0 <= b["seconds_after_due"] <= 60
               for b in summary["sla_breaches"]):
        problems.append("no SLA breach recorded within a minute of its due time")
    if not summary["surveys_sent"] or not summary["ratings"]:
        problems.append("no survey sent and rated")
    if not summary["emails_sent"]:
        problems.append("no mail sent")
    if summary["messages_in"] < 2 or not summary["messages_out"] or not summary["channels"].get("whatsapp"):
        problems.append("no WhatsApp conversation in and out")
    if not summary["channels"].get("web_widget"):
        problems.append("no web chat conversation")
    return problems


def table(summary: Mapping[str, Any]) -> str:
    lines = ["Tickets", f"  {'id':>3}  {'status':<8} {'priority':<8} {'satisfaction':<12} subject / tags"]
    for t in summary["tickets"]:
        lines.append(f"  {t['id']:>3}  {t['status']:<8} {t['priority'] or '-':<8} {t['satisfaction']:<12} "
                     f"{t['subject']}  [{', '.join(t['tags'])}]")
    lines.append(f"Threaded replies: {len(summary['threaded_replies'])}  "
                 + ", ".join(f"ticket {r['ticket_id']} comment {r['comment_id']}" for r in summary["threaded_replies"]))
    lines.append(f"Triggers fired: {len(summary['triggers_fired'])}")
    lines += [f"  - {t['title']}" for t in summary["triggers_fired"]]
    lines.append(f"SLA breaches: {len(summary['sla_breaches'])}")
    lines += [f"  - ticket {b['ticket_id']} {b['metric']}: due {b['due_at']}, recorded {b['breached_at']} "
              f"({b['seconds_after_due']:.0f}s after due)" for b in summary["sla_breaches"]]
    lines.append(f"Surveys sent: {len(summary['surveys_sent'])}   Ratings: "
                 + ", ".join(f"ticket {r['ticket_id']} {r['score']}" for r in summary["ratings"]))
    lines.append(f"Emails sent: {len(summary['emails_sent'])} (as .eml in {summary['outbox']})")
    lines += [f"  - {Path(m).name}" for m in summary["emails_sent"]]
    lines.append(f"Messages in: {summary['messages_in']}   Messages out: {len(summary['messages_out'])} "
                 f"(provider calls as .json in the outbox)   Tickets per channel: "
                 + ", ".join(f"{channel} {count}" for channel, count in summary["channels"].items()))
    if summary["failures"]:
        lines.append("Failures:")
        lines += [f"  ! {f}" for f in summary["failures"]]
    return "\n".join(lines)
