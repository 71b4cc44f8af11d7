"""The pipeline over the real-world corpus (../shared/corpus): every file's outcome is
written down here and checked, the eight EXIF orientations must agree, and the variants
must match an independent colour-managed reference (`dev/imaging.py`).

Thresholds, in CIE76 ΔE on area averages (see `dev.imaging.delta_e`), on the widest
variant of each format; `python -m dev.corpus_report` prints every measured value:
* `MANAGED` = 3.0 mean. About 2.3 is the smallest difference a person sees side by side.
  Measured: at most 2.0 (the 128 px HEIC through AVIF), and on the profiled files at most
  about 1.6 (XYB; CMYK with SWOP v2); what remains is lossy encoding and a different
  resampling filter. The 16-bit CIELab TIFF is compared with a conversion by the CIE
  formulas in numpy (no LittleCMS at all): 2.1. Ignoring the profile instead lands 4.1
  (Display P3 photo), 5.8 (Generic RGB), 10.8 (CMYK), 11.6 (ProPhoto), 14.9 (FOGRA39
  CMYK) and 22.8 (XYB), so a missing or wrong conversion fails;
  `test_colour_matches_a_managed_reference` checks that for each of those files.
* `CMYK_FALLBACK` = 6.0 mean, for CMYK files without a profile, measured against the
  same pixels read through Photoshop's default U.S. Web Coated (SWOP) v2 profile (taken
  from the corpus's profiled twin). The fallback is built from other SWOP data (CGATS
  TR 005), so it cannot match exactly: measured 2.6 and 5.0, where a naive conversion
  lands 10.8 and 13.2.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import pytest
from PIL import Image

from chalicelib.errors import PicsetError
from chalicelib.pipeline import Context, Options, Output, run
from dev.imaging import delta_e, naive, open_bytes, reference
from tests.conftest import CORPUS

pytestmark = pytest.mark.corpus

READY = "ready"
#: Every corpus file and what must become of it: "ready", or the failure code.
EXPECTED: dict[str, str] = {
    "exif-sample-large.jpg": READY,
    "gain-map.jpg": READY,
    "2569067123_aca715a2ee_o.jpg": READY,
    "xmp_test.jpg": READY,
    "sample-xyb.jpg": READY,
    **{f"Landscape_{n}.jpg": READY for n in range(1, 9)},
    "Channel_digital_image_CMYK_color.jpg": READY,
    "Channel_digital_image_CMYK_color_no_profile.jpg": READY,
    "Giunchedi_cmyk-orientation-exif.jpg": READY,
    "concert.jpg": READY,
    "grey-8bit-alpha.png": READY,
    "libvips-sample-rgb16.png": READY,
    "blackbug.png": READY,
    "round_corner.png": READY,
    "old-style-jpeg-compression.png": READY,
    "rotating-squares.gif": READY,
    "rotating-squares.webp": READY,
    "4.webp": READY,
    "5_webp_a.webp": READY,
    "avif-orientation-6.avif": READY,
    "pitm.avif": READY,
    "hopper.heif": READY,
    "fogra-0-100-100-0.tif": READY,
    # 16-bit CIELab, which Pillow does not read by itself (see pipeline/tifflab.py).
    "cielab-dagams.tiff": READY,
    "truncated.jpg": "corrupt",
    "truncated_image.png": "corrupt",
    "prophoto.png": READY,
    "xmp_padded.jpg": READY,
    "giant-image.jpg": "too_many_pixels",
    "17000x17000.avif": "too_many_pixels",
    "65536-uint32-limit.png": "too_many_pixels",
}

#: What the ready files must show: display size after orientation, source format,
#: whether it keeps alpha, whether it is animated.
SHAPES: dict[str, tuple[tuple[int, int], str, bool, bool]] = {
    "avif-orientation-6.avif": ((3024, 4032), "avif", False, False),
    "Giunchedi_cmyk-orientation-exif.jpg": ((533, 800), "jpeg", False, False),
    "grey-8bit-alpha.png": ((400, 300), "png", True, False),
    "round_corner.png": ((800, 533), "png", True, False),
    "rotating-squares.gif": ((80, 80), "gif", True, True),
    "rotating-squares.webp": ((80, 80), "webp", True, True),
    "hopper.heif": ((128, 128), "heif", False, False),
    "fogra-0-100-100-0.tif": ((1000, 1000), "tiff", False, False),
    "cielab-dagams.tiff": ((400, 266), "tiff", False, False),
    **{f"Landscape_{n}.jpg": ((600, 450), "jpeg", False, False) for n in range(1, 9)},
}

MANAGED = 3.0
CMYK_FALLBACK = 6.0
NO_PROFILE_CMYK = (
    "Channel_digital_image_CMYK_color_no_profile.jpg",
    "Giunchedi_cmyk-orientation-exif.jpg",
)
#: Files whose profile changes what a person sees: ignoring it must fail the check.
PROFILE_MATTERS = (
    "Channel_digital_image_CMYK_color.jpg",
    "fogra-0-100-100-0.tif",
    "avif-orientation-6.avif",
    "prophoto.png",
    "sample-xyb.jpg",
    "cielab-dagams.tiff",
    *(f"Landscape_{n}.jpg" for n in range(2, 9)),
    *NO_PROFILE_CMYK,
)
OPTIONS = Options(widths=(320, 960))


def corpus_files() -> list[str]:
    if not CORPUS.is_dir():
        return sorted(EXPECTED)
    return sorted(p.name for p in CORPUS.iterdir() if p.suffix not in (".tsv", ".md"))


@cache
def outcome(name: str) -> Context | PicsetError:
    data = (CORPUS / name).read_bytes()
    try:
        return run(Context(data=data, options=OPTIONS))
    except PicsetError as exc:
        return exc


def ready(name: str) -> Context:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    result = outcome(name)
    assert isinstance(result, Context), f"{name} failed: {result}"
    return result


def widest(ctx: Context) -> list[Output]:
    top = max(o.width for o in ctx.outputs)
    return [o for o in ctx.outputs if o.width == top]


def test_every_corpus_file_has_an_expected_outcome(corpus: Path):
    assert sorted(EXPECTED) == corpus_files()


@pytest.mark.parametrize("name", corpus_files())
def test_outcome(corpus: Path, name: str):
    result = outcome(name)
    got = READY if isinstance(result, Context) else result.code
    assert got == EXPECTED[name], getattr(result, "detail", "")
    if isinstance(result, PicsetError):
        assert result.message and result.message[-1] == "."
        return
    assert result.outputs, "a ready image has variants"
    assert result.placeholder and len(result.placeholder) <= 1024
    assert result.color and result.color.startswith("#")
    for out in result.outputs:
        decoded = open_bytes(out.body)
        assert decoded.size == (out.width, out.height)
        # Same shape as the upright source, to the rounding of one pixel.
        assert abs(out.height - out.width * result.display_height / result.display_width) <= 1
        exif = decoded.getexif()
        assert 0x0112 not in exif and 0x8825 not in exif and 0x927C not in exif
        assert not {"xmp", "XML:com.adobe.xmp", "comment", "exif"} & set(decoded.info)
        profile = decoded.info.get("icc_profile")
        assert not profile or b"sRGB" in profile


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_shape(corpus: Path, name: str):
    ctx = ready(name)
    size, fmt, alpha, animated = SHAPES[name]
    assert (ctx.display_width, ctx.display_height) == size
    assert (ctx.format, ctx.has_alpha, ctx.animated) == (fmt, alpha, animated)


def test_the_eight_orientations_give_the_same_upright_picture(corpus: Path):
    """Landscape_1 has no profile and the others a Generic RGB one, so they are compared
    as pixels of the same colour-managed picture: the worst mean ΔE to Landscape_1."""
    first = {o.format: open_bytes(o.body) for o in widest(ready("Landscape_1.jpg"))}
    for n in range(2, 9):
        for out in widest(ready(f"Landscape_{n}.jpg")):
            mean, _p95 = delta_e(open_bytes(out.body), first[out.format])
            # Generic RGB vs untagged differ by ~5.8 ΔE (colour), a wrong turn by > 20.
            assert mean < 8.0, (n, out.format, mean)
            assert open_bytes(out.body).size == (600, 450)


@pytest.mark.parametrize("name", [n for n in sorted(EXPECTED) if EXPECTED[n] == READY])
def test_colour_matches_a_managed_reference(corpus: Path, name: str):
    ctx = ready(name)
    override = None
    limit = MANAGED
    if name in NO_PROFILE_CMYK:
        twin = Image.open(CORPUS / "Channel_digital_image_CMYK_color.jpg")
        override = twin.info["icc_profile"]
        limit = CMYK_FALLBACK
    for out in widest(ctx):
        variant = open_bytes(out.body)
        mean, p95 = delta_e(variant, reference(CORPUS / name, variant.size, override))
        assert mean <= limit, (out.format, mean, p95)
    if name in PROFILE_MATTERS:
        size = (ctx.outputs[0].width, ctx.outputs[0].height)
        ignored, _ = delta_e(naive(CORPUS / name, size), reference(CORPUS / name, size, override))
        assert ignored > limit, "the check could not tell a missing conversion"


def total_ms(image: Image.Image) -> int:
    total = 0
    for index in range(getattr(image, "n_frames", 1)):
        image.seek(index)
        image.load()  # WebP and AVIF read a frame's duration as they decode it
        total += int(image.info.get("duration", 0))
    return total


@pytest.mark.parametrize("name", ["rotating-squares.gif", "rotating-squares.webp"])
def test_animation_is_kept_in_webp_avif_and_gif(corpus: Path, name: str):
    """Encoders may merge identical neighbouring frames, so the check is that each
    variant is animated and runs as long as the source."""
    ctx = ready(name)
    source = Image.open(CORPUS / name)
    frames = int(getattr(source, "n_frames", 1))
    assert ctx.frames == frames
    length = total_ms(source)
    assert {o.format for o in ctx.outputs} == {"avif", "webp", "gif"}
    for out in ctx.outputs:
        decoded = Image.open(io.BytesIO(out.body))
        assert getattr(decoded, "n_frames", 1) > 1, out.format
        assert abs(total_ms(decoded) - length) <= 10 * frames, out.format
