"""The API on 127.0.0.1: API Gateway's proxy events built by Chalice's local gateway, plus two local-only pages
(absent in deployments: they are not routes of the app): ``POST /_local/clock/advance`` and ``GET /chat/demo``, a
page standing for a customer's website, with the web chat widget embedded by its one script tag.

Requests are served from a thread each, so the app's ``current_request`` is kept per thread (as Chalice's own
local server does): each view sees only its own request, as each Lambda invocation does. The access log goes to
the ``local-api`` logger (the log file), not the terminal.
"""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path
from typing import Any

from chalice.config import Config
from chalice.local import ChaliceRequestHandler, LocalChalice, ThreadedHTTPServer

from helpdesk.local.dispatcher import Dispatcher, load_handler
from helpdesk.local.provision import LocalStack

MAX_ADVANCE_MINUTES = 60 * 24 * 60
CHAT_DEMO_PATH = "/chat/demo"
DEMO_WIDGET = "demo"  # the local stack creates the widget's channel account on its first visitor


def chat_demo_page(api_url: str) -> str:
    from helpdesk.api.web_widget import asset

    return asset("demo.html").replace("{{SCRIPT_URL}}", f"{api_url}/chat/widget.js").replace("{{WIDGET}}",
                                                                                            DEMO_WIDGET)


class LocalRequestHandler(ChaliceRequestHandler):
    dispatcher: Dispatcher
    api_url: str

    def _generic_handle(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/_local/clock/advance" and self.command == "POST":
            self._advance()
        elif path == CHAT_DEMO_PATH and self.command in ("GET", "HEAD"):
            self._send_http_response(200, {"Content-Type": "text/html; charset=utf-8"}, chat_demo_page(self.api_url))
        elif path.startswith("/_local/"):
            self._reply(404, {"error": "NotFound", "description": f"no local endpoint {path}"})
        else:
            super()._generic_handle()

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

    def log_message(self, format: str, *args: Any) -> None:
        logging.getLogger("local-api").info("%s %s", self.address_string(), format % args)

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        self._send_http_response(status, {"Content-Type": "application/json"}, json.dumps(body))

    def _advance(self) -> None:
        _, body = self._parse_payload()
        try:
            minutes = json.loads(body or b"{}").get("minutes")
        except (ValueError, AttributeError, RecursionError):  # not JSON, not UTF-8, not an object, too deep
            minutes = None
        if not isinstance(minutes, int | float) or isinstance(minutes, bool) or not (
                0 < minutes <= MAX_ADVANCE_MINUTES):
            self._reply(400, {"error": "InvalidInput",
                              "description": f'send {{"minutes": N}} with 0 < N <= {MAX_ADVANCE_MINUTES}'})
            return
        now = self.dispatcher.advance(float(minutes))
        self._reply(200, {"now": now.isoformat(), "advanced_minutes": minutes})


class LocalHTTPServer(ThreadedHTTPServer):
    request_queue_size = 128  # socketserver's default backlog of 5 resets the sixth of many simultaneous clients


def serve(root: Path, stack: LocalStack, dispatcher: Dispatcher, port: int) -> ThreadedHTTPServer:
    api = next(spec for spec in stack.functions.values() if spec.serves_api)
    app = load_handler(root, api)
    if not isinstance(app, LocalChalice):
        app.__class__ = type("ThreadLocalChalice", (LocalChalice, type(app)), {})
    config = Config.create(chalice_stage="local", app_name="helpdesk", lambda_timeout=30,
                           lambda_memory_size=512, function_name=api.logical_id)
    handler = type("BoundLocalRequestHandler", (LocalRequestHandler,),
                   {"dispatcher": dispatcher, "api_url": f"http://127.0.0.1:{port}"})
    return LocalHTTPServer(("127.0.0.1", port), functools.partial(handler, app_object=app, config=config))
