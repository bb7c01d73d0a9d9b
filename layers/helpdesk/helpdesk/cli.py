"""The `helpdesk` command: the local stack (and its demo)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO


def _local(args: argparse.Namespace) -> int:
    from helpdesk.local.runtime import find_root, start

    root = find_root()
    run = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    outbox = Path(args.outbox) if args.outbox else root / "outbox" / run
    console = sys.stderr  # the user's terminal, whatever the logs are pointed at
    log_path = None if args.verbose else Path(args.log) if args.log else root / ".local-stack" / f"{run}.log"
    log = _open_log(log_path)
    say = _Console(console, quiet=args.json)
    say(f"Starting the local stack (AWS emulation, {root / 'template.yaml'}) ...")
    runtime = start(root=root, port=args.port, outbox=outbox, log=log)
    try:
        if args.demo:
            return _demo(runtime, say, log_path, as_json=args.json)
        _banner(runtime, log_path)
        runtime.observed.on_mail.append(_survey_announcer(runtime.api_url))
        runtime._stop.wait()
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        runtime.stop()


class _Console:
    """Progress lines for the user (stderr, so that --json keeps stdout to the one JSON object)."""

    def __init__(self, stream: TextIO, *, quiet: bool = False) -> None:
        self._stream, self._quiet = stream, quiet

    def __call__(self, line: str) -> None:
        if not self._quiet:
            print(line, file=self._stream, flush=True)


def _open_log(path: Path | None) -> TextIO:
    """Everything the emulation, the API server and the functions log goes to the log file (the terminal keeps
    what the user asked for); with --verbose, to the terminal as before."""
    import logging

    if path is None:
        logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(name)s: %(message)s")
        return sys.stderr
    path.parent.mkdir(parents=True, exist_ok=True)
    log = path.open("a", encoding="utf-8", buffering=1)
    sys.stderr = log  # the functions' Powertools logger and the HTTP servers write to sys.stderr
    logging.basicConfig(stream=log, level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", force=True)
    return log


def _banner(runtime: object, log_path: Path | None) -> None:
    from helpdesk.local.runtime import LocalRuntime

    assert isinstance(runtime, LocalRuntime)
    url = runtime.api_url
    login = f"{runtime.admin_email}/token:{runtime.admin_token}"
    credentials = runtime.inbound_credentials()
    chosen = runtime.messaging_secrets  # from HELPDESK_META_APP_SECRET and friends, or generated for this run
    lines = [
        f"Help desk running on {url}",
        f"  admin      {runtime.admin_email}   token: {runtime.admin_token}",
        f"  try        curl -u '{login}' {url}/api/v2/tickets.json",
        f"  send mail  curl -u '{login}' -H 'Content-Type: message/rfc822' "
        f"--data-binary @events/email_order_refund.eml {url}/inbound/email/raw",
        f"  outbox     {runtime.outbox}   (every mail the product sends, as .eml)",
        f"  log        {log_path or 'this terminal (--verbose)'}",
        f"  pages      {url}/surveys/<token>   (a satisfaction page per solved ticket; each link is printed "
        "here when its survey mail is sent)",
        f"  webhooks   {url}/inbound/sendgrid (basic {credentials.basic('sendgrid')}), {url}/inbound/postmark "
        f"(basic {credentials.basic('postmark')}), {url}/inbound/mailgun (signing key in "
        f"{runtime.stack.env.get('INBOUND_SECRET_ARN', '?')})",
        f"  whatsapp   {url}/inbound/whatsapp, messenger {url}/inbound/messenger   (Meta app secret "
        f"{chosen.get('meta_app_secret', '?')}, verify token {chosen.get('meta_verify_token', '?')})",
        f"  twilio     {url}/inbound/twilio, {url}/inbound/twilio/status   (auth token "
        f"{chosen.get('twilio_auth_token', '?')}; replies go to fake providers, written into the outbox as .json)",
        f"  web chat   {url}/chat/demo   (a page with the chat widget; any site embeds it with "
        f"<script src=\"{url}/chat/widget.js\" data-widget=\"KEY\"></script>)",
        "  clock      curl -X POST -d '{\"minutes\": 60}' " + f"{url}/_local/clock/advance",
        "Ctrl-C stops it.",
    ]
    print("\n".join(lines), flush=True)


def _survey_announcer(api_url: str) -> Callable[[Path, Any], None]:
    import re

    link = re.compile(re.escape(api_url) + r"/surveys/[A-Za-z0-9_.=-]+")

    def announce(path: Path, message: Any) -> None:
        body = message.get_body(preferencelist=("plain",))
        found = link.search(body.get_content() if body is not None else "")
        if found:
            print(f"survey page for {message.get('To')}: {found.group(0)}", flush=True)

    return announce


def _demo(runtime: object, say: _Console, log_path: Path | None, *, as_json: bool) -> int:
    from helpdesk.local.demo import check, run_demo, table
    from helpdesk.local.runtime import LocalRuntime

    assert isinstance(runtime, LocalRuntime)
    say(f"Local stack on {runtime.api_url} (admin {runtime.admin_email}); log: {log_path or 'this terminal'}")
    try:
        summary = run_demo(runtime, progress=say)
    except Exception as error:  # the traceback goes to the log; the terminal gets one line that says where
        import logging

        logging.getLogger("helpdesk.demo").exception("the demo stopped")
        print(f"demo failed: {type(error).__name__}: {error} (the traceback is in {log_path or 'the output above'})",
              file=say._stream, flush=True)
        return 1
    problems = check(summary)
    summary["problems"] = problems
    print(json.dumps(summary, indent=2) if as_json else table(summary), flush=True)
    if problems:
        print("demo incomplete: " + "; ".join(problems), file=say._stream)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="helpdesk", description="A serverless help desk.")
    commands = parser.add_subparsers(dest="command", required=True)
    local = commands.add_parser("local", help="run the whole product on this machine (moto, no AWS account)")
    local.add_argument("--port", type=int, default=8000, help="API port on 127.0.0.1 (default 8000)")
    local.add_argument("--outbox", help="folder for the .eml files of mail sent (default ./outbox/<time>)")
    local.add_argument("--demo", action="store_true", help="replay events/ and print what happened")
    local.add_argument("--json", action="store_true", help="with --demo: print one JSON object")
    local.add_argument("--log", help="log file of the emulation, the API and the functions "
                                     "(default ./.local-stack/<time>.log)")
    local.add_argument("--verbose", action="store_true", help="show those logs in the terminal instead")
    local.set_defaults(run=_local)
    from helpdesk.email_cli import register as register_email

    register_email(commands)
    from helpdesk.rules_cli import register as register_rules

    register_rules(commands)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
