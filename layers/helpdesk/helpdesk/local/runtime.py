"""The local stack: the AWS emulation (moto's server, in a child process), the resources of template.yaml, the
API on 127.0.0.1, a dispatcher feeding every queue from its own thread and firing the schedules, an advanceable
clock, and an outbox folder holding every mail sent as .eml."""

from __future__ import annotations

import email
import json
import os
import re
import secrets
import threading
from dataclasses import dataclass, field
from email import policy
from pathlib import Path
from typing import IO, Any

from helpdesk.domain.clock import OffsetClock
from helpdesk.local.dispatcher import Dispatcher
from helpdesk.local.network import free_port as free_port
from helpdesk.local.provision import LocalStack, provision
from helpdesk.local.template import LOCAL_PARAMETERS, load_sam_template, translate_offline

REGION = "us-east-1"
TAP_QUEUE = "helpdesk-local-event-tap"


def find_root(start: Path | None = None) -> Path:
    """The checkout holding template.yaml: the working directory or the one this package was installed from."""
    candidates = [start or Path.cwd(), Path(__file__).resolve().parents[4]]
    for candidate in candidates:
        if (candidate / "template.yaml").is_file() and (candidate / "functions").is_dir():
            return candidate
    raise FileNotFoundError("run from the repository (template.yaml and functions/ not found)")


@dataclass
class Observed:
    """Every event published on the bus (a local-only tap rule), and every mail SES accepted."""

    events: list[dict[str, Any]] = field(default_factory=list)
    mails: list[Path] = field(default_factory=list)
    mails_seen: int = 0  # mails SES accepted so far, including any without raw data (not written out)
    on_mail: list[Any] = field(default_factory=list)  # callbacks (path, message) for each mail written


@dataclass
class LocalRuntime:
    root: Path
    port: int
    outbox: Path
    admin_email: str
    admin_token: str
    clock: OffsetClock
    stack: LocalStack
    dispatcher: Dispatcher
    observed: Observed
    _emulator: Any
    _http: Any
    _stop: threading.Event
    _threads: list[threading.Thread]
    providers: Any = None  # helpdesk.local.fake_providers.FakeProviders
    messaging_secrets: dict[str, str] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def inbound_credentials(self) -> Any:
        from helpdesk.bootstrap import container

        return container().inbound_credentials

    def stop(self) -> None:
        self._stop.set()
        self._http.shutdown()
        for thread in self._threads:
            thread.join(timeout=5)
        if self.providers is not None:
            self.providers.stop()
        self._emulator.stop()


