"""The private per-image state, and that no public manifest names the file or its ETag."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import images, keys, manifests, state
from chalicelib.processor import Processor, UploadRecord
from chalicelib.settings import Settings
from dev.memory import MemoryStorage
from tests.conftest import make_image

SETTINGS = Settings(widths=(160, 320))
IMAGE_ID = "P" * 22
KEY = keys.upload_key(IMAGE_ID)
#: percent-encoded as the ticket stores it; decoded, it must never reach a manifest
NAME = "Jane%20Doe%20passport.jpg"
EVENT = {"Records": [{"s3": {"object": {"key": KEY}}}]}


def upload(storage: MemoryStorage, data: bytes) -> str:
    storage.put(KEY, data, content_type="image/jpeg", metadata={"filename": NAME})
    info = storage.head(KEY)
    assert info is not None
    return info.etag


def test_the_state_lives_outside_the_public_and_the_trigger_prefixes():
    key = keys.private_key(IMAGE_ID)
    assert key == f"private/{IMAGE_ID}.json"
    assert not key.startswith((keys.IMAGES_PREFIX, keys.UPLOAD_PREFIX))


def test_round_trip_and_refusals():
    known = state.PrivateState(IMAGE_ID, "etag", "a.jpg", "rev", "0A")
    assert state.from_json(known.to_json()) == known
    for raw in (b"[]", b'{"version": 2}', b'{"version": 1, "id": "x"}', b"nope"):
        with pytest.raises(ValueError):
            state.from_json(raw)


@pytest.mark.parametrize(
    ("in_place", "offered", "written"),
    [
        pytest.param(("0A", "b"), ("0A", "c"), True, id="later-run"),
        pytest.param(("0A", "c"), ("0A", "b"), False, id="earlier-run"),
        pytest.param(("0A", "z"), ("0A1", "a"), True, id="later-upload"),
    ],
)
def test_a_state_is_replaced_only_by_a_run_standing_as_high(in_place, offered, written):
    storage = MemoryStorage()
    first = state.PrivateState(IMAGE_ID, "e1", "a.jpg", in_place[1], in_place[0])
    second = state.PrivateState(IMAGE_ID, "e2", "a.jpg", offered[1], offered[0])
    assert state.record(storage, first)
    assert state.record(storage, second) is written
    assert state.load(storage, IMAGE_ID) == (second if written else first)


def public_objects(storage: MemoryStorage) -> list[bytes]:
    return [
        storage.objects[key].body
        for key in storage.list_keys(keys.IMAGES_PREFIX)
        if key.endswith(keys.MANIFEST_NAME)
    ]


def assert_private(storage: MemoryStorage, etag: str) -> None:
    bodies = public_objects(storage)
    assert bodies
    for body in bodies:
        assert b"passport" not in body and b"Jane" not in body
        assert etag.encode() not in body
        assert b'"etag"' not in body and b'"filename"' not in body
    known = state.load(storage, IMAGE_ID)
    assert known is not None and known.etag == etag and known.filename == "Jane Doe passport.jpg"


def test_a_ready_manifest_names_neither_the_file_nor_its_etag():
    storage = MemoryStorage()
    etag = upload(storage, make_image(400, 300))
    assert Processor(storage, SETTINGS).process(UploadRecord(KEY)).status == "ready"
    assert_private(storage, etag)


def test_a_failed_manifest_names_neither_the_file_nor_its_etag():
    storage = MemoryStorage()
    etag = upload(storage, b"%PDF-1.4 not a photo")
    assert Processor(storage, SETTINGS).process(UploadRecord(KEY)).status == "failed"
    assert_private(storage, etag)


@pytest.mark.parametrize("how", ["time_out", "give_up"])
def test_a_recorded_failure_names_neither_the_file_nor_its_etag(how):
    storage = MemoryStorage()
    etag = upload(storage, make_image(400, 300))
    (outcome,) = getattr(Processor(storage, SETTINGS), how)(EVENT, "killed")
    assert outcome.status == "failed"
    assert_private(storage, etag)


def test_the_computed_timeout_names_neither_the_file_nor_its_etag():
    storage = MemoryStorage()
    etag = upload(storage, make_image(400, 300))
    storage.age(KEY, 300)
    found = images.lookup(storage, IMAGE_ID, datetime.now(UTC), 240)
    assert found.manifest is not None
    body = found.manifest.to_json()
    assert etag.encode() not in body and b"passport" not in body


def test_a_run_killed_between_state_and_manifest_is_processed_again():
    storage = MemoryStorage()
    upload(storage, make_image(400, 300))
    Processor(storage, SETTINGS).process(UploadRecord(KEY))
    stray = state.PrivateState(IMAGE_ID, "other", "x.jpg", keys.new_revision(datetime.now(UTC)))
    state.record(storage, stray)  # a later run that never got to its manifest
    later = datetime.now(UTC) + timedelta(seconds=1)
    again = Processor(storage, SETTINGS, now=lambda: later).process(UploadRecord(KEY))
    assert again.status == "ready"
    manifest = manifests.load(storage, IMAGE_ID)
    known = state.load(storage, IMAGE_ID)
    assert manifest is not None and known is not None and known.revision == manifest.revision
