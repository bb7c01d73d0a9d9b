"""The web chat widget's endpoints: the embeddable script and its style, starting a visitor, a visitor's messages
(write, and poll for replies), and the survey's buttons, pressed as messages.

Any website embeds the widget with one tag, ``<script src="https://<api>/chat/widget.js" data-widget="<key>">``.
The visitor endpoints answer every origin (CORS ``*``, preflight included): the visitor's token travels in the
``X-Visitor-Token`` header, never a cookie, so a page of another site cannot act as the visitor and no credentials
mode is needed. A missing, forged, wrongly keyed or expired token is a 401 with the reason; an oversized message a
413; every other bad input a 4xx with its reason.

Polling, not a websocket: the API is API Gateway REST + Lambda (Chalice takes no HTTP API or WebSocket events), and
a WebSocket API would need its own connection table, a function per route and a push step in messaging_send for a
gain of a second or two. A poll every 3 seconds while the panel is open (15 when it is closed, none when the page
is hidden) costs two small reads and shows an agent's reply within the interval, which is what a chat asks
for; the replies are written to the ticket before anything is sent, so a poll sees them at once.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from chalice.app import Blueprint, CORSConfig, Response

from helpdesk.api.errors import mapped
from helpdesk.api.requests import RequestContext
from helpdesk.domain.clock import iso
from helpdesk.domain.errors import ContentTooLarge

widget = Blueprint(__name__)
_http = RequestContext(widget)
TOKEN_HEADER = "X-Visitor-Token"
CORS = CORSConfig(allow_origin="*", allow_headers=[TOKEN_HEADER], max_age=600)
MAX_BODY_BYTES = 64 * 1024  # a 4,096-character message, every character escaped, fits
ASSET_TYPES = {"widget.js": "application/javascript; charset=utf-8", "widget.css": "text/css; charset=utf-8"}


@functools.cache
def asset(name: str) -> str:
    """A file of the widget, shipped in the package (and so in the Lambda layer)."""
    return (resources.files("helpdesk.channels.messaging") / "web_widget_assets" / name).read_text("utf-8")


def _asset_response(name: str) -> Response:
    return Response(body=asset(name), status_code=200, headers={
        "Content-Type": ASSET_TYPES[name], "Cache-Control": "public, max-age=300",
        "Access-Control-Allow-Origin": "*", "Cross-Origin-Resource-Policy": "cross-origin",  # any site's page
        "X-Content-Type-Options": "nosniff"})


@widget.route("/chat/widget.js", methods=["GET"])
def widget_script() -> Response:
    return _asset_response("widget.js")


@widget.route("/chat/widget.css", methods=["GET"])
def widget_style() -> Response:
    return _asset_response("widget.css")


def _preflight(methods: str) -> Response:
    return Response(body="", status_code=204, headers={"Access-Control-Allow-Methods": methods})


def _body() -> tuple[dict[str, Any], bytes]:
    raw = _http.request().raw_body or b""
    data = raw if isinstance(raw, bytes) else str(raw).encode("utf-8", "surrogateescape")
    if len(data) > MAX_BODY_BYTES:
        raise ContentTooLarge(f"the body is {len(data)} bytes; at most {MAX_BODY_BYTES}")
    return _http.json(), data


def _token() -> str | None:
    value = _http.request().headers.get(TOKEN_HEADER.lower())
    return str(value) if value is not None else None


@widget.route("/chat/visitors", methods=["POST", "OPTIONS"], cors=CORS)
@mapped
def start_visitor() -> Any:
    from helpdesk.services.messaging import widget_poll, widget_visitors

    if _http.request().method == "OPTIONS":
        return _preflight("POST, OPTIONS")
    body, _ = _body()
    token, visitor = widget_visitors.start(_http.deps(), body.get("widget"), email=body.get("email"),
                                           name=body.get("name"), token=_token())
    return Response(body={"token": token, "visitor": {"id": visitor.id, "email": visitor.email,
                                                      "name": visitor.name},
                          "expires_at": iso(datetime.fromtimestamp(visitor.expires_at, UTC)),
                          "poll_ms": widget_poll.POLL_MILLISECONDS},
                    status_code=201)


@widget.route("/chat/messages", methods=["GET", "POST", "OPTIONS"], cors=CORS)
@mapped
def visitor_messages() -> Any:
    from helpdesk.services.messaging import widget_messages, widget_poll, widget_visitors

    request, deps = _http.request(), _http.deps()
    if request.method == "OPTIONS":
        return _preflight("GET, POST, OPTIONS")
    visitor = widget_visitors.authenticate(deps, _token())
    if request.method == "POST":
        body, raw = _body()
        client_id = widget_messages.post(deps, visitor, body, raw)
        return Response(body={"id": client_id, "queued": True}, status_code=202)
    query = request.query_params
    after = widget_poll.cursor(query.get("after") if query is not None else None)
    return widget_poll.poll(deps, visitor, after)
