"""boto3 clients, created lazily on first use and cached per (service, region, endpoint)."""

from __future__ import annotations

import functools
from typing import Any


@functools.lru_cache(maxsize=32)
def client(service: str, region: str, endpoint_url: str | None = None) -> Any:
    import boto3

    session: Any = boto3.session.Session()
    return session.client(service, region_name=region, endpoint_url=endpoint_url)
