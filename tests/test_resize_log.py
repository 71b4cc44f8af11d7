"""The resize function's one structured log line per image, checked against what an
operator needs from it: id, outcome, error code, source format and size, time per step,
bytes written per format, and never the file's contents (nor the inline placeholder)."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from PIL import Image

from chalicelib import keys, pipeline
from chalicelib.processor import Processor, UploadRecord
from chalicelib.settings import Settings
from dev.memory import MemoryStorage
from tests.conftest import make_image

IMAGE_ID = "L" * 22
SETTINGS = Settings(widths=(160, 320), max_upload_bytes=200_000)
REQUIRED = {
    "id",
    "outcome",
    "error_code",
    "source_format",
    "source_bytes",
    "source_size",
    "steps_ms",
    "bytes_written",
}


def transparent_png() -> bytes:
    image = Image.new("RGBA", (300, 200), (200, 40, 40, 255))
    image.putalpha(Image.linear_gradient("L").resize((300, 200)))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def log_line(caplog: pytest.LogCaptureFixture, data: bytes) -> tuple[dict[str, Any], str]:
    storage = MemoryStorage()
    key = keys.upload_key(IMAGE_ID)
    storage.put(key, data, content_type="image/jpeg", metadata={"filename": "cat.jpg"})
    with caplog.at_level(logging.INFO, logger="picset.resize"):
        Processor(storage, SETTINGS).process(UploadRecord(key))
    messages = [r.getMessage() for r in caplog.records if r.name == "picset.resize"]
    assert len(messages) == 1, "one line per image"
    return json.loads(messages[0]), messages[0]


@pytest.mark.parametrize(
    ("data", "outcome", "error_code", "source_format", "formats"),
    [
        pytest.param(make_image(400, 300), "ready", None, "jpeg", {"avif", "webp", "jpeg"},
                     id="jpeg"),
        pytest.param(transparent_png(), "ready", None, "png", {"avif", "webp", "png"},
                     id="png-with-alpha"),
        pytest.param(b"plain text, not a photo", "failed", "unsupported_format", None, set(),
                     id="not-an-image"),
        pytest.param(b"\xff\xd8\xff" + b"\0" * 300_000, "failed", "too_large", None, set(),
                     id="too-large"),
    ],
)  # fmt: skip
def test_one_json_line_per_image_with_what_operators_need(
    caplog, data, outcome, error_code, source_format, formats
):
    line, _ = log_line(caplog, data)
    assert set(line) >= REQUIRED
    assert line["id"] == IMAGE_ID
    assert line["outcome"] == outcome
    assert line["error_code"] == error_code
    assert line["source_format"] == source_format
    assert line["source_bytes"] == len(data)
    assert set(line["bytes_written"]) == formats
    assert all(isinstance(v, int) and v > 0 for v in line["bytes_written"].values())


def test_ready_line_times_every_step_and_sizes_the_source(caplog):
    line, _ = log_line(caplog, make_image(400, 300))
    assert set(line["steps_ms"]) >= {name for name, _ in pipeline.STEPS}
    assert line["source_size"] == [400, 300]
    assert isinstance(line["processing_ms"], int)


def test_line_carries_no_file_contents(caplog):
    data = make_image(400, 300)
    _, raw = log_line(caplog, data)
    assert "data:image" not in raw  # the manifest's inline placeholder stays out
    assert len(raw) < 1000
    assert data[:64].hex() not in raw
