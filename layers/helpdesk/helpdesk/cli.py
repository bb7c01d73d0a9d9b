"""The `helpdesk` command: the local stack (and its demo)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path


def _local(args: argparse.Namespace) -> int:
    from helpdesk.local.runtime import find_root, start

    root = find_root()
    run = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    outbox = Path(args.outbox) if args.outbox else root / "outbox" / run
    runtime = start(root=root, port=args.port, outbox=outbox)
    try:
        if args.demo:
            return _demo(runtime, as_json=args.json)
        print(f"Help desk running on {runtime.api_url}", flush=True)
        print(f"  admin: {runtime.admin_email}  token: {runtime.admin_token}")
        login = f"{runtime.admin_email}/token:{runtime.admin_token}"
        print(f"  try:   curl -u '{login}' {runtime.api_url}/api/v2/tickets.json")
        print(f"  mail sent by the product is written to {outbox}")
        credentials = runtime.inbound_credentials()
        print(f"  inbound webhooks: {runtime.api_url}/inbound/sendgrid (basic {credentials.basic('sendgrid')}), "
              f"/inbound/postmark (basic {credentials.basic('postmark')}), /inbound/mailgun (signing key in "
              f"the secret {runtime.stack.env.get('INBOUND_SECRET_ARN', '?')})")
        print("  advance the clock: curl -X POST -d '{\"minutes\": 60}' " + f"{runtime.api_url}/_local/clock/advance")
        print("Ctrl-C stops it.", flush=True)
        runtime._stop.wait()
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        runtime.stop()


def _demo(runtime: object, *, as_json: bool) -> int:
    from helpdesk.local.demo import check, run_demo, table
    from helpdesk.local.runtime import LocalRuntime

    assert isinstance(runtime, LocalRuntime)
    if not as_json:
        print(f"Local stack on {runtime.api_url} (admin {runtime.admin_email}); replaying events/ ...", flush=True)
    summary = run_demo(runtime)
    problems = check(summary)
    summary["problems"] = problems
    print(json.dumps(summary, indent=2) if as_json else table(summary))
    if problems:
        print("demo incomplete: " + "; ".join(problems), file=sys.stderr)
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
    local.set_defaults(run=_local)
    from helpdesk.email_cli import register as register_email

    register_email(commands)
    from helpdesk.rules_cli import register as register_rules

    register_rules(commands)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
