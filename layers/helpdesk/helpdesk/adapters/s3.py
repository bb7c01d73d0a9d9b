"""The S3 store of raw mail, attachments and large texts."""

from __future__ import annotations

from typing import Any

from helpdesk.ports import RawMailStore


class S3RawMailStore(RawMailStore):
    def __init__(self, s3_client: Any, bucket: str) -> None:
        self._client = s3_client
        self._bucket = bucket

    def put(self, key: str, data: bytes, content_type: str = "message/rfc822") -> str:
        self._client.put_object(Bucket=self._bucket, Key=key, Body=data, ContentType=content_type)
        return key

    def get(self, key: str) -> bytes:
        return bytes(self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read())

    def link(self, key: str, expires_seconds: int) -> str:
        return str(self._client.generate_presigned_url("get_object", Params={"Bucket": self._bucket, "Key": key},
                                                       ExpiresIn=expires_seconds))
