"""The rules Blueprint (helpdesk.api.rules) on the app for one test, until app.py registers it itself.

Chalice cannot register a Blueprint twice, so the routes it adds are kept after the first registration and put
back (and taken away again) around each test; once app.py registers the Blueprint, this does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_added: dict[str, dict[str, Any]] = {}


@contextmanager
def rules_routes() -> Iterator[None]:
    from helpdesk.api.app import app
    from helpdesk.api.rules import rules

    if not _added and "/api/v2/webhooks" in app.routes:
        yield  # app.py registers the Blueprint
        return
    if not _added:
        before = {path: set(methods) for path, methods in app.routes.items()}
        app.register_blueprint(rules)
        for path, methods in app.routes.items():
            new = {m: e for m, e in methods.items() if m not in before.get(path, set())}
            if new:
                _added[path] = new
    else:
        for path, methods in _added.items():
            app.routes[path].update(methods)
    try:
        yield
    finally:
        for path, methods in _added.items():
            for method in methods:
                app.routes[path].pop(method, None)
            if not app.routes[path]:
                del app.routes[path]
