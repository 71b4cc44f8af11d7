"""Variant URLs never change what they serve: every run writes under its own revision,
only the newest manifest stands, and a replaced manifest's variants go only after its
successor is in place. Runs are interleaved for real, in threads, on the in-memory
storage (which keeps S3's conditional puts)."""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib import images, keys, manifests, state
from chalicelib.manifest import Manifest, Source
from chalicelib.processor import Outcome, Processor, UploadRecord
from chalicelib.settings import Settings
from dev.memory import MemoryStorage
from tests.conftest import make_image

SETTINGS = Settings(widths=(160, 320), processing_timeout_seconds=240)
IMAGE_ID = "R" * 22
KEY = keys.upload_key(IMAGE_ID)
T0 = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
WAIT = 60  # seconds a gate waits before the test fails rather than hangs


class GatedStorage(MemoryStorage):
    """Holds the manifest write of the thread named `held` until `release` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.held = ""
        self.reached = threading.Event()
        self.release = threading.Event()
        self.rewrites: list[str] = []

    def put(self, key: str, body: bytes, **kwargs: Any) -> None:
        if key == keys.manifest_key(IMAGE_ID) and threading.current_thread().name == self.held:
            self.reached.set()
            assert self.release.wait(WAIT), "the held run was never released"
        rewritable = {keys.manifest_key(IMAGE_ID), keys.private_key(IMAGE_ID)}
        if key in self.objects and key not in rewritable:
            self.rewrites.append(key)
        super().put(key, body, **kwargs)


def processor(storage: MemoryStorage, started: datetime) -> Processor:
    return Processor(storage, SETTINGS, now=lambda: started, force=True)


def in_thread(name: str, work: Any) -> tuple[threading.Thread, list[Outcome]]:
    result: list[Outcome] = []
    thread = threading.Thread(target=lambda: result.append(work()), name=name)
    thread.start()
    return thread, result


def current(storage: MemoryStorage) -> Manifest:
    found = manifests.load(storage, IMAGE_ID)
    assert found is not None
    return found


def assert_every_named_variant_exists(storage: MemoryStorage) -> None:
    manifest = current(storage)
    assert manifest.variants
    for variant in manifest.variants:
        assert storage.head(variant.key) is not None, variant.key
        assert keys.revision_of(variant.key, IMAGE_ID) == manifest.revision


@pytest.mark.parametrize(
    ("held", "winner"),
    [
        pytest.param("older", "newer", id="older-run-finishes-last-and-withdraws"),
        pytest.param("newer", "newer", id="newer-run-finishes-last-and-wins"),
    ],
)
def test_two_interleaved_runs_leave_one_complete_manifest(held, winner):
    storage = GatedStorage()
    storage.put(KEY, make_image(500, 400), content_type="image/jpeg")
    storage.held = held
    starts = {"older": T0, "newer": T0 + timedelta(seconds=1)}
    first = "older" if held == "older" else "newer"
    second = "newer" if first == "older" else "older"
    record = UploadRecord(KEY)

    thread, held_result = in_thread(
        first, lambda: processor(storage, starts[first]).process(record)
    )
    assert storage.reached.wait(WAIT), "the first run never reached its manifest"
    other = processor(storage, starts[second]).process(record)
    storage.release.set()
    thread.join(WAIT)
    assert not thread.is_alive()

    outcomes = {first: held_result[0], second: other}
    assert outcomes[winner].status == "ready"
    loser = "older" if winner == "newer" else "newer"
    assert outcomes[loser].status in ("superseded", "ready")
    manifest = current(storage)
    assert manifest.revision == outcomes[winner].manifest.revision  # type: ignore[union-attr]
    assert_every_named_variant_exists(storage)
    # the private state names the run whose manifest stands, so a repeat event is skipped
    known = state.load(storage, IMAGE_ID)
    assert known is not None and known.revision == manifest.revision
    # nothing of the other run is left, and no variant key was ever written twice
    revisions = {keys.revision_of(k, IMAGE_ID) for k in storage.list_keys(f"images/{IMAGE_ID}/")}
    assert revisions == {manifest.revision, None}
    assert storage.rewrites == []


def test_a_second_upload_gets_new_keys_and_the_old_ones_go_after_its_manifest():
    storage = MemoryStorage()
    storage.put(KEY, make_image(500, 400), content_type="image/jpeg")
    first = Processor(storage, SETTINGS, now=lambda: T0).process(UploadRecord(KEY))
    old_keys = {v.key for v in first.manifest.variants}  # type: ignore[union-attr]
    storage.put(KEY, make_image(300, 500), content_type="image/jpeg")  # same ticket again
    etag = storage.head(KEY).etag  # type: ignore[union-attr]
    later = T0 + timedelta(seconds=5)
    second = Processor(storage, SETTINGS, now=lambda: later).process(UploadRecord(KEY, etag=etag))
    assert second.status == "ready"
    new_keys = {v.key for v in second.manifest.variants}  # type: ignore[union-attr]
    assert not old_keys & new_keys
    assert all(storage.head(key) is None for key in old_keys)
    assert (current(storage).width, current(storage).height) == (300, 500)
    # the manifest went in before the old variants were deleted
    manifest_write = max(i for i, k in enumerate(storage.writes) if k.endswith("manifest.json"))
    assert manifest_write == len(storage.writes) - 1


def test_an_event_for_a_replaced_original_does_nothing():
    storage = MemoryStorage()
    storage.put(KEY, make_image(400, 300), content_type="image/jpeg")
    old_etag = storage.head(KEY).etag  # type: ignore[union-attr]
    storage.put(KEY, make_image(300, 400), content_type="image/jpeg")
    outcome = Processor(storage, SETTINGS).process(UploadRecord(KEY, etag=old_etag))
    assert outcome.status == "superseded"
    assert storage.get(keys.manifest_key(IMAGE_ID)) is None  # the newer event does the work


def manifest_of(sequencer: str, revision: str) -> Manifest:
    return Manifest(
        id=IMAGE_ID,
        status="ready",
        source=Source(bytes=1, sequencer=sequencer),
        created_at=T0.isoformat(),
        revision=revision,
    )


@pytest.mark.parametrize(
    ("in_place", "offered", "stands"),
    [
        pytest.param(("0A", "b"), ("0A", "c"), "offered", id="same-upload-later-run-wins"),
        pytest.param(("0A", "c"), ("0A", "b"), "in_place", id="same-upload-earlier-run-loses"),
        pytest.param(("0B", "a"), ("0A1", "z"), "in_place", id="shorter-sequencer-padded"),
        pytest.param(("0A", "z"), ("0A1", "a"), "offered", id="later-upload-wins-any-run"),
        pytest.param(("", "z"), ("0A", "a"), "offered", id="known-sequencer-beats-unknown"),
    ],
)
def test_a_stale_run_never_overwrites_a_newer_manifest(in_place, offered, stands):
    storage = MemoryStorage()
    manifests.replace(storage, manifest_of(*in_place))
    with contextlib.suppress(manifests.Superseded):
        manifests.replace(storage, manifest_of(*offered))
    expected = in_place if stands == "in_place" else offered
    assert (current(storage).source.sequencer, current(storage).revision) == expected


@pytest.mark.parametrize(
    "known",
    [
        pytest.param(state.PrivateState(IMAGE_ID, "e", "a.jpg", "a"), id="state-names-it"),
        pytest.param(None, id="manifest-from-before-the-state"),
    ],
)
def test_a_recorded_failure_never_replaces_an_answer(known):
    storage = MemoryStorage()
    if known is not None:
        state.record(storage, known)
    manifests.replace(storage, manifest_of("", "a"))
    with pytest.raises(manifests.Superseded):
        manifests.replace(storage, manifest_of("", "b"), unless_finished="e")
    assert current(storage).revision == "a"


@pytest.mark.parametrize(
    "known",
    [
        pytest.param(state.PrivateState(IMAGE_ID, "old", "a.jpg", "a"), id="another-original"),
        pytest.param(state.PrivateState(IMAGE_ID, "e", "a.jpg", "x"), id="another-run"),
    ],
)
def test_a_recorded_failure_replaces_what_is_not_this_originals_answer(known):
    storage = MemoryStorage()
    state.record(storage, known)
    manifests.replace(storage, manifest_of("", "a"))
    manifests.replace(storage, manifest_of("", "b"), unless_finished="e")
    assert current(storage).revision == "b"


def test_a_killed_runs_orphans_go_once_no_run_can_still_be_alive():
    storage = MemoryStorage()
    storage.put(KEY, make_image(400, 300), content_type="image/jpeg")
    ancient = keys.new_revision(T0 - timedelta(seconds=SETTINGS.processing_timeout_seconds + 1))
    recent = keys.new_revision(T0 - timedelta(seconds=5))
    for revision in (ancient, recent):
        storage.put(keys.variant_key(IMAGE_ID, revision, 160, "jpeg"), b"x", content_type="x")
    Processor(storage, SETTINGS, now=lambda: T0).process(UploadRecord(KEY))
    left = {keys.revision_of(k, IMAGE_ID) for k in storage.list_keys(f"images/{IMAGE_ID}/")}
    assert ancient not in left
    assert recent in left  # may belong to a run still going; it tidies up after itself


@pytest.mark.parametrize(
    ("age", "status", "code"),
    [
        pytest.param(10, "processing", None, id="within-the-bound"),
        pytest.param(241, "failed", "timeout", id="past-the-bound"),
    ],
)
def test_no_image_stays_processing_past_the_bound(age, status, code):
    storage = MemoryStorage()
    storage.put(KEY, b"original", content_type="image/jpeg")
    storage.age(KEY, age)
    state = images.lookup(storage, IMAGE_ID, datetime.now(UTC), 240)
    assert state.status == status
    assert (state.manifest.error.code if state.manifest and state.manifest.error else None) == code


def test_time_out_records_a_timeout_only_where_no_answer_exists():
    storage = MemoryStorage()
    storage.put(KEY, make_image(300, 200), content_type="image/jpeg")
    event = {"Records": [{"s3": {"object": {"key": KEY}}}]}
    (outcome,) = Processor(storage, SETTINGS).time_out(event, "killed")
    assert outcome.status == "failed"
    assert current(storage).error is not None
    assert current(storage).error.code == "timeout"  # type: ignore[union-attr]
    assert current(storage).error.message  # type: ignore[union-attr]

    storage = MemoryStorage()
    storage.put(KEY, make_image(300, 200), content_type="image/jpeg")
    Processor(storage, SETTINGS).process(UploadRecord(KEY))
    (late,) = Processor(storage, SETTINGS).time_out(event, "killed")
    assert late.status == "skipped"
    assert current(storage).status == "ready"
