"""Banded parallel Lanczos (pipeline/resample.py) and the shrink step that uses it."""

import pytest
from PIL import Image, ImageChops

from chalicelib.pipeline import Context, Options
from chalicelib.pipeline.resample import band_edges, lanczos
from chalicelib.pipeline.shrink import shrink
from tests.conftest import make_image


@pytest.mark.parametrize(
    ("rows", "bands", "expected"),
    [
        pytest.param(10, 2, [0, 5, 10], id="even"),
        pytest.param(10, 3, [0, 3, 7, 10], id="uneven"),
        pytest.param(2, 8, [0, 1, 2], id="more-bands-than-rows"),
        pytest.param(7, 1, [0, 7], id="one-band"),
        pytest.param(5, 0, [0, 5], id="zero-bands-means-one"),
    ],
)
def test_band_edges(rows, bands, expected):
    assert band_edges(rows, bands) == expected


def photo(width: int, height: int, mode: str = "RGB") -> Image.Image:
    from io import BytesIO

    image = Image.open(BytesIO(make_image(width, height)))
    return image.convert(mode)


@pytest.mark.parametrize(
    ("mode", "source", "size"),
    [
        pytest.param("RGB", (1600, 1200), (1000, 750), id="rgb"),
        pytest.param("L", (1600, 1200), (999, 749), id="grey-odd-size"),
        pytest.param("CMYK", (1200, 1600), (600, 800), id="cmyk-portrait"),
        pytest.param("RGBA", (1600, 1200), (800, 600), id="rgba-premultiplied"),
        pytest.param("RGB", (4000, 600), (1280, 192), id="wide-reduced-first"),
    ],
)
def test_bands_join_into_the_same_picture_as_one_resize(mode, source, size):
    image = photo(source[0], source[1], mode)
    if mode == "RGBA":
        image.putalpha(Image.linear_gradient("L").resize(source))
    reference = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    banded = lanczos(image, size, threads=4)
    assert banded.mode == mode
    assert banded.size == size
    extrema = ImageChops.difference(reference, banded).getextrema()
    bands = extrema if isinstance(extrema[0], tuple) else (extrema,)
    worst = max(high for _low, high in bands)
    assert worst <= 2  # rounding at band edges, nothing visible


def test_lanczos_keeps_the_icc_profile_for_the_colour_step():
    image = photo(1600, 1200)
    image.info["icc_profile"] = b"profile"
    assert lanczos(image, (800, 600), threads=2).info["icc_profile"] == b"profile"


def test_same_size_is_returned_untouched():
    image = photo(300, 200)
    assert lanczos(image, (300, 200)) is image


def shrink_context(image: Image.Image, widths: list[int], **extra) -> Context:
    ctx = Context(data=b"", options=Options(threads=2))
    ctx.image = image
    ctx.widths = widths
    ctx.display_width, ctx.display_height = image.size
    for name, value in extra.items():
        setattr(ctx, name, value)
    return ctx


@pytest.mark.parametrize(
    ("mode", "source", "widths", "expected"),
    [
        pytest.param("RGB", (2000, 1000), [320, 640], (640, 320), id="shrinks-to-widest"),
        pytest.param("CMYK", (2000, 1000), [640], (640, 320), id="cmyk-before-colour"),
        pytest.param("RGB", (500, 250), [320, 500], (500, 250), id="already-widest"),
        pytest.param("P", (2000, 1000), [640], (2000, 1000), id="palette-left-to-colour"),
        pytest.param("I;16", (2000, 1000), [640], (2000, 1000), id="16-bit-left-to-colour"),
    ],
)
def test_shrink(mode, source, widths, expected):
    image = photo(*source).convert(mode) if mode != "I;16" else Image.new("I;16", source)
    ctx = shrink_context(image, widths)
    shrink(ctx)
    assert ctx.image is not None
    assert ctx.image.size == expected
    assert ctx.image.mode == mode


def test_shrink_leaves_animations_alone():
    frames = [photo(800, 400), photo(800, 400)]
    ctx = shrink_context(frames[0], [320], animation=frames)
    shrink(ctx)
    assert ctx.image is not None
    assert ctx.image.size == (800, 400)
