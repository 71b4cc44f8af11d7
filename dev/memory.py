"""`Storage` in a dict: the fast double the tests and `dev.measure` use instead of S3.

It keeps S3's semantics where picset depends on them (ETags are the MD5 of the body,
conditional puts, last-modified times, thread safety), and lives outside `chalicelib`
so it is never deployed.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from chalicelib.storage import ObjectInfo, PreconditionFailed


@dataclass
class _Stored:
    info: ObjectInfo
    body: bytes
    cache_control: str | None


class MemoryStorage:
    """`Storage` in a dict, for unit tests; thread-safe like S3."""

    def __init__(self, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.objects: dict[str, _Stored] = {}
        self.writes: list[str] = []
        #: each object's tags; kept apart from `writes`, since tagging writes no object
        self.tags: dict[str, dict[str, str]] = {}
        self.now = now
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
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> None:
        info = ObjectInfo(
            key=key,
            size=len(body),
            etag=hashlib.md5(body, usedforsecurity=False).hexdigest(),
            content_type=content_type,
            metadata=dict(metadata or {}),
            last_modified=self.now(),
        )
        with self._lock:
            current = self.objects.get(key)
            if if_none_match and current is not None:
                raise PreconditionFailed(key)
            if if_match is not None and (current is None or current.info.etag != if_match):
                raise PreconditionFailed(key)
            self.objects[key] = _Stored(info, body, cache_control)
            self.tags.pop(key, None)  # a new object starts untagged, as in S3
            self.writes.append(key)

    def delete(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self.objects.pop(key, None)
                self.tags.pop(key, None)

    def list_keys(self, prefix: str) -> list[str]:
        with self._lock:
            return sorted(key for key in self.objects if key.startswith(prefix))

    def tag(self, key: str, tags: dict[str, str]) -> bool:
        with self._lock:
            if key not in self.objects:
                return False
            if tags:
                self.tags[key] = dict(tags)
            else:
                self.tags.pop(key, None)
            return True

    def cache_control(self, key: str) -> str | None:
        return self.objects[key].cache_control

    def age(self, key: str, seconds: float) -> None:
        """Make `key` look `seconds` older than it is (for time-bound tests)."""
        from datetime import timedelta

        stored = self.objects[key]
        assert stored.info.last_modified is not None
        stored.info = replace(
            stored.info, last_modified=stored.info.last_modified - timedelta(seconds=seconds)
        )
