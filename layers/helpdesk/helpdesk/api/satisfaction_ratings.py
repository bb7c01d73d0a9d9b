"""Satisfaction ratings (Zendesk's /api/v2/satisfaction_ratings), read-only."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from helpdesk.api.errors import mapped
from helpdesk.api.requests import RequestContext, path_id

satisfaction_ratings_api = Blueprint(__name__)
_http = RequestContext(satisfaction_ratings_api)
PATH = "/api/v2/satisfaction_ratings.json"


@satisfaction_ratings_api.route("/api/v2/satisfaction_ratings.json", methods=["GET"])
@satisfaction_ratings_api.route("/api/v2/satisfaction_ratings", methods=["GET"])
@mapped
def collection() -> Any:
    from helpdesk.services import satisfaction_ratings as service

    _http.caller()
    params = dict(_http.request().query_params or {})
    items, after = service.list_ratings(_http.deps(), params, _http.page_size())
    return _http.cursor_page("satisfaction_ratings", items, after)


@satisfaction_ratings_api.route("/api/v2/satisfaction_ratings/{rating_id}", methods=["GET"])
@mapped
def item(rating_id: str) -> Any:
    from helpdesk.services import satisfaction_ratings as service

    _http.caller()
    return {"satisfaction_rating": service.rating(_http.deps(), path_id(rating_id, "satisfaction rating"))}
