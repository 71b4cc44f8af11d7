"""The encode step's order, its thread safety and the allocator setting."""

import io

import pytest
from PIL import Image

from chalicelib.pipeline import Context, Options, allocator
from chalicelib.pipeline.encode import encode, encode_one, schedule
from tests.conftest import make_image

HEIGHTS = {2560: 1920, 1920: 1440, 1280: 960, 320: 240}


@pytest.mark.parametrize(
    ("jobs", "expected"),
    [
        pytest.param([], [], id="nothing"),
        pytest.param([(320, "jpeg")], [(320, "jpeg")], id="one"),
        pytest.param(
            [(2560, "avif"), (2560, "webp"), (1920, "avif"), (320, "avif"), (320, "jpeg")],
            [(2560, "avif"), (320, "jpeg"), (320, "avif"), (2560, "webp"), (1920, "avif")],
            id="widest-avif-first-then-cheapest-up",
        ),
        pytest.param(
            [(1280, "jpeg"), (2560, "jpeg"), (320, "jpeg")],
            [(2560, "jpeg"), (320, "jpeg"), (1280, "jpeg")],
            id="jpeg-only",
        ),
    ],
)
def test_schedule(jobs, expected):
    assert schedule(jobs, HEIGHTS) == expected


def test_parallel_encodes_keep_each_formats_own_settings():
    # Pillow keeps save() arguments on the image object; sharing one across threads let
    # one format's quality leak into another's file.
    image = Image.open(io.BytesIO(make_image(640, 480))).convert("RGB")
    options = Options(avif_quality=90, webp_quality=20, jpeg_quality=35, threads=4)
    ctx = Context(data=b"", options=options)
    ctx.resized = {640: image, 320: image.resize((320, 240))}
    expected = {
        (width, fmt): encode_one(ctx.resized[width], fmt, options)
        for width in (640, 320)
        for fmt in ("avif", "webp", "jpeg")
    }
    for _ in range(3):
        ctx.resized = {640: image, 320: image.resize((320, 240))}
        encode(ctx)
        assert {(o.width, o.format): o.body for o in ctx.outputs} == expected


def test_outputs_come_widest_first_in_the_configured_format_order():
    image = Image.open(io.BytesIO(make_image(640, 480))).convert("RGB")
    ctx = Context(data=b"", options=Options(threads=2))
    ctx.resized = {640: image, 320: image.resize((320, 240))}
    encode(ctx)
    assert [(o.width, o.format) for o in ctx.outputs] == [
        (640, "avif"),
        (640, "webp"),
        (640, "jpeg"),
        (320, "avif"),
        (320, "webp"),
        (320, "jpeg"),
    ]
    assert ctx.resized == {}


def test_allocator_tuning_is_applied_once_and_harmless():
    first = allocator.tune()
    assert allocator.tune() is first
    assert isinstance(first, bool)
