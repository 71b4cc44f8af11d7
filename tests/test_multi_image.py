"""Files that hold several images but are not animations (a camera JPEG with an MPF
preview, a multi-page TIFF, a multi-image HEIF) give one still picture, their primary
image, through every still-image step; true animations stay animations."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from chalicelib import keys
from chalicelib.manifest import Manifest, from_json
from chalicelib.pipeline import Context, Options
from chalicelib.pipeline.decode import decode
from chalicelib.pipeline.guard import guard
from chalicelib.pipeline.plan import plan
from chalicelib.pipeline.sniff import may_animate, sniff
from chalicelib.processor import Processor, UploadRecord
from chalicelib.settings import Settings
from dev.memory import MemoryStorage
from tests.crafted import jpeg_with_preview, multi_image_heif, two_page_tiff, with_page_size

SETTINGS = Settings(widths=(160, 320), max_upload_bytes=2_000_000)
IMAGE_ID = "M" * 22


def process(data: bytes) -> tuple[str, Manifest, MemoryStorage]:
    storage = MemoryStorage()
    key = keys.upload_key(IMAGE_ID)
    storage.put(key, data, content_type="application/octet-stream")
    outcome = Processor(storage, SETTINGS).process(UploadRecord(key))
    found = storage.get(keys.manifest_key(IMAGE_ID))
    assert found is not None
    return outcome.status, from_json(found[1]), storage


STILLS = [
    pytest.param(jpeg_with_preview((900, 600)), "jpeg", (900, 600), id="jpeg-with-mpf-preview"),
    pytest.param(two_page_tiff((600, 300), (200, 500)), "tiff", (600, 300), id="two-page-tiff"),
    pytest.param(
        multi_image_heif(((320, 240), (240, 480)), primary=1),
        "heif",
        (240, 480),
        id="heif-primary-second",
    ),
    pytest.param(
        with_page_size(two_page_tiff((600, 300), (8, 8)), 1, (60000, 60000)),
        "tiff",
        (600, 300),
        id="tiff-with-a-huge-second-page",
    ),
]


@pytest.mark.parametrize(("data", "fmt", "primary"), STILLS)
def test_a_multi_image_file_gives_its_primary_image_as_a_still(data, fmt, primary):
    status, manifest, storage = process(data)
    assert status == "ready", manifest.error
    assert manifest.animated is False
    assert manifest.source.format == fmt
    assert manifest.source.frames == 1
    assert (manifest.width, manifest.height) == primary
    assert {v.format for v in manifest.variants} == {"avif", "webp", "jpeg"}
    for variant in manifest.variants:
        # The primary image's shape, not the preview's or another page's.
        assert variant.height == round(variant.width * primary[1] / primary[0])
        found = storage.get(variant.key)
        assert found is not None
        decoded = Image.open(io.BytesIO(found[1]))
        assert decoded.size == (variant.width, variant.height)
        assert getattr(decoded, "n_frames", 1) == 1, variant.format


def test_a_jpeg_with_a_preview_is_decoded_at_reduced_scale():
    ctx = Context(data=jpeg_with_preview((2400, 1600)), options=Options(widths=(200,)))
    sniff(ctx)
    guard(ctx)
    assert ctx.header is not None and ctx.header.format == "MPO"
    plan(ctx)
    decode(ctx)
    assert ctx.image is not None
    assert ctx.image.size == (300, 200)  # libjpeg's 1/8 scale, not the full 2400 x 1600
    assert ctx.animation == [] and not ctx.animated


def test_the_heif_primary_image_is_decoded_not_the_first():
    ctx = Context(data=multi_image_heif(((320, 240), (240, 480)), primary=1))
    sniff(ctx)
    guard(ctx)
    plan(ctx)
    decode(ctx)
    assert ctx.image is not None and ctx.image.size == (240, 480)
    assert ctx.frames == 1


@pytest.mark.parametrize(
    ("fmt", "decoder", "animates"),
    [
        pytest.param("gif", "GIF", True, id="gif"),
        pytest.param("webp", "WEBP", True, id="webp"),
        pytest.param("png", "PNG", True, id="apng"),
        pytest.param("avif", "AVIF", True, id="avif-sequence"),
        pytest.param("jpeg", "MPO", False, id="mpo"),
        pytest.param("jpeg", "JPEG", False, id="jpeg"),
        pytest.param("tiff", "TIFF", False, id="tiff-pages"),
        pytest.param("heif", "HEIF", False, id="heif-items"),
        pytest.param("avif", "HEIF", False, id="avif-items-through-libheif"),
        pytest.param(None, None, False, id="nothing"),
    ],
)
def test_which_formats_may_animate(fmt, decoder, animates):
    assert may_animate(fmt, decoder) is animates
