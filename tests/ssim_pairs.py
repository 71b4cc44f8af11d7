"""Image pairs for measuring an SSIMULACRA2 scorer against the reference implementation.

Every source is drawn in code from a fixed seed, and every distorted version is made by
Pillow's own encoders (JPEG, WebP, AVIF) or by a filter, so the same Pillow build gives the
same pixels on every machine. The reference scores in `tests/data/ssimulacra2-reference.json`
were computed on exactly these pixels; `pixels_sha256` is recorded beside each score so the
golden test can tell when an encoder or decoder upgrade changed the pixels it would score
(the pair is then skipped, not failed: its recorded score no longer applies).

The set spans what picset writes (AVIF at speed 8 and WebP at method 2, the deployed
defaults; JPEG with 4:2:0 chroma as Pillow writes it) across the score range from about 20
to about 95, over five kinds of content: a photo-like texture, noise, a flat graphic with
sharp edges and thin strokes, a smooth gradient, and a photo with transparency.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

import numpy as np
import PIL
from PIL import AvifImagePlugin, Image, ImageDraw, ImageFilter, features

Distortion = Callable[[Image.Image], Image.Image]


@dataclass(frozen=True)
class Pair:
    name: str
    source: Image.Image
    distorted: Image.Image

    @property
    def has_alpha(self) -> bool:
        return self.source.mode == "RGBA"


def pixels_sha256(image: Image.Image) -> str:
    """A hash of what a scorer sees: mode, size and the decoded pixels (not the encoded
    file, whose bytes may change with no change to the pixels, e.g. in metadata)."""
    digest = hashlib.sha256(f"{image.mode} {image.width}x{image.height}\n".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()


def encoder_versions() -> dict[str, str | None]:
    """What made and decoded the distorted pixels; a change here explains skipped pairs."""
    return {
        "pillow": PIL.__version__,
        "libjpeg_turbo": features.version("libjpeg_turbo"),
        "libwebp": features.version("webp"),
        "libavif": features.version("avif"),
        "aom": AvifImagePlugin.get_codec_version("aom"),
        "dav1d": AvifImagePlugin.get_codec_version("dav1d"),
        "numpy": np.__version__,
    }


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


# Sources -------------------------------------------------------------------------------


def _to_image(array: np.ndarray) -> Image.Image:
    clipped = np.clip(np.rint(array), 0, 255).astype(np.uint8)
    return Image.fromarray(clipped, "RGBA" if clipped.shape[2] == 4 else "RGB")


def _photo_array(width: int, height: int, seed: int) -> np.ndarray:
    """A colour gradient with texture at several scales and a little grain, like a photo."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    u, v = x / width, y / height
    base = np.stack([60 + 150 * u, 80 + 100 * v, 170 - 110 * u * v], axis=2)
    texture = (
        18 * np.sin(x / 7.0 + 3 * np.sin(y / 23.0))
        + 10 * np.sin((x + 2 * y) / 3.1)
        + 25 * np.sin(np.hypot(x - 0.3 * width, y - 0.6 * height) / 11.0)
    )
    grain = rng.normal(0.0, 5.0, (height, width, 3))
    return base + texture[:, :, None] * np.array([1.0, 0.8, 0.6]) + grain


def photo(width: int = 384, height: int = 256, seed: int = 1) -> Image.Image:
    return _to_image(_photo_array(width, height, seed))


def noise() -> Image.Image:
    rng = np.random.default_rng(2)
    return _to_image(128 + rng.normal(0.0, 45.0, (256, 256, 3)))


def graphic() -> Image.Image:
    """Flat colours, hard edges, one-pixel lines and rows of short strokes like small text."""
    image = Image.new("RGB", (320, 240), (250, 250, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 319, 36), fill=(20, 60, 140))
    draw.rectangle((16, 60, 140, 180), fill=(230, 80, 40), outline=(0, 0, 0), width=2)
    draw.ellipse((170, 60, 300, 190), fill=(40, 170, 90))
    for i in range(0, 320, 8):
        draw.line((i, 200, i + 40, 236), fill=(0, 0, 0), width=1)
    rng = np.random.default_rng(3)
    for row, top in enumerate((8, 20, 100, 130, 160)):
        x = 10 if row < 2 else 180
        limit = 300 if row < 2 else 310
        colour = (255, 255, 255) if row < 2 else (10, 10, 10)
        while x < limit:
            word = int(rng.integers(2, 7))
            for _ in range(word):
                glyph = int(rng.integers(0, 3))
                if glyph == 0:
                    draw.line((x, top, x, top + 9), fill=colour, width=1)
                elif glyph == 1:
                    draw.arc((x - 2, top + 3, x + 4, top + 9), 0, 360, fill=colour)
                else:
                    draw.line((x - 2, top + 9, x + 2, top), fill=colour, width=1)
                x += 6
            x += 7
    return image