def _tap(sqs: Any, events: Any, bus: str) -> str:
    url = str(sqs.create_queue(QueueName=TAP_QUEUE)["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="local-event-tap", EventBusName=bus, EventPattern=json.dumps({"source": ["helpdesk"]}))
    events.put_targets(Rule="local-event-tap", EventBusName=bus, Targets=[{"Id": "tap", "Arn": arn}])
    return url


def _collect_events(sqs: Any, url: str, observed: Observed) -> None:
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return
        for message in messages:
            observed.events.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _collect_mail(emulator: Any, outbox: Path, observed: Observed) -> None:
    for raw in emulator.sent_mail(observed.mails_seen):
        observed.mails_seen += 1
        if raw is None:
            continue
        message = email.message_from_string(raw, policy=policy.default)
        slug = re.sub(r"[^A-Za-z0-9]+", "-", str(message.get("Subject") or "mail")).strip("-")[:60]
        path = outbox / f"{observed.mails_seen:04d}-{slug}.eml"
        path.write_text(raw, encoding="utf-8")
        observed.mails.append(path)
        for callback in observed.on_mail:
            callback(path, message)


def start(*, root: Path, port: int = 8000, outbox: Path, log: IO[str], admin_email: str | None = None,
          admin_token: str | None = None, overrides: dict[str, str] | None = None) -> LocalRuntime:
    """Start everything; the emulation's request log goes to ``log`` (the API's and the functions' logs go to
    ``sys.stderr``, which the command line points at the same file unless asked to be verbose)."""
    from helpdesk.local.emulator import Emulator

    emulator = Emulator(free_port(), log, REGION)
    try:
        return _start(root, port, outbox, emulator, admin_email, admin_token, overrides)
    except BaseException:
        emulator.stop()
        raise


def _start(root: Path, port: int, outbox: Path, emulator: Any, admin_email: str | None, admin_token: str | None,
           overrides: dict[str, str] | None) -> LocalRuntime:
    import boto3
    from botocore.config import Config

    from helpdesk import bootstrap
    from helpdesk.local.fake_providers import FakeProviders
    from helpdesk.local.server import serve
    from helpdesk.services.auth import create_admin

    providers = FakeProviders(folder=outbox).start()
    emulator.wait_ready()
    endpoint = emulator.endpoint
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
                       "AWS_ENDPOINT_URL": endpoint, "POWERTOOLS_METRICS_DISABLED": "true",
                       # writers that lose an optimistic-locking race retry for up to 20 s in AWS; the emulation,
                       # one request at a time and an order of magnitude slower, gets proportionally longer
                       "RETRY_BUDGET_SECONDS": os.environ.get("RETRY_BUDGET_SECONDS", "120")})
    overrides = {**LOCAL_PARAMETERS, "WhatsAppApiBase": f"{providers.url}/v21.0",
                 "MessengerApiBase": f"{providers.url}/v21.0", "TwilioApiBase": providers.url,
                 "MessagingAutoAccounts": "true", **(overrides or {})}
    template = translate_offline(load_sam_template(root / "template.yaml"), overrides, region=REGION)
    stack = provision(template, endpoint_url=endpoint, parameter_overrides=overrides, region=REGION)
    os.environ.update(stack.env)
    os.environ["PUBLIC_API_URL"] = f"http://127.0.0.1:{port}"
    clock = OffsetClock()
    bootstrap.set_clock(clock)
    bootstrap.reset()
    session = boto3.Session(region_name=REGION)
    sqs = session.client("sqs", endpoint_url=endpoint,  # a worker per queue long-polls at once
                         config=Config(max_pool_connections=32))
    tap_url = _tap(sqs, session.client("events", endpoint_url=endpoint), stack.env["EVENT_BUS_NAME"])
    outbox.mkdir(parents=True, exist_ok=True)
    observed = Observed()
    dispatcher = Dispatcher(root, stack, sqs, clock, REGION)
    dispatcher.backlog = emulator.backlog
    dispatcher.observers.append(lambda: _collect_events(sqs, tap_url, observed))
    dispatcher.observers.append(lambda: _collect_mail(emulator, outbox, observed))
    email = admin_email or os.environ.get("HELPDESK_ADMIN_EMAIL") or "admin@example.com"
    token = admin_token or os.environ.get("HELPDESK_ADMIN_TOKEN") or secrets.token_urlsafe(24)
    create_admin(bootstrap.container(), email, "Admin", token)
    messaging_secrets = _messaging_secrets(session.client("secretsmanager", endpoint_url=endpoint), stack)
    from helpdesk.adapters.dynamo.models import open_connections

    open_connections()  # before any thread uses them
    stop = threading.Event()
    http = serve(root, stack, dispatcher, port)
    api = threading.Thread(target=http.serve_forever, name="local-api", daemon=True)
    api.start()
    threads = [api, *dispatcher.start(stop)]
    return LocalRuntime(root, port, outbox, email, token, clock, stack, dispatcher, observed, emulator, http,
                        stop, threads, providers, messaging_secrets)


MESSAGING_ENV = {"meta_app_secret": "HELPDESK_META_APP_SECRET", "meta_verify_token": "HELPDESK_META_VERIFY_TOKEN",
                 "twilio_auth_token": "HELPDESK_TWILIO_AUTH_TOKEN", "web_widget_secret": "HELPDESK_WEB_WIDGET_SECRET"}


def _messaging_secrets(manager: Any, stack: LocalStack) -> dict[str, str]:
    """The messaging webhooks' secrets: from HELPDESK_META_APP_SECRET, HELPDESK_META_VERIFY_TOKEN,
    HELPDESK_TWILIO_AUTH_TOKEN and HELPDESK_WEB_WIDGET_SECRET (the web chat visitors' tokens) when set, else
    generated (printed at start); and outbound tokens the fake providers take."""
    arn = stack.resources["InboundProviderSecret"]
    document = json.loads(manager.get_secret_value(SecretId=arn)["SecretString"])
    chosen = {key: os.environ.get(name) or secrets.token_hex(16) for key, name in MESSAGING_ENV.items()}
    manager.put_secret_value(SecretId=arn, SecretString=json.dumps({**document, **chosen}))
    outbound = stack.resources.get("MessagingProviderSecret")
    if outbound:
        manager.put_secret_value(SecretId=outbound, SecretString=json.dumps(
            {"whatsapp_token": "local-whatsapp-token", "page_token": "local-page-token",
             "twilio_auth_token": chosen["twilio_auth_token"]}))
    return chosen
