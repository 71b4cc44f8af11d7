"""Object storage behind one small interface: S3 for real, a dict for fast tests.

The rest of picset only ever sees `Storage`; the boto3 client is passed in, never created
here, so tests and the local emulator decide where bytes go.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str
    content_type: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


class Storage(Protocol):
    def head(self, key: str) -> ObjectInfo | None:
        """The object's info, or None when it does not exist."""

    def get(self, key: str) -> tuple[ObjectInfo, bytes] | None:
        """The object's info and bytes, or None when it does not exist."""

    def put(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str,
        cache_control: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None: ...

    def delete(self, keys: list[str]) -> None: ...

    def list_keys(self, prefix: str) -> list[str]: ...


def _strip_etag(etag: str) -> str:
    return etag.strip('"')


class S3Storage:
    """`Storage` over one S3 bucket through a boto3 client."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self.bucket = bucket

    def head(self, key: str) -> ObjectInfo | None:
        try:
            response = self._client.head_object(Bucket=self.bucket, Key=key)
        except self._client.exceptions.ClientError as exc:
            if _is_missing(exc):
                return None
            raise
        return self._info(key, response)

    def get(self, key: str) -> tuple[ObjectInfo, bytes] | None:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=key)
        except self._client.exceptions.ClientError as exc:
            if _is_missing(exc):
                return None
            raise
        body = response["Body"].read()
        return self._info(key, response), body

    def put(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str,
        cache_control: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        extra: dict[str, Any] = {}
        if cache_control:
            extra["CacheControl"] = cache_control
        if metadata:
            extra["Metadata"] = metadata
        self._client.put_object(
            Bucket=self.bucket, Key=key, Body=body, ContentType=content_type, **extra
        )

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            self._client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": key} for key in chunk], "Quiet": True},
            )

    def list_keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return keys

    @staticmethod
    def _info(key: str, response: dict[str, Any]) -> ObjectInfo:
        return ObjectInfo(
            key=key,
            size=int(response.get("ContentLength", 0)),
            etag=_strip_etag(response.get("ETag", "")),
            content_type=response.get("ContentType", ""),
            metadata=dict(response.get("Metadata", {})),
        )


def _is_missing(exc: Any) -> bool:
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NotFound"}


@dataclass
class _Stored:
    info: ObjectInfo
    body: bytes
    cache_control: str | None


class MemoryStorage:
    """`Storage` in a dict, for unit tests; thread-safe like S3."""

    def __init__(self) -> None:
        self.objects: dict[str, _Stored] = {}
        self.writes: list[str] = []
        self._lock = threading.Lock()

    def head(self, key: str) -> ObjectInfo | None:
        stored = self.objects.get(key)
        return stored.info if stored else None

    def get(self, key: str) -> tuple[ObjectInfo, bytes] | None:
        stored = self.objects.get(key)
        return (stored.info, stored.body) if stored else None

    def put(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str,
        cache_control: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        info = ObjectInfo(
            key=key,
            size=len(body),
            etag=hashlib.md5(body, usedforsecurity=False).hexdigest(),
            content_type=content_type,
            metadata=dict(metadata or {}),
        )
        with self._lock:
            self.objects[key] = _Stored(info, body, cache_control)
            self.writes.append(key)

    def delete(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self.objects.pop(key, None)

    def list_keys(self, prefix: str) -> list[str]:
        return sorted(key for key in self.objects if key.startswith(prefix))

    def cache_control(self, key: str) -> str | None:
        return self.objects[key].cache_control
