"""Views (Zendesk's /api/v2/views): manage them, list and count their tickets, preview unsaved conditions."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from helpdesk.api.errors import mapped
from helpdesk.api.requests import RequestContext, path_id

views_api = Blueprint(__name__)
_http = RequestContext(views_api)


def _params() -> dict[str, str]:
    return dict(_http.request().query_params or {})


@views_api.route("/api/v2/views.json", methods=["GET", "POST"])
@views_api.route("/api/v2/views", methods=["GET", "POST"])
@mapped
def collection() -> Any:
    from helpdesk.services import views as service

    caller = _http.caller()
    if _http.request().method == "POST":
        created = service.create_view(_http.deps(), _http.json(), caller)
        return Response(body={"view": created.to_api()}, status_code=201,
                        headers={"Location": f"/api/v2/views/{created.id}.json"})
    found = service.visible_views(_http.deps(), caller, _params().get("active"))
    return _http.listing("views", [v.to_api() for v in found])


@views_api.route("/api/v2/views/active.json", methods=["GET"])
@views_api.route("/api/v2/views/active", methods=["GET"])
@mapped
def active() -> Any:
    from helpdesk.services import views as service

    return _http.listing("views", [v.to_api() for v in service.visible_views(_http.deps(), _http.caller(), "true")])


@views_api.route("/api/v2/views/count_many.json", methods=["GET"])
@views_api.route("/api/v2/views/count_many", methods=["GET"])
@mapped
def count_many() -> Any:
    from helpdesk.services import views as service

    caller = _http.caller()
    return {"view_counts": service.count_many(_http.deps(), _params().get("ids"), caller)}


@views_api.route("/api/v2/views/preview.json", methods=["POST"])
@views_api.route("/api/v2/views/preview", methods=["POST"])
@mapped
def preview() -> Any:
    from helpdesk.services import views as service

    caller = _http.caller()
    return service.preview(_http.deps(), _http.json(), caller, _http.page_size())


@views_api.route("/api/v2/views/{view_id}", methods=["GET", "PUT", "DELETE"])
@mapped
def item(view_id: str) -> Any:
    from helpdesk.services import views as service

    caller = _http.caller()
    number = path_id(view_id, "view")
    method = _http.request().method
    if method == "PUT":
        return {"view": service.update_view(_http.deps(), number, _http.json(), caller).to_api()}
    if method == "DELETE":
        service.delete_view(_http.deps(), number, caller)
        return Response(body="", status_code=204)
    return {"view": service.get_view(_http.deps(), number, caller).to_api()}


@views_api.route("/api/v2/views/{view_id}/tickets.json", methods=["GET"])
@views_api.route("/api/v2/views/{view_id}/tickets", methods=["GET"])
@mapped
def tickets(view_id: str) -> Any:
    from helpdesk.services import views as service

    caller = _http.caller()
    deps = _http.deps()
    params = _params()
    size = _http.page_size()
    view = service.get_view(deps, path_id(view_id, "view"), caller)
    page = service.tickets_page(deps, view, caller, params, size)
    from helpdesk.api.pagination import public_base

    path = f"{public_base(deps, _http.request().headers)}/api/v2/views/{view.id}/tickets.json"
    if page.page is not None:
        return {"tickets": page.tickets, "count": page.count,
                "next_page": f"{path}?page={page.page + 1}&per_page={size}" if page.more else None,
                "previous_page": f"{path}?page={page.page - 1}&per_page={size}" if page.page > 1 else None}
    return {**_http.cursor_page("tickets", page.tickets, page.after), "count": page.count}


@views_api.route("/api/v2/views/{view_id}/count.json", methods=["GET"])
@views_api.route("/api/v2/views/{view_id}/count", methods=["GET"])
@mapped
def count(view_id: str) -> Any:
    from helpdesk.services import views as service

    caller = _http.caller()
    deps = _http.deps()
    return {"view_count": service.count_of(deps, service.get_view(deps, path_id(view_id, "view"), caller), caller)}
