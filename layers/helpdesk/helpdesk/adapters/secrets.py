"""Secrets Manager: the inbound webhooks' credentials and the survey signing secret."""

from __future__ import annotations

import json
from typing import Any

from helpdesk.ports import SecretSource


class InboundCredentials:
    """The inbound webhooks' credentials: a JSON secret, read on first use and cached for the container."""

    def __init__(self, client: Any, secret_id: str) -> None:
        self._client = client
        self._id = secret_id
        self._cached: dict[str, str] | None = None

    def get(self) -> dict[str, str]:
        if self._cached is None:
            document = json.loads(self._client.get_secret_value(SecretId=self._id)["SecretString"])
            self._cached = {str(k): str(v) for k, v in document.items()}
        return self._cached

    def basic(self, provider: str) -> str:
        """``user:password`` for a provider posting with HTTP Basic; empty when it is not configured."""
        values = self.get()
        user, password = values.get(f"{provider}_user", ""), values.get("basic_auth_password", "")
        return f"{user}:{password}" if user and password else ""


class SecretsManagerSecret(SecretSource):
    def __init__(self, client: Any, secret_id: str) -> None:
        self._client = client
        self._id = secret_id
        self._cached: bytes | None = None

    def survey_secret(self) -> bytes:
        if self._cached is None:
            self._cached = str(self._client.get_secret_value(SecretId=self._id)["SecretString"]).encode()
        return self._cached