def smooth() -> Image.Image:
    y, x = np.mgrid[0:320, 0:320].astype(np.float64)
    r = np.hypot(x - 100, y - 140) / 320
    return _to_image(np.stack([200 - 120 * r, 120 + 60 * x / 320, 90 + 100 * r * y / 320], 2))


def transparent() -> Image.Image:
    """A photo-like texture in a soft-edged disc; the fully transparent corners keep a
    colour that no viewer shows (encoders may replace it)."""
    rgb = _photo_array(256, 256, seed=4)
    y, x = np.mgrid[0:256, 0:256].astype(np.float64)
    edge = np.hypot(x - 128, y - 128)
    alpha = np.clip((110 - edge) * 12, 0, 255)
    alpha[100:140, 20:236] = np.minimum(alpha[100:140, 20:236], 140)  # a translucent band
    return _to_image(np.concatenate([rgb, alpha[:, :, None]], axis=2))


SOURCES: dict[str, Callable[[], Image.Image]] = {
    "photo": photo,
    "noise": noise,
    "graphic": graphic,
    "smooth": smooth,
    "alpha": transparent,
}


# Distortions ---------------------------------------------------------------------------


def _roundtrip(format_name: str, **options: object) -> Distortion:
    def distort(image: Image.Image) -> Image.Image:
        buffer = io.BytesIO()
        image.save(buffer, format_name, **options)
        buffer.seek(0)
        with Image.open(buffer) as decoded:
            return decoded.convert(image.mode)

    return distort


def jpeg(quality: int, subsampling: int = 2) -> Distortion:
    """Pillow's default chroma subsampling is 4:2:0 (2); 0 keeps full chroma (4:4:4)."""
    return _roundtrip("JPEG", quality=quality, subsampling=subsampling)


def webp(quality: int) -> Distortion:
    return _roundtrip("WEBP", quality=quality, method=2)


def avif(quality: int) -> Distortion:
    # One thread: the encoder's output must not depend on the machine's core count.
    return _roundtrip("AVIF", quality=quality, speed=8, max_threads=1)


def blur(radius: float) -> Distortion:
    return lambda image: image.filter(ImageFilter.GaussianBlur(radius))


def colour_shift(red: int, green: int, blue: int) -> Distortion:
    offsets = np.array([red, green, blue], dtype=np.int16)

    def distort(image: Image.Image) -> Image.Image:
        array = np.asarray(image).astype(np.int16)
        array[:, :, :3] += offsets
        return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8), image.mode)

    return distort


#: Pair name -> (source name, distortion). Names are "<source>-<distortion>".
DISTORTIONS: dict[str, Distortion] = {
    "jpeg-q10": jpeg(10),
    "jpeg-q15": jpeg(15),
    "jpeg-q20": jpeg(20),
    "jpeg-q50": jpeg(50),
    "jpeg-q70": jpeg(70),
    "jpeg-q90": jpeg(90),
    "jpeg-q97": jpeg(97),
    "jpeg-q97-444": jpeg(97, subsampling=0),
    "webp-q40": webp(40),
    "webp-q85": webp(85),
    "avif-q30": avif(30),
    "avif-q60": avif(60),
    "avif-q75": avif(75),
    "avif-q90": avif(90),
    "blur-1": blur(1.0),
    "shift-small": colour_shift(4, -3, 2),
}

#: Which distortions each source gets: pair names are "<source>-<distortion>". JPEG has no
#: alpha, so the transparent source is only written as WebP and AVIF, as picset does.
PLAN: dict[str, tuple[str, ...]] = {
    "photo": (
        "jpeg-q10",
        "jpeg-q20",
        "jpeg-q50",
        "jpeg-q90",
        "jpeg-q97",
        "jpeg-q97-444",
        "webp-q40",
        "webp-q85",
        "avif-q30",
        "avif-q60",
        "avif-q90",
        "blur-1",
        "shift-small",
    ),
    "noise": ("jpeg-q50", "jpeg-q70", "jpeg-q90", "webp-q40", "avif-q60", "avif-q75"),
    "graphic": (
        "jpeg-q20",
        "jpeg-q50",
        "jpeg-q90",
        "jpeg-q97",
        "webp-q40",
        "webp-q85",
        "avif-q30",
    ),
    "smooth": ("jpeg-q15", "jpeg-q50", "jpeg-q97-444", "webp-q40", "avif-q30", "shift-small"),
    "alpha": ("webp-q40", "webp-q85", "avif-q30", "avif-q60", "blur-1", "shift-small"),
}


@cache
def source(name: str) -> Image.Image:
    return SOURCES[name]()


def pair_names(*sources: str) -> list[str]:
    """Every pair's name, or only those of the named sources."""
    return [
        f"{src}-{dist}"
        for src, dists in PLAN.items()
        if not sources or src in sources
        for dist in dists
    ]


def make_pair(name: str) -> Pair:
    src, dist = name.split("-", 1)
    original = source(src)
    return Pair(name, original, DISTORTIONS[dist](original))


def all_pairs() -> Iterator[Pair]:
    for name in pair_names():
        yield make_pair(name)
