import io
import itertools

import pytest
from PIL import Image

from chalicelib import errors
from chalicelib.pipeline import STEPS, Context, Options, run
from chalicelib.pipeline.plan import MIN_SHORT_SIDE
from chalicelib.pipeline.spacing import FEWEST, MOST
from chalicelib.settings import Settings
from tests.conftest import make_image, make_photo

#: These tests are about the steps, not the quality search (tests/test_quality*.py).
SMALL = Options(widths=(100, 200, 400), quality="fixed")


def process(data: bytes, options: Options = SMALL) -> Context:
    return run(Context(data=data, options=options))


def test_makes_every_width_in_every_format():
    ctx = process(make_image(500, 250))
    made = sorted((o.format, o.width, o.height) for o in ctx.outputs)
    expected = sorted((fmt, w, w // 2) for fmt in ("avif", "webp", "jpeg") for w in (100, 200, 400))
    assert made == expected
    for out in ctx.outputs:
        decoded = Image.open(io.BytesIO(out.body))
        assert decoded.format == {"avif": "AVIF", "webp": "WEBP", "jpeg": "JPEG"}[out.format]
        assert decoded.size == (out.width, out.height)


def test_never_upscales_a_small_source():
    ctx = process(make_image(150, 100))
    assert {o.width for o in ctx.outputs} == {100, 150}


def test_times_every_step():
    ctx = process(make_image(300, 200))
    for step in ("sniff", "guard", "plan", "decode", "orient", "colour", "resize", "encode"):
        assert step in ctx.timings


def test_transparent_png_falls_back_to_png_and_keeps_alpha():
    image = Image.new("RGBA", (300, 300), (255, 0, 0, 0))
    image.paste((0, 0, 255, 255), (50, 50, 250, 250))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    ctx = process(buffer.getvalue())
    assert {o.format for o in ctx.outputs} == {"avif", "webp", "png"}
    webp = Image.open(io.BytesIO(next(o.body for o in ctx.outputs if o.format == "webp")))
    assert webp.mode == "RGBA"


def test_opaque_alpha_is_dropped():
    ctx = process(make_image(300, 200, "PNG", mode="RGBA"))
    assert not ctx.has_alpha
    assert "jpeg" in {o.format for o in ctx.outputs}


def test_exif_orientation_is_applied_and_stripped():
    image = Image.new("RGB", (400, 200), "red")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 clockwise to display
    exif[0x8825] = {2: (1.0, 2.0, 3.0)}  # GPS that must not leak
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    ctx = process(buffer.getvalue())
    assert (ctx.display_width, ctx.display_height) == (200, 400)
    for out in ctx.outputs:
        decoded = Image.open(io.BytesIO(out.body))
        assert decoded.width < decoded.height
        assert 0x0112 not in decoded.getexif()
        assert 0x8825 not in decoded.getexif()


#: The steps up to `space`: enough to see the widths a picture gets.
THROUGH_SPACE = STEPS[: [name for name, _ in STEPS].index("space") + 1]
#: Widths are spaced on the fallback's curve at its fixed quality; `auto` would then move
#: each variant's quality, and with it the bytes this test measures.
JPEG_ONLY = Options(formats=("jpeg",), quality="fixed")


def test_a_photo_gets_widths_whose_jpegs_differ_by_about_the_step():
    ctx = process(make_photo(1200, 900), JPEG_ONLY)
    sizes = sorted((o.width, len(o.body)) for o in ctx.outputs)
    widths = [width for width, _ in sizes]
    assert widths[0] == 320 and widths[-1] == 1200
    assert FEWEST < len(widths) < MOST, "the step, not a clamp, decides this photo's count"
    step = JPEG_ONLY.width_step_bytes
    for (_, smaller), (_, larger) in itertools.pairwise(sizes):
        assert 0.6 * step < larger - smaller < 1.4 * step
    assert "space" in ctx.timings


def test_a_larger_step_gives_fewer_widths():
    data = make_photo(1200, 900)
    fine = run(Context(data=data, options=JPEG_ONLY), THROUGH_SPACE).widths
    coarse = Options(formats=("jpeg",), width_step_bytes=40_000)
    assert len(run(Context(data=data, options=coarse), THROUGH_SPACE).widths) < len(fine)


def test_a_set_width_list_gives_exactly_that_list():
    settings = Settings.from_env({"PICSET_WIDTHS": "320,640,960,1280,1920,2560"})
    options = Options.from_settings(settings)
    ctx = run(Context(data=make_photo(3000, 2000), options=options), THROUGH_SPACE)
    assert ctx.widths == [320, 640, 960, 1280, 1920, 2560]


def test_a_byte_spaced_panorama_has_no_variant_under_16_px_tall():
    data = make_image(8000, 200)
    ctx = run(Context(data=data, options=JPEG_ONLY), THROUGH_SPACE)
    assert ctx.widths[0] == 640 and ctx.widths[-1] == 2560
    assert all(round(200 * w / 8000) >= MIN_SHORT_SIDE for w in ctx.widths)


def test_a_transparent_image_is_spaced_by_its_png_bytes():
    image = Image.effect_noise((900, 600), 60).convert("RGBA")
    image.putalpha(Image.linear_gradient("L").resize((900, 600)))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    ctx = run(Context(data=buffer.getvalue()), THROUGH_SPACE)
    assert ctx.has_alpha
    assert ctx.widths[0] == 320 and ctx.widths[-1] == 900
    assert FEWEST <= len(ctx.widths) <= MOST


def test_jpeg_is_decoded_at_reduced_scale():
    ctx = Context(data=make_image(3000, 2000), options=Options(widths=(320,)))
    run(ctx)
    assert ctx.timings["decode"] >= 0
    assert [o.width for o in ctx.outputs if o.format == "jpeg"] == [320]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        pytest.param(b"", errors.EmptyFile, id="empty"),
        pytest.param(b"just some text pretending to be a jpg", errors.UnsupportedFormat, id="text"),
        pytest.param(make_image(400, 300)[:800], errors.Corrupt, id="truncated-jpeg"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, errors.Corrupt, id="garbage-png"),
    ],
)
def test_bad_input_raises_a_domain_error(data, error):
    with pytest.raises(error):
        process(data)


def test_pixel_cap_is_checked_from_the_header():
    with pytest.raises(errors.TooManyPixels):
        process(make_image(400, 300), Options(max_pixels=100_000))


def test_size_cap():
    with pytest.raises(errors.TooLarge):
        process(make_image(400, 300), Options(max_bytes=1024))


def test_describe_gives_placeholder_and_colour():
    ctx = process(make_image(400, 300))
    assert ctx.placeholder is not None
    assert ctx.placeholder.startswith("data:image/webp;base64,")
    assert len(ctx.placeholder) <= 1024
    assert ctx.color is not None
    assert ctx.color.startswith("#")
    assert len(ctx.color) == 7
