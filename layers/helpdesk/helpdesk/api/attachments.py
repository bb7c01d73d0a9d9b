"""Attachments (Zendesk's ``/api/v2/attachments/{id}``) and their download: ``content_url`` is
``/api/v2/attachments/{id}/content``, which answers an authorised caller with a redirect to a short-lived signed
S3 URL of the file."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from helpdesk.api.errors import mapped
from helpdesk.api.requests import RequestContext, path_id

attachments = Blueprint(__name__)

_http = RequestContext(attachments)


@attachments.route("/api/v2/attachments/{attachment_id}", methods=["GET"])
@mapped
def show(attachment_id: str) -> Any:
    from helpdesk.services import attachments as service

    _http.caller()
    return {"attachment": service.show(_http.deps(), path_id(attachment_id, "attachment"))}


@attachments.route("/api/v2/attachments/{attachment_id}/content", methods=["GET"])
@mapped
def content(attachment_id: str) -> Any:
    from helpdesk.services import attachments as service

    _http.caller()
    link = service.download_link(_http.deps(), path_id(attachment_id, "attachment"))
    return Response(body="", status_code=302, headers={"Location": link, "Cache-Control": "no-store"})
