"""ApiFunction: the Chalice app object is the Lambda handler (Handler: app.app)."""

from helpdesk.api.app import app

__all__ = ["app"]
