"""Object storage behind one small interface, and its S3 implementation.

The rest of picset only ever sees `Storage`; the boto3 client is passed in, never created
here, so tests and the local emulator decide where bytes go. The in-memory double the
tests use lives in `dev/memory.py`, outside the deployed package.

`put` can be conditional (S3's `If-Match` / `If-None-Match: *`), which is how a manifest
is replaced only if nobody else replaced it since it was read. `tag` sets an object's tags,
which the bucket's lifecycle rules read (`chalicelib.lifecycle`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

#: Conditional puts that lose to another writer are read and decided again this often.
SWAP_ATTEMPTS = 5


class PreconditionFailed(Exception):
    """A conditional put found the object changed (or present, or absent) since it was
    read; the caller reads again and decides."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str
    content_type: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    last_modified: datetime | None = None


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
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> None:
        """Store `body` at `key`. With `if_match` (an ETag) only if the object still has
        that ETag; with `if_none_match` only if there is no object yet; otherwise
        `PreconditionFailed`."""

    def delete(self, keys: list[str]) -> None: ...

    def list_keys(self, prefix: str) -> list[str]: ...

    def tag(self, key: str, tags: dict[str, str]) -> bool:
        """Replace the object's tags with `tags` (empty: remove them all); False when
        there is no such object."""


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
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> None:
        extra: dict[str, Any] = {}
        if cache_control:
            extra["CacheControl"] = cache_control
        if metadata:
            extra["Metadata"] = metadata
        if if_match is not None:
            extra["IfMatch"] = f'"{if_match}"'
        if if_none_match:
            extra["IfNoneMatch"] = "*"
        try:
            self._client.put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType=content_type, **extra
            )
        except self._client.exceptions.ClientError as exc:
            if _is_precondition(exc) or (if_match is not None and _is_missing(exc)):
                raise PreconditionFailed(key) from exc
            raise

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

    def tag(self, key: str, tags: dict[str, str]) -> bool:
        tag_set = [{"Key": name, "Value": value} for name, value in sorted(tags.items())]
        try:
            if tag_set:
                self._client.put_object_tagging(
                    Bucket=self.bucket, Key=key, Tagging={"TagSet": tag_set}
                )
            else:
                self._client.delete_object_tagging(Bucket=self.bucket, Key=key)
        except self._client.exceptions.ClientError as exc:
            if _is_missing(exc):
                return False
            raise
        return True

    @staticmethod
    def _info(key: str, response: dict[str, Any]) -> ObjectInfo:
        return ObjectInfo(
            key=key,
            size=int(response.get("ContentLength", 0)),
            etag=_strip_etag(response.get("ETag", "")),
            content_type=response.get("ContentType", ""),
            metadata=dict(response.get("Metadata", {})),
            last_modified=response.get("LastModified"),
        )


def swap(
    storage: Storage,
    key: str,
    change: Callable[[tuple[ObjectInfo, bytes] | None], bytes | None],
    *,
    content_type: str,
    cache_control: str | None = None,
) -> bool:
    """Read `key`, let `change` decide the new body from what is there (None: leave it
    as it is), and put that body only if nobody wrote the key in between (`If-Match` on
    the ETag read, `If-None-Match: *` when there was nothing); otherwise read and decide
    again. True when written. `change` may raise to refuse."""
    for _ in range(SWAP_ATTEMPTS):
        found = storage.get(key)
        body = change(found)
        if body is None:
            return False
        try:
            storage.put(
                key,
                body,
                content_type=content_type,
                cache_control=cache_control,
                if_match=found[0].etag if found else None,
                if_none_match=found is None,
            )
        except PreconditionFailed:
            continue  # another writer came in between: read it and judge again
        return True
    raise RuntimeError(f"{key} kept changing under {SWAP_ATTEMPTS} conditional writes")


def _is_missing(exc: Any) -> bool:
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NotFound"}


def _is_precondition(exc: Any) -> bool:
    # 412 when the condition failed; 409 when another conditional write to the same key
    # was in flight at the same moment (S3 asks the loser to retry).
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return code in {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}
