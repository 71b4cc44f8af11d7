"""Every frame of an animation keeps its own delay, from input to every output.

The WebP and AVIF decoders set a frame's `duration` only when the frame is loaded; read
before that, each frame got the delay of the one before it (100, 120, 120, 90, ...)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from chalicelib import keys
from chalicelib.manifest import from_json
from chalicelib.processor import Processor, UploadRecord
from chalicelib.settings import Settings
from dev.memory import MemoryStorage

#: Multiples of 10 ms, since GIF stores centiseconds.
DELAYS = [120, 120, 90, 120, 120, 90, 120, 90, 30]
SETTINGS = Settings(widths=(48,), avif_speed=10, max_upload_bytes=2_000_000)
IMAGE_ID = "D" * 22
ENCODER_OPTIONS: dict[str, dict[str, object]] = {"AVIF": {"speed": 10}, "WEBP": {"lossless": True}}


def animation(fmt: str, delays: list[int]) -> bytes:
    """One frame per delay, each visibly different (a block that walks across), so no
    encoder merges two of them into one."""
    frames = []
    for index in range(len(delays)):
        frame = Image.new("RGB", (96, 64), (255, 255, 255))
        frame.paste((200, 30 * index % 256, 40), (index * 10, 0, index * 10 + 24, 64))
        frames.append(frame)
    buffer = io.BytesIO()
    options: dict[str, object] = ENCODER_OPTIONS.get(fmt, {})
    frames[0].save(
        buffer,
        fmt,
        save_all=True,
        append_images=frames[1:],
        duration=delays,
        loop=0,
        **options,
    )
    return buffer.getvalue()


def delays_of(data: bytes) -> list[int]:
    """Each frame's delay, read after the frame is loaded (see the module docstring)."""
    image = Image.open(io.BytesIO(data))
    found = []
    for index in range(getattr(image, "n_frames", 1)):
        image.seek(index)
        image.load()
        found.append(int(image.info["duration"]))
    return found


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "AVIF", "PNG"])
def test_the_input_is_built_with_its_own_delays(fmt: str):
    assert delays_of(animation(fmt, DELAYS)) == DELAYS


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "AVIF", "PNG"])
def test_every_output_keeps_each_frames_delay(fmt: str):
    storage = MemoryStorage()
    key = keys.upload_key(IMAGE_ID)
    storage.put(key, animation(fmt, DELAYS), content_type="application/octet-stream")
    outcome = Processor(storage, SETTINGS).process(UploadRecord(key))
    assert outcome.status == "ready", outcome.detail
    found = storage.get(keys.manifest_key(IMAGE_ID))
    assert found is not None
    manifest = from_json(found[1])
    assert manifest.animated is True
    assert {v.format for v in manifest.variants} == {"avif", "webp", "gif"}
    for variant in manifest.variants:
        stored = storage.get(variant.key)
        assert stored is not None
        assert delays_of(stored[1]) == DELAYS, variant.format
