"""Each pipeline step on small images built in code, as tables of named cases."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image, ImageCms

from chalicelib import errors
from chalicelib.pipeline import STEPS, Context, Options, run
from chalicelib.pipeline.colour import colour, has_transparency, to_srgb
from chalicelib.pipeline.decode import decode
from chalicelib.pipeline.describe import dominant_color, placeholder_uri
from chalicelib.pipeline.encode import encode_one, output_formats
from chalicelib.pipeline.guard import guard, tiff_encoding
from chalicelib.pipeline.isobmff import declared_size, spatial_extents
from chalicelib.pipeline.orient import TRANSPOSE, upright
from chalicelib.pipeline.plan import plan
from chalicelib.pipeline.resize import cascade
from chalicelib.pipeline.sniff import sniff
from chalicelib.pipeline.spacing import FEWEST
from tests.conftest import make_image
from tests.crafted import Frame, canvas_bomb_gif, gif, two_page_tiff

SMALL = Options(widths=(40, 80))


def header_context(data: bytes, options: Options = SMALL) -> Context:
    ctx = Context(data=data, options=options)
    sniff(ctx)
    guard(ctx)
    return ctx


def animated(
    frames: int, size: tuple[int, int] = (32, 24), transparent: bool = False, fmt: str = "GIF"
) -> bytes:
    colours = ["red", "green", "blue", "yellow", "white", "black"]
    images = []
    for index in range(frames):
        image = Image.new("RGBA", size, (0, 0, 0, 0) if transparent else "white")
        image.paste(colours[index % len(colours)], (index, 0, index + 8, 8))
        images.append(image)
    buffer = io.BytesIO()
    images[0].save(
        buffer,
        fmt,
        save_all=True,
        append_images=images[1:],
        duration=[50 + 10 * i for i in range(frames)],
        loop=0,
        disposal=2,
    )
    return buffer.getvalue()


# --- isobmff -----------------------------------------------------------------------------


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def ispe(width: int, height: int) -> bytes:
    return box(b"ispe", b"\x00\x00\x00\x00" + struct.pack(">II", width, height))


def heif_file(*extents: bytes, brand: bytes = b"avif") -> bytes:
    ftyp = box(b"ftyp", brand + b"\x00\x00\x00\x00" + brand + b"mif1")
    meta = box(b"meta", b"\x00\x00\x00\x00" + box(b"iprp", box(b"ipco", b"".join(extents))))
    return ftyp + meta


@pytest.mark.parametrize(
    ("data", "extents", "declared"),
    [
        pytest.param(heif_file(ispe(17000, 17000)), [(17000, 17000)], (17000, 17000), id="one"),
        pytest.param(
            heif_file(ispe(512, 512), ispe(4096, 800)),
            [(512, 512), (4096, 800)],
            (4096, 800),
            id="grid-and-tiles",
        ),
        pytest.param(heif_file(), [], None, id="no-ispe"),
        pytest.param(heif_file(ispe(64, 64))[:40], [], None, id="truncated-meta"),
        pytest.param(b"\x00\x00\x00\x01ftyp", [], None, id="broken-size"),
        pytest.param(b"", [], None, id="empty"),
    ],
)
def test_isobmff_spatial_extents(data, extents, declared):
    assert spatial_extents(data) == extents
    assert declared_size(data) == declared


# --- guard ---------------------------------------------------------------------------------


def lab16_tiff(photometric: int = 8, lab: tuple[int, int, int] = (100, 0, 0)) -> bytes:
    """A tiny uncompressed 16-bit TIFF of one Lab colour (CIELab unless `photometric`
    says otherwise: 9 is ICCLab, which picset does not read)."""
    width, height = 2, 2
    lightness, a, b = lab
    sample = struct.pack("<Hhh", round(lightness * 65535 / 100), a * 256, b * 256)
    pixels = sample * width * height
    entries = [
        (256, 3, 1, width),
        (257, 3, 1, height),
        (258, 3, 3, 0),  # patched to the offset of the bits-per-sample values
        (259, 3, 1, 1),
        (262, 3, 1, photometric),
        (273, 4, 1, 0),  # patched to the pixel offset
        (277, 3, 1, 3),
        (278, 3, 1, height),
        (279, 4, 1, len(pixels)),
    ]
    ifd_size = 2 + 12 * len(entries) + 4
    bits_offset = 8 + ifd_size
    pixel_offset = bits_offset + 6
    out = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        if tag == 258:
            value = bits_offset
        if tag == 273:
            value = pixel_offset
        packed = (
            struct.pack("<H", value) + b"\x00\x00"
            if kind == 3 and count == 1
            else (struct.pack("<I", value))
        )
        out += struct.pack("<HHI", tag, kind, count) + packed
    return out + b"\x00\x00\x00\x00" + struct.pack("<HHH", 16, 16, 16) + pixels


@pytest.mark.parametrize(
    ("data", "options", "error"),
    [
        pytest.param(make_image(64, 48), Options(max_bytes=100), errors.TooLarge, id="size-cap"),
        pytest.param(
            make_image(400, 300), Options(max_pixels=100_000), errors.TooManyPixels, id="pixels"
        ),
        pytest.param(
            heif_file(ispe(17000, 17000)), SMALL, errors.TooManyPixels, id="avif-bomb-header"
        ),
        pytest.param(canvas_bomb_gif(), SMALL, errors.TooManyPixels, id="gif-canvas-bomb"),
        pytest.param(lab16_tiff(9), SMALL, errors.UnsupportedEncoding, id="tiff-icclab16"),
        pytest.param(b"II*\x00" + b"\xff" * 20, SMALL, errors.Corrupt, id="tiff-garbage"),
        pytest.param(b"\xff\xd8\xff" + b"\x00" * 30, SMALL, errors.Corrupt, id="jpeg-garbage"),
    ],
)
def test_guard_refuses(data, options, error):
    with pytest.raises(error) as raised:
        header_context(data, options)
    assert raised.value.message.endswith(".")


def test_tiff_encoding_names_what_it_found():
    assert tiff_encoding(lab16_tiff(9)) == "16-bit ICCLab"
    assert tiff_encoding(b"II*\x00\xff\xff\xff\xff") is None


@pytest.mark.parametrize(
    ("frames", "options", "kept", "noted"),
    [
        pytest.param(3, SMALL, 3, False, id="within-caps"),
        pytest.param(3, Options(widths=(40,), max_frames=2), 1, True, id="over-frame-cap"),
        pytest.param(3, Options(widths=(40,), max_pixels=32 * 24 * 2), 1, True, id="over-pixels"),
    ],
)
def test_guard_counts_frames_against_the_caps(frames, options, kept, noted):
    ctx = header_context(animated(frames), options)
    assert ctx.frames == kept
    assert bool(ctx.notes) is noted


#: A 32 x 24 screen whose second frame reaches to 50 x 40: Pillow grows the canvas.
GROWING = gif((32, 24), [Frame(0, 0, 32, 24, 1, 5), Frame(20, 10, 30, 30, 2, 7)])


@pytest.mark.parametrize(
    ("options", "kept", "size"),
    [
        pytest.param(SMALL, 2, (50, 40), id="animation-on-the-grown-canvas"),
        pytest.param(
            Options(widths=(40,), max_pixels=50 * 40 * 2 - 1), 1, (32, 24), id="canvas-over-cap"
        ),
    ],
)
def test_guard_caps_a_gif_by_its_grown_canvas(options, kept, size):
    ctx = header_context(GROWING, options)
    assert ctx.frames == kept
    assert (ctx.source_width, ctx.source_height) == size


def test_guard_reads_only_a_tiffs_first_page():
    ctx = header_context(two_page_tiff((60, 30), (20, 50)))
    assert ctx.frames == 1 and not ctx.animated
    assert (ctx.source_width, ctx.source_height) == (60, 30)
    assert ctx.header is not None and ctx.header.tell() == 0


# --- decode --------------------------------------------------------------------------------


def test_decode_puts_every_gif_frame_on_the_whole_canvas():
    ctx = header_context(GROWING)
    plan(ctx)
    decode(ctx)
    assert [frame.size for frame in ctx.animation] == [(50, 40), (50, 40)]
    assert ctx.durations == [50, 70]
    first = ctx.animation[0]
    assert first.getpixel((10, 10)) == (255, 0, 0, 255)
    assert first.getpixel((45, 35)) == (0, 0, 0, 0)  # beyond the first frame: transparent


def test_decode_keeps_every_frame_and_its_delay():
    ctx = header_context(animated(3))
    plan(ctx)
    decode(ctx)
    assert len(ctx.animation) == 3
    assert ctx.durations == [50, 60, 70]
    assert all(frame.mode == "RGBA" for frame in ctx.animation)
    assert ctx.image is ctx.animation[0]


def test_decode_uses_only_the_first_frame_over_the_cap():
    ctx = header_context(animated(3), Options(widths=(40,), max_frames=2))
    plan(ctx)
    decode(ctx)
    assert ctx.animation == []
    assert ctx.image is not None and not ctx.animated


@pytest.mark.parametrize(
    ("lab", "rgb"),
    [
        pytest.param((100, 0, 0), (255, 255, 255), id="white"),
        pytest.param((50, 0, 0), (119, 119, 119), id="mid-grey"),
        pytest.param((54, 81, 70), (255, 0, 0), id="red"),
        pytest.param((37, 22, -68), (40, 80, 200), id="blue"),
    ],
)
def test_a_16_bit_cielab_tiff_decodes_to_its_colour(lab, rgb):
    ctx = run(Context(data=lab16_tiff(8, lab), options=Options(widths=(2,))))
    got = Image.open(io.BytesIO(next(o.body for o in ctx.outputs if o.format == "jpeg")))
    pixel = got.convert("RGB").getpixel((0, 0))
    assert isinstance(pixel, tuple)
    assert max(abs(x - y) for x, y in zip(pixel, rgb, strict=True)) <= 12, pixel


# --- orient --------------------------------------------------------------------------------


def marked() -> Image.Image:
    """A 4 x 2 picture with one red pixel at the top left and a blue one beside it."""
    image = Image.new("RGB", (4, 2), "white")
    image.putpixel((0, 0), (255, 0, 0))
    image.putpixel((1, 0), (0, 0, 255))
    return image


# What a camera stores for each orientation, made from the upright picture: the inverse
# of the transposition that undoes it (rotations invert, flips undo themselves).
STORED = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


@pytest.mark.parametrize("orientation", [pytest.param(n, id=f"orientation-{n}") for n in STORED])
def test_upright_undoes_every_orientation(orientation):
    method = STORED[orientation]
    stored = marked() if method is None else marked().transpose(method)
    assert upright(stored, orientation).tobytes() == marked().tobytes()
    assert orientation == 1 or orientation in TRANSPOSE


@pytest.mark.parametrize("orientation", [pytest.param(n, id=f"exif-{n}") for n in STORED])
def test_pipeline_turns_a_jpeg_upright_by_its_exif(orientation):
    big = marked().resize((400, 200), Image.Resampling.NEAREST)
    method = STORED[orientation]
    stored = big if method is None else big.transpose(method)
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    stored.save(buffer, "PNG", exif=exif)
    ctx = run(Context(data=buffer.getvalue(), options=Options(widths=(200,))))
    assert (ctx.display_width, ctx.display_height) == (400, 200)
    for out in ctx.outputs:
        decoded = Image.open(io.BytesIO(out.body)).convert("RGB")
        assert decoded.size == (200, 100)
        red, green, blue = decoded.getpixel((10, 10))  # type: ignore[misc]
        assert red > 200 and green < 60 and blue < 60, (out.format, (red, green, blue))
        assert 0x0112 not in decoded.getexif()


# --- colour --------------------------------------------------------------------------------


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def grey16(value: int) -> Image.Image:
    return Image.new("I;16", (4, 4), value)


@pytest.mark.parametrize(
    ("image", "icc", "mode", "pixel"),
    [
        pytest.param(grey16(65535), None, "RGB", (255, 255, 255), id="16-bit-white"),
        pytest.param(grey16(32896), None, "RGB", (128, 128, 128), id="16-bit-mid-grey"),
        pytest.param(Image.new("L", (4, 4), 77), None, "RGB", (77, 77, 77), id="grey-neutral"),
        pytest.param(
            Image.new("RGB", (4, 4), (10, 200, 30)), srgb_icc(), "RGB", (10, 200, 30), id="srgb"
        ),
        pytest.param(Image.new("LA", (4, 4), (90, 0)), None, "RGBA", (90, 90, 90, 0), id="la"),
        pytest.param(
            Image.new("RGBA", (4, 4), (1, 2, 3, 255)), None, "RGB", (1, 2, 3), id="opaque-alpha"
        ),
        pytest.param(Image.new("1", (4, 4), 1), None, "RGB", (255, 255, 255), id="bilevel"),
    ],
)
def test_to_srgb(image, icc, mode, pixel):
    converted = to_srgb(image, icc)
    assert converted.mode == mode
    assert converted.getpixel((0, 0)) == pixel


def test_palette_transparency_becomes_alpha():
    image = Image.new("P", (4, 4), 1)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.info["transparency"] = 0
    image.putpixel((0, 0), 0)
    converted = to_srgb(image, None)
    assert converted.mode == "RGBA" and has_transparency(converted)
    assert converted.getpixel((1, 1)) == (255, 0, 0, 255)


@pytest.mark.parametrize(
    ("cmyk", "expected", "tolerance"),
    [
        # Paper white maps to white, full black ink to near black: through a real profile.
        pytest.param((0, 0, 0, 0), (255, 255, 255), 6, id="paper-white"),
        pytest.param((0, 0, 0, 255), (35, 31, 32), 25, id="black-ink"),
        # Pure cyan ink is a muted blue-green in print, not the (0, 255, 255) a naive
        # conversion gives.
        pytest.param((255, 0, 0, 0), (0, 174, 239), 30, id="cyan-ink"),
    ],
)
def test_cmyk_without_a_profile_goes_through_the_fallback(cmyk, expected, tolerance):
    converted = to_srgb(Image.new("CMYK", (2, 2), cmyk), None)
    got = converted.getpixel((0, 0))
    assert isinstance(got, tuple)
    assert max(abs(a - b) for a, b in zip(got, expected, strict=True)) <= tolerance, got
    if cmyk != (0, 0, 0, 0):
        assert got != Image.new("CMYK", (1, 1), cmyk).convert("RGB").getpixel((0, 0))


def test_lab_image_is_converted_to_srgb():
    white = Image.new("LAB", (2, 2), (255, 128, 128))  # L=100, a=b=0 (a, b offset by 128)
    got = to_srgb(white, None).getpixel((0, 0))
    assert isinstance(got, tuple) and min(got) >= 253


def test_an_unusable_profile_is_noted_not_fatal():
    notes: list[str] = []
    converted = to_srgb(Image.new("RGB", (2, 2), (9, 8, 7)), b"not a profile", notes)
    assert converted.getpixel((0, 0)) == (9, 8, 7)
    assert notes


def test_colour_gives_every_frame_one_mode():
    ctx = Context(data=b"")
    ctx.animation = [Image.new("RGBA", (4, 4), (255, 0, 0, 255)), Image.new("RGBA", (4, 4))]
    ctx.image = ctx.animation[0]
    colour(ctx)
    assert [frame.mode for frame in ctx.animation] == ["RGBA", "RGBA"]
    assert ctx.has_alpha


# --- resize --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "sizes"),
    [
        pytest.param((1000, 500), [(800, 400), (400, 200), (100, 50)], id="cascade"),
        pytest.param((400, 200), [(400, 200), (100, 50)], id="first-is-source-size"),
    ],
)
def test_cascade_makes_each_size(source, sizes):
    made = cascade(Image.new("RGB", source, "red"), sizes)
    assert [image.size for image in made] == sizes
    assert all(image.info == {} for image in made)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG", "AVIF"])
def test_animation_is_resized_frame_by_frame(fmt):
    ctx = run(Context(data=animated(3, (64, 48), fmt=fmt), options=Options(widths=(32,))))
    assert ctx.animated and ctx.frames == 3
    assert {o.format for o in ctx.outputs} == {"avif", "webp", "gif"}
    for out in ctx.outputs:
        decoded = Image.open(io.BytesIO(out.body))
        assert decoded.size == (32, 24)
        assert getattr(decoded, "n_frames", 1) == 3, out.format


# --- encode --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("formats", "alpha", "animated", "expected"),
    [
        pytest.param(("avif", "webp", "jpeg"), False, False, ["avif", "webp", "jpeg"], id="photo"),
        pytest.param(("avif", "webp", "jpeg"), True, False, ["avif", "webp", "png"], id="alpha"),
        pytest.param(("avif", "webp", "jpeg"), True, True, ["avif", "webp", "gif"], id="anim"),
        pytest.param(("webp", "jpeg"), False, False, ["webp", "jpeg"], id="no-avif"),
        pytest.param(("jpeg",), False, True, ["gif"], id="only-fallback-animated"),
    ],
)
def test_output_formats(formats, alpha, animated, expected):
    assert output_formats(Options(formats=formats), alpha, animated) == expected


@pytest.mark.parametrize("fmt", ["avif", "webp", "jpeg", "png", "gif"])
def test_encode_writes_no_metadata(fmt):
    image = Image.new("RGB", (32, 32), "orange")
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Camera maker"
    image.info.update(exif=exif.tobytes(), comment=b"secret", icc_profile=srgb_icc())
    decoded = Image.open(io.BytesIO(encode_one(image, fmt, Options())))
    assert len(decoded.getexif()) == 0
    assert not {"exif", "comment", "xmp", "icc_profile"} & set(decoded.info)


# --- describe ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "colour"),
    [
        pytest.param(Image.new("RGB", (50, 40), (200, 30, 20)), "#c81e14", id="opaque"),
        pytest.param(Image.new("RGBA", (50, 40), (0, 0, 0, 0)), "#000000", id="all-transparent"),
    ],
)
def test_dominant_colour(image, colour):
    assert dominant_color(image) == colour


def test_dominant_colour_ignores_transparent_pixels():
    """Transparent pixels are black here, as encoders often leave them; the visible
    quarter is what a person sees."""
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    image.paste((20, 120, 220, 255), (0, 0, 32, 32))
    assert dominant_color(image) == "#1478dc"


def test_placeholder_is_a_small_data_uri():
    uri = placeholder_uri(Image.new("RGBA", (640, 480), (20, 120, 220, 128)))
    assert uri.startswith("data:image/webp;base64,") and len(uri) <= 1024


# --- HEIF and AVIF ------------------------------------------------------------------------


def red_corner_photo() -> Image.Image:
    image = Image.new("RGB", (400, 200), "white")
    image.paste((255, 0, 0), (0, 0, 100, 100))
    return image


def test_avif_rotation_is_honoured():
    """Pillow's AVIF encoder turns EXIF orientation 6 into an `irot`/`imir` transform in
    the container; read back, the picture must come out turned upright."""
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    red_corner_photo().save(buffer, "AVIF", exif=exif, quality=90)
    ctx = run(Context(data=buffer.getvalue(), options=Options(widths=(100,))))
    assert (ctx.display_width, ctx.display_height) == (200, 400)
    jpeg = Image.open(io.BytesIO(next(o.body for o in ctx.outputs if o.format == "jpeg")))
    assert jpeg.size == (100, 200)
    red = jpeg.convert("RGB").getpixel((95, 5))  # the red corner turned to the top right
    assert isinstance(red, tuple) and red[0] > 200 and red[1] < 60


def test_heic_is_decoded_through_pillow_heif():
    buffer = io.BytesIO()
    red_corner_photo().save(buffer, "HEIF", quality=90)
    ctx = run(Context(data=buffer.getvalue(), options=Options(widths=(100,))))
    assert ctx.format == "heif"
    assert (ctx.display_width, ctx.display_height) == (400, 200)
    assert {o.format for o in ctx.outputs} == {"avif", "webp", "jpeg"}


def test_an_animation_gets_the_fewest_widths_spaced_by_area():
    through_space = STEPS[: [name for name, _ in STEPS].index("space") + 1]
    ctx = run(Context(data=animated(3, (1200, 900))), through_space)
    assert ctx.animated
    assert len(ctx.widths) == FEWEST
    assert ctx.widths[0] == 320 and ctx.widths[-1] == 1200
