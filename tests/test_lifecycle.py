"""The status tag on originals, which the bucket's lifecycle rule reads: a run that puts a
failed manifest in place tags its original `picset-status=failed`, a ready one removes the
tags, the tag follows the manifest that stands (not a stale run), and a tag that cannot be
written never loses the answer."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib import keys, lifecycle, manifests
from chalicelib.manifest import FAILED, READY, ErrorInfo, Manifest, Source
from chalicelib.processor import Processor, UploadRecord
from chalicelib.settings import Settings
from dev.bootstrap import lifecycle_rules
from dev.memory import MemoryStorage
from tests.conftest import make_image

SETTINGS = Settings(widths=(160, 320), max_upload_bytes=200_000)
IMAGE_ID = "L" * 22
KEY = keys.upload_key(IMAGE_ID)
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def put_original(storage: MemoryStorage, data: bytes) -> None:
    storage.put(KEY, data, content_type="image/jpeg", metadata={"filename": "a.jpg"})


def event() -> dict[str, Any]:
    return {"Records": [{"s3": {"bucket": {"name": "b"}, "object": {"key": KEY}}}]}


def status_tag(storage: MemoryStorage) -> str | None:
    return storage.tags.get(KEY, {}).get(lifecycle.STATUS_TAG)


def manifest_of(status: str, revision: str) -> Manifest:
    error = ErrorInfo("corrupt", "damaged") if status == FAILED else None
    return Manifest(
        id=IMAGE_ID,
        status=status,
        source=Source(bytes=10),
        created_at="2025-01-01T00:00:00+00:00",
        error=error,
        revision=revision,
    )


@pytest.mark.parametrize(
    ("data", "status", "tags"),
    [
        pytest.param(make_image(300, 200), READY, {}, id="ready-carries-none"),
        pytest.param(b"<html>not a photo</html>", FAILED, {"picset-status": "failed"}, id="failed"),
    ],
)
def test_a_run_tags_its_original_by_the_images_status(data, status, tags):
    storage = MemoryStorage()
    put_original(storage, data)
    storage.tag(KEY, {"picset-status": "stale"})
    outcome = Processor(storage, SETTINGS).process(UploadRecord(KEY))
    assert outcome.status == status
    assert storage.tags.get(KEY, {}) == tags
    # the tag writes no object: the manifest is still the last write
    assert storage.writes[-1] == keys.manifest_key(IMAGE_ID)


def test_a_successful_reprocess_clears_the_failed_tag():
    """A cap raised after a failure: the reprocess succeeds, and the original must no
    longer expire as a failed one."""
    storage = MemoryStorage()
    put_original(storage, make_image(600, 400))
    tight = Settings(widths=(160,), max_pixels=1000)
    first = Processor(storage, tight, now=lambda: T0)
    assert first.process(UploadRecord(KEY)).status == FAILED
    assert status_tag(storage) == FAILED
    # a second later, so the reprocess's revision stands higher
    reprocess = Processor(storage, SETTINGS, force=True, now=lambda: T0 + timedelta(seconds=1))
    outcome = reprocess.process(UploadRecord(KEY))
    assert outcome.status == READY
    assert status_tag(storage) is None


@pytest.mark.parametrize("record", ["time_out", "give_up"])
def test_a_recorded_failure_tags_the_original_failed(record):
    storage = MemoryStorage()
    put_original(storage, make_image(300, 200))
    (outcome,) = getattr(Processor(storage, SETTINGS), record)(event(), "stopped")
    assert outcome.status == FAILED
    assert status_tag(storage) == FAILED


def test_a_recorded_failure_leaves_an_answered_original_as_it_is():
    storage = MemoryStorage()
    put_original(storage, make_image(300, 200))
    Processor(storage, SETTINGS).process(UploadRecord(KEY))
    (outcome,) = Processor(storage, SETTINGS).time_out(event(), "late duplicate")
    assert outcome.status == "skipped"
    assert status_tag(storage) is None


def test_a_repeated_event_tags_nothing_again():
    storage = MemoryStorage()
    put_original(storage, make_image(300, 200))
    processor = Processor(storage, SETTINGS)
    processor.process(UploadRecord(KEY))
    storage.tags.clear()
    assert processor.process(UploadRecord(KEY)).status == "skipped"
    assert storage.tags == {}


class FailingTags(MemoryStorage):
    def tag(self, key: str, tags: dict[str, str]) -> bool:
        raise RuntimeError("AccessDenied")


def test_a_tag_that_cannot_be_written_loses_nothing_and_is_logged(caplog):
    storage = FailingTags()
    put_original(storage, b"not an image at all")
    with caplog.at_level(logging.ERROR, logger="picset.lifecycle"):
        outcome = Processor(storage, SETTINGS).process(UploadRecord(KEY))
    assert outcome.status == FAILED
    stored = manifests.load(storage, IMAGE_ID)
    assert stored is not None and stored.status == FAILED
    (line,) = [json.loads(r.getMessage()) for r in caplog.records]
    assert line == {
        "event": "picset.tag_lost",
        "id": IMAGE_ID,
        "key": KEY,
        "status": FAILED,
        "error": "RuntimeError: AccessDenied",
    }


def test_a_stale_runs_tag_follows_the_manifest_that_stands():
    """A failed run whose tag lands after a newer run's ready manifest and tag: S3 has no
    conditional tagging, so the stale run reads the manifest again and tags `ready`."""
    storage = MemoryStorage()
    put_original(storage, b"x")
    newer = manifest_of(READY, "19ade3f2a1b-000002")
    manifests.replace(storage, newer)
    lifecycle.mark(storage, manifest_of(FAILED, "19ade3f2a1b-000001"))
    assert status_tag(storage) is None


class Interleaved(MemoryStorage):
    """Puts a newer manifest in place between a run's tag and its read of the manifest,
    once per manifest queued."""

    def __init__(self, newer: list[Manifest]) -> None:
        super().__init__()
        self.newer = newer
        self.tag_writes: list[dict[str, str]] = []

    def tag(self, key: str, tags: dict[str, str]) -> bool:
        tagged = super().tag(key, tags)
        self.tag_writes.append(tags)
        if self.newer:
            manifests.replace(self, self.newer.pop(0))
        return tagged


def test_the_tag_keeps_following_the_manifest_while_it_changes():
    """Newer runs put a failed, then a ready manifest in place, each between this run's
    tag and its read: every tag is checked by a read, so the last one matches."""
    storage = Interleaved(
        [manifest_of(FAILED, "19ade3f2a1b-000002"), manifest_of(READY, "19ade3f2a1b-000003")]
    )
    put_original(storage, b"x")
    first = manifest_of(READY, "19ade3f2a1b-000001")
    manifests.replace(storage, first)
    lifecycle.mark(storage, first)
    assert manifests.load(storage, IMAGE_ID).revision == "19ade3f2a1b-000003"  # type: ignore[union-attr]
    assert status_tag(storage) is None
    assert storage.tag_writes == [{}, {"picset-status": "failed"}, {}]


def test_an_original_deleted_since_is_left_alone(caplog):
    storage = MemoryStorage()
    with caplog.at_level(logging.ERROR, logger="picset.lifecycle"):
        lifecycle.mark(storage, manifest_of(FAILED, "19ade3f2a1b-000001"))
    assert storage.tags == {}
    assert caplog.records == []


def test_the_rule_expires_exactly_what_the_runs_tag_failed():
    (expire, abort) = lifecycle_rules(Settings(failed_original_days=3))["Rules"]
    assert expire["Filter"] == {
        "And": {"Prefix": "uploads/", "Tags": [{"Key": "picset-status", "Value": "failed"}]}
    }
    assert expire["Expiration"] == {"Days": 3}
    assert abort["Filter"] == {"Prefix": ""}
    assert abort["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] >= 1
    assert lifecycle.status_tags(FAILED) == {"picset-status": "failed"}
    assert lifecycle.status_tags(READY) == {}
