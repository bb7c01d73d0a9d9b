"""Inbound mail webhooks: SendGrid Inbound Parse, Mailgun routes, Postmark, and raw RFC 822 mail.

Each provider's request is verified before anything is read or stored: a bad or missing credential is a 401,
a malformed body a 400 with the reason. A verified delivery is stored in S3 and queued for ticket creation.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from helpdesk.api.errors import mapped

inbound = Blueprint(__name__)
FORMS = ["multipart/form-data", "application/x-www-form-urlencoded"]


def _request() -> Any:
    request = inbound.current_request
    if request is None:  # pragma: no cover - Chalice sets it before calling a view
        raise RuntimeError("no current request")
    return request


def _body() -> bytes:
    raw = _request().raw_body or b""
    return raw if isinstance(raw, bytes) else str(raw).encode("utf-8", "surrogateescape")


def _accepted(delivery: Any) -> Response:
    from helpdesk.bootstrap import container
    from helpdesk.services.inbound_email import accept_delivery

    queued = accept_delivery(container(), delivery)
    return Response(body={"message_id": queued.message_id, "queued": queued.dropped is None,
                          "dropped": queued.dropped}, status_code=202)


@inbound.route("/inbound/sendgrid", methods=["POST"], content_types=FORMS)
@mapped
def sendgrid() -> Response:
    from helpdesk.bootstrap import container
    from helpdesk.channels.email.providers.sendgrid import sendgrid_delivery, verify_sendgrid

    request = _request()
    verify_sendgrid(request.headers.get("authorization"), container().inbound_credentials.basic("sendgrid"))
    return _accepted(sendgrid_delivery(_body(), request.headers.get("content-type", "")))


def _mailgun() -> Response:
    from helpdesk.bootstrap import container
    from helpdesk.channels.email.providers.mailgun import mailgun_delivery

    deps = container()
    key = deps.inbound_credentials.get().get("mailgun_signing_key", "")
    now = deps.clock.now().timestamp()
    return _accepted(mailgun_delivery(_body(), _request().headers.get("content-type", ""), key, now))


@inbound.route("/inbound/mailgun", methods=["POST"], content_types=FORMS)
@mapped
def mailgun() -> Response:
    return _mailgun()


@inbound.route("/inbound/mailgun/mime", methods=["POST"], content_types=FORMS)
@mapped
def mailgun_mime() -> Response:
    return _mailgun()


@inbound.route("/inbound/postmark", methods=["POST"], content_types=["application/json"])
@mapped
def postmark() -> Response:
    from helpdesk.bootstrap import container
    from helpdesk.channels.email.providers.postmark import postmark_delivery, verify_postmark

    verify_postmark(_request().headers.get("authorization"), container().inbound_credentials.basic("postmark"))
    return _accepted(postmark_delivery(_body()))
