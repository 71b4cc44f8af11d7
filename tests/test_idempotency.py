"""At-least-once delivery, crashes and lying uploads, against the processor itself: a
repeated event changes nothing, a missing object is dropped, a crash mid-write never
shows a half-written image as ready, and size and type are checked again from what the
bucket actually holds (a bucket may not enforce the ticket's policy)."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image

from chalicelib import images, keys, state
from chalicelib.manifest import READY, Manifest, from_json
from chalicelib.processor import Processor
from chalicelib.settings import Settings
from dev.memory import MemoryStorage
from tests.conftest import make_image

SETTINGS = Settings(widths=(160, 320), max_upload_bytes=200_000)
IMAGE_ID = "I" * 22
KEY = keys.upload_key(IMAGE_ID)


def put_original(storage: MemoryStorage, data: bytes, content_type: str = "image/jpeg") -> None:
    storage.put(KEY, data, content_type=content_type, metadata={"filename": "a.jpg"})


def manifest(storage: MemoryStorage) -> Manifest:
    found = storage.get(keys.manifest_key(IMAGE_ID))
    assert found is not None
    return from_json(found[1])


def event(key: str = KEY, size: int | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {"key": key}
    if size is not None:
        obj["size"] = size
    return {"Records": [{"s3": {"bucket": {"name": "b"}, "object": obj}}]}


def test_a_repeated_event_for_the_same_etag_writes_nothing():
    storage = MemoryStorage()
    put_original(storage, make_image(300, 200))
    processor = Processor(storage, SETTINGS)
    processor.handle_event(event())
    before = storage.get(keys.manifest_key(IMAGE_ID))
    storage.writes.clear()
    outcomes = processor.handle_event(event()) + processor.handle_event(event())
    assert [o.status for o in outcomes] == ["skipped", "skipped"]
    assert storage.writes == []
    assert storage.get(keys.manifest_key(IMAGE_ID)) == before


def test_a_new_original_under_the_same_key_is_processed_again():
    storage = MemoryStorage()
    put_original(storage, make_image(300, 200))
    processor = Processor(storage, SETTINGS)
    processor.handle_event(event())
    put_original(storage, make_image(200, 300, "PNG"), "image/png")
    outcome = processor.handle_event(event())[0]
    assert outcome.status == READY
    assert manifest(storage).source.format == "png"
    assert manifest(storage).height == 300


def test_an_event_for_a_missing_object_is_logged_and_dropped(caplog):
    storage = MemoryStorage()
    with caplog.at_level(logging.INFO, logger="picset.resize"):
        outcomes = Processor(storage, SETTINGS).handle_event(event())
    assert [o.status for o in outcomes] == ["missing"]
    assert storage.writes == []
    assert any('"outcome": "missing"' in r.message for r in caplog.records)


class CrashingStorage(MemoryStorage):
    """Dies on the nth write, like a Lambda killed at its timeout."""

    def __init__(self, crash_on: int) -> None:
        super().__init__()
        self.crash_on = crash_on
        self.count = 0

    def put(self, key: str, body: bytes, **kwargs: Any) -> None:
        if key.startswith(keys.IMAGES_PREFIX):
            self.count += 1
            if self.count == self.crash_on:
                raise ConnectionError("connection reset")
        super().put(key, body, **kwargs)


def test_a_crash_mid_write_leaves_the_image_processing_until_a_retry_finishes_it():
    storage = CrashingStorage(crash_on=3)
    put_original(storage, make_image(400, 300))
    with pytest.raises(ConnectionError):
        Processor(storage, SETTINGS).handle_event(event())
    assert storage.list_keys(keys.image_prefix(IMAGE_ID))  # some variants landed
    assert storage.get(keys.manifest_key(IMAGE_ID)) is None
    assert images.lookup(storage, IMAGE_ID, datetime.now(UTC), 240).status == "processing"

    outcome = Processor(storage, SETTINGS).handle_event(event())[0]  # the redelivery
    assert outcome.status == READY
    assert images.lookup(storage, IMAGE_ID, datetime.now(UTC), 240).status == READY
    assert storage.writes[-1] == keys.manifest_key(IMAGE_ID)


def png(width: int = 120, height: int = 80) -> bytes:
    return make_image(width, height, "PNG")


@pytest.mark.parametrize(
    ("data", "content_type", "event_size", "status", "detail"),
    [
        pytest.param(png(), "image/jpeg", None, READY, "png", id="png-declared-as-jpeg"),
        pytest.param(png(), "text/html", None, READY, "png", id="png-declared-as-html"),
        pytest.param(
            b"<html><script>alert(1)</script></html>",
            "image/png",
            None,
            "failed",
            "unsupported_format",
            id="html-declared-as-png",
        ),
        pytest.param(
            b"GIF89a<script>alert(1)</script>",
            "image/gif",
            None,
            "failed",
            "corrupt",
            id="gif-magic-then-script",
        ),
        pytest.param(b"", "image/jpeg", None, "failed", "empty", id="empty"),
        pytest.param(
            make_image(100, 100), "image/jpeg", 10**9, "failed", "too_large", id="event-too-big"
        ),
        pytest.param(
            make_image(2000, 2000, quality=100),
            "image/jpeg",
            100,
            "failed",
            "too_large",
            id="object-too-big-event-small",
        ),
    ],
)
def test_size_and_type_are_checked_again_from_the_bucket(
    data, content_type, event_size, status, detail
):
    storage = MemoryStorage()
    put_original(storage, data, content_type)
    outcome = Processor(storage, SETTINGS).handle_event(event(size=event_size))[0]
    assert outcome.status == status
    found = manifest(storage)
    if status == READY:
        assert found.source.format == detail
        for variant in found.variants:
            _info, body = storage.get(variant.key)  # type: ignore[misc]
            assert Image.open(io.BytesIO(body)).format in {"AVIF", "WEBP", "JPEG", "PNG"}
    else:
        assert found.error is not None
        assert found.error.code == detail
        assert found.variants == []
        assert storage.list_keys(keys.image_prefix(IMAGE_ID)) == [keys.manifest_key(IMAGE_ID)]


def test_give_up_writes_an_internal_failure_once():
    storage = MemoryStorage()
    put_original(storage, make_image(100, 100))
    outcome = Processor(storage, SETTINGS).give_up(event(), "RuntimeError: boom")[0]
    assert outcome.status == "failed"
    failed = manifest(storage)
    assert failed.error is not None
    assert failed.error.code == "internal"
    assert "boom" not in failed.error.message  # internal detail is logged, never shown
    known = state.load(storage, IMAGE_ID)
    assert known is not None and known.filename == "a.jpg"
    assert known.revision == failed.revision


def test_give_up_leaves_a_finished_image_alone():
    storage = MemoryStorage()
    put_original(storage, make_image(100, 100))
    Processor(storage, SETTINGS).handle_event(event())
    storage.writes.clear()
    outcome = Processor(storage, SETTINGS).give_up(event(), "late duplicate")[0]
    assert outcome.status == "skipped"
    assert storage.writes == []
    assert manifest(storage).is_ready


@pytest.mark.parametrize(
    ("key", "status"),
    [
        pytest.param(KEY, "missing", id="original-gone"),
        pytest.param("images/x/manifest.json", "ignored", id="not-an-upload"),
        pytest.param("uploads/../images/x", "ignored", id="traversal"),
    ],
)
def test_give_up_writes_nothing_without_an_original(key, status):
    storage = MemoryStorage()
    outcome = Processor(storage, SETTINGS).give_up(event(key), "boom")[0]
    assert outcome.status == status
    assert storage.writes == []
