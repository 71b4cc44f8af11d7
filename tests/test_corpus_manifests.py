"""Corpus files through the whole processor: what ends up in the manifest a page and the
API read (status, error code and message, upright size, format, animation, notes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib import keys
from chalicelib.errors import ERROR_CODES
from chalicelib.manifest import Manifest, from_json
from chalicelib.processor import Processor, UploadRecord
from chalicelib.settings import Settings
from dev.memory import MemoryStorage
from tests.conftest import CORPUS

pytestmark = pytest.mark.corpus

SETTINGS = Settings(widths=(160, 320), log_json=False)
IMAGE_ID = "K" * 22


def process(name: str, settings: Settings = SETTINGS) -> Manifest:
    storage = MemoryStorage()
    key = keys.upload_key(IMAGE_ID)
    # A declared name and type that lie: the format must come from the bytes.
    storage.put(
        key,
        (CORPUS / name).read_bytes(),
        content_type="image/jpeg",
        metadata={"filename": "photo.jpg"},
    )
    Processor(storage, settings).process(UploadRecord(key))
    found = storage.get(keys.manifest_key(IMAGE_ID))
    assert found is not None
    return from_json(found[1])


@pytest.mark.parametrize(
    ("name", "code", "says"),
    [
        pytest.param("giant-image.jpg", "too_many_pixels", "280 MP", id="jpeg-bomb"),
        pytest.param("17000x17000.avif", "too_many_pixels", "17,000 x 17,000", id="avif-bomb"),
        pytest.param("65536-uint32-limit.png", "too_many_pixels", "4,295 MP", id="png-bomb"),
        pytest.param("truncated.jpg", "corrupt", "damaged", id="truncated-jpeg"),
        pytest.param("truncated_image.png", "corrupt", "damaged", id="truncated-png"),
        pytest.param("MANIFEST.tsv", "unsupported_format", "JPEG, PNG", id="text-file"),
    ],
)
def test_failures_carry_a_code_and_a_message(corpus: Path, name, code, says):
    manifest = process(name)
    assert manifest.status == "failed"
    assert manifest.error is not None
    assert manifest.error.code == code and code in ERROR_CODES
    assert says in manifest.error.message
    assert manifest.variants == []


@pytest.mark.parametrize(
    ("name", "fmt", "size", "formats", "animated"),
    [
        pytest.param(
            "Giunchedi_cmyk-orientation-exif.jpg",
            "jpeg",
            (533, 800),
            {"avif", "webp", "jpeg"},
            False,
            id="cmyk-orientation-6",
        ),
        pytest.param("hopper.heif", "heif", (128, 128), {"avif", "webp", "jpeg"}, False, id="heic"),
        pytest.param(
            "round_corner.png", "png", (800, 533), {"avif", "webp", "png"}, False, id="alpha"
        ),
        pytest.param(
            "rotating-squares.gif", "gif", (80, 80), {"avif", "webp", "gif"}, True, id="gif"
        ),
    ],
)
def test_ready_manifests_describe_the_upright_image(
    corpus: Path, name, fmt, size, formats, animated
):
    manifest = process(name)
    assert manifest.status == "ready"
    assert manifest.source.format == fmt
    assert (manifest.width, manifest.height) == size
    assert set(manifest.formats) == formats
    assert manifest.animated is animated
    assert manifest.placeholder and len(manifest.placeholder) <= 1024
    assert manifest.color and len(manifest.color) == 7


def test_an_animation_over_the_frame_cap_keeps_its_first_frame(corpus: Path):
    manifest = process(
        "rotating-squares.gif", Settings(widths=(80,), max_frames=10, log_json=False)
    )
    assert manifest.status == "ready"
    assert not manifest.animated and manifest.source.frames == 1
    assert set(manifest.formats) == {"avif", "webp", "png"}
    assert any("30 frames" in note for note in manifest.notes)
