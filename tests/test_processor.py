import io
import json
import logging

from PIL import Image

from chalicelib import keys, state
from chalicelib.manifest import from_json
from chalicelib.processor import Processor, UploadRecord, s3_records
from chalicelib.settings import Settings
from dev.memory import MemoryStorage
from tests.conftest import make_image

SETTINGS = Settings(widths=(160, 320), max_upload_bytes=2_000_000)
IMAGE_ID = "C" * 22


def upload(storage: MemoryStorage, data: bytes, filename: str = "cat%20photo.jpg") -> str:
    key = keys.upload_key(IMAGE_ID)
    storage.put(key, data, content_type="image/jpeg", metadata={"filename": filename})
    return key


def manifest_of(storage: MemoryStorage):
    found = storage.get(keys.manifest_key(IMAGE_ID))
    assert found is not None
    return from_json(found[1])


def test_writes_variants_then_manifest_last():
    storage = MemoryStorage()
    key = upload(storage, make_image(400, 300))
    storage.writes.clear()
    outcome = Processor(storage, SETTINGS).process(UploadRecord(key))
    assert outcome.status == "ready"
    assert storage.writes[-1] == keys.manifest_key(IMAGE_ID)
    manifest = manifest_of(storage)
    assert state.load(storage, IMAGE_ID).filename == "cat photo.jpg"  # type: ignore[union-attr]
    assert manifest.source.format == "jpeg"
    assert len(manifest.variants) == 6
    for variant in manifest.variants:
        assert storage.cache_control(variant.key) == "public, max-age=31536000, immutable"
        info, body = storage.get(variant.key)  # type: ignore[misc]
        assert info.content_type == variant.content_type
        assert Image.open(io.BytesIO(body)).size == (variant.width, variant.height)


def test_not_an_image_ends_as_a_failed_manifest():
    storage = MemoryStorage()
    key = upload(storage, b"<html>not a photo</html>", "evil.jpg")
    outcome = Processor(storage, SETTINGS).process(UploadRecord(key))
    assert outcome.status == "failed"
    manifest = manifest_of(storage)
    assert manifest.error is not None
    assert manifest.error.code == "unsupported_format"
    assert manifest.variants == []
    assert storage.list_keys("images/") == [keys.manifest_key(IMAGE_ID)]


def test_size_is_checked_again_from_the_event_and_the_object():
    storage = MemoryStorage()
    key = upload(storage, make_image(100, 100))
    outcome = Processor(storage, SETTINGS).process(UploadRecord(key, size=5_000_000))
    assert outcome.status == "failed"
    error = manifest_of(storage).error
    assert error is not None
    assert error.code == "too_large"


def test_repeated_event_does_nothing():
    storage = MemoryStorage()
    key = upload(storage, make_image(300, 200))
    processor = Processor(storage, SETTINGS)
    processor.process(UploadRecord(key))
    storage.writes.clear()
    outcome = processor.process(UploadRecord(key))
    assert outcome.status == "skipped"
    assert storage.writes == []


def test_missing_object_is_dropped():
    outcome = Processor(MemoryStorage(), SETTINGS).process(UploadRecord(keys.upload_key(IMAGE_ID)))
    assert outcome.status == "missing"


def test_foreign_keys_are_ignored():
    storage = MemoryStorage()
    outcome = Processor(storage, SETTINGS).process(UploadRecord("images/x/manifest.json"))
    assert outcome.status == "ignored"
    assert storage.writes == []


def test_reprocess_with_fewer_widths_removes_stale_variants():
    storage = MemoryStorage()
    key = upload(storage, make_image(400, 300))
    Processor(storage, SETTINGS).process(UploadRecord(key))
    Processor(storage, Settings(widths=(160,)), force=True).process(UploadRecord(key))
    names = {k.rsplit("/", 1)[1] for k in storage.list_keys(keys.image_prefix(IMAGE_ID))}
    assert names == {"160w.avif", "160w.webp", "160w.jpg", "manifest.json"}


def test_s3_records_decode_keys_and_skip_test_events():
    event = {
        "Records": [
            {"s3": {"object": {"key": "uploads/a+b", "size": 12}}},
            {"eventName": "s3:TestEvent"},
        ]
    }
    assert s3_records(event) == [UploadRecord("uploads/a b", 12)]
    assert s3_records({"Event": "s3:TestEvent", "Service": "Amazon S3"}) == []


def test_logs_one_json_line_per_image(caplog):
    storage = MemoryStorage()
    key = upload(storage, make_image(300, 200))
    with caplog.at_level(logging.INFO, logger="picset.resize"):
        Processor(storage, SETTINGS).process(UploadRecord(key))
    lines = [json.loads(r.message) for r in caplog.records if r.name == "picset.resize"]
    assert len(lines) == 1
    line = lines[0]
    assert line["outcome"] == "ready"
    assert line["id"] == IMAGE_ID
    assert set(line["bytes_written"]) == {"avif", "webp", "jpeg"}
    assert "decode" in line["steps_ms"]


def test_a_panorama_gets_no_variant_thinner_than_16_px():
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.linear_gradient("L").resize((8000, 200)).convert("RGB").save(buffer, "JPEG")
    storage = MemoryStorage()
    key = upload(storage, buffer.getvalue())
    settings = Settings(widths=(320, 640, 960), max_upload_bytes=2_000_000)
    outcome = Processor(storage, settings).process(UploadRecord(key))
    assert outcome.status == "ready" and outcome.manifest is not None
    assert {(v.width, v.height) for v in outcome.manifest.variants} == {(640, 16), (960, 24)}
