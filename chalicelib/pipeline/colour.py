"""Step: bring every image to 8-bit sRGB (with alpha only when it is really used).

Browsers assume untagged images are sRGB, and picset's variants carry no profile, so the
pixels themselves must be sRGB: the embedded ICC profile is applied with LittleCMS
(Adobe RGB, Display P3, ProPhoto, grey gamma, jpegli's XYB, CMYK all convert correctly).
CMYK without a profile goes through a bundled CMYK profile (`chalicelib/profiles`), since
a naive `convert("RGB")` ignores how inks mix and lands visibly off (about 12 ΔE on the
corpus's CMYK photo, against about 2.4 through the fallback). 16-bit samples are scaled
to 8-bit, palettes expanded, and an alpha channel that is fully opaque dropped.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageChops, ImageCms

from .context import Context
from .decoding import decoding

FALLBACK_CMYK = Path(__file__).resolve().parent.parent / "profiles" / "cmyk-fallback.icc"
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_LAB = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB", 5000))


@lru_cache(maxsize=1)
def fallback_cmyk_profile() -> bytes:
    return FALLBACK_CMYK.read_bytes()


@lru_cache(maxsize=32)
def _transform(icc: bytes | None, in_mode: str) -> ImageCms.ImageCmsTransform:
    source = _LAB if icc is None else ImageCms.ImageCmsProfile(io.BytesIO(icc))
    return ImageCms.buildTransform(
        source, _SRGB, in_mode, "RGB", renderingIntent=ImageCms.Intent.PERCEPTUAL
    )


#: A conversion that moves no colour by more than this many levels is rounding, not colour.
MAX_ROUNDING = 1
#: Every 5th level of each channel, and 255: the grid `is_identity` checks a profile on.
_PROBE_LEVELS = bytes(sorted({*range(0, 256, 5), 255}))


@lru_cache(maxsize=1)
def _probe(mode: str) -> Image.Image:
    """Colours spread over the whole cube (RGB) or every grey level (L)."""
    if mode == "L":
        return Image.frombytes("L", (256, 1), bytes(range(256)))
    levels, n = _PROBE_LEVELS, len(_PROBE_LEVELS)
    red = levels * (n * n)
    green = bytes(v for v in levels for _ in range(n)) * n
    blue = bytes(v for v in levels for _ in range(n * n))
    size = (n * n * n, 1)
    return Image.merge("RGB", [Image.frombytes("L", size, band) for band in (red, green, blue)])


@lru_cache(maxsize=32)
def is_identity(icc: bytes, in_mode: str) -> bool:
    """True when this profile's conversion to sRGB leaves every colour as it is, to
    within one level of rounding.

    Most photos embed sRGB itself (or a near copy of it), and applying it still costs
    LittleCMS about 25 ns a pixel (some 130 ms CPU for a 2560 px variant) to change
    nothing visible. The conversion is smooth, so one that moves no colour of a grid over
    the whole cube by more than one level is skipped. Checked once per profile.
    """
    if in_mode not in ("RGB", "L"):
        return False
    probe = _probe(in_mode)
    converted = ImageCms.applyTransform(probe, _transform(icc, in_mode))
    if converted is None:
        return False
    extrema = ImageChops.difference(converted, probe.convert("RGB")).getextrema()
    return all(isinstance(band, tuple) and band[1] <= MAX_ROUNDING for band in extrema)


def _to_8bit(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # 16-bit grey: scale 0..65535 down to 0..255 (not clip, which would blow it out).
        return image.point(lambda v: v / 257).convert("L")
    if image.mode == "F":
        return image.convert("L")
    return image


def _expand(image: Image.Image) -> Image.Image:
    if image.mode in ("P", "PA"):
        return image.convert(
            "RGBA" if "transparency" in image.info or image.mode == "PA" else "RGB"
        )
    if image.mode == "1":
        return image.convert("L")
    return image


def _drop_opaque_alpha(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA") and not has_transparency(image):
        return image.convert("RGB" if image.mode == "RGBA" else "L")
    return image


def has_transparency(image: Image.Image) -> bool:
    if image.mode not in ("RGBA", "LA"):
        return False
    low, _high = image.getchannel("A").getextrema()
    return isinstance(low, int) and low < 255


def source_profile(mode: str, icc: bytes | None) -> bytes | None:
    """The profile to convert from: the embedded one, else the fallback for CMYK."""
    if icc:
        return icc
    if mode == "CMYK":
        return fallback_cmyk_profile()
    return None


def to_srgb(image: Image.Image, icc: bytes | None, notes: list[str] | None = None) -> Image.Image:
    """The same picture as 8-bit sRGB, RGB or RGBA."""
    image = _drop_opaque_alpha(_expand(_to_8bit(image)))
    alpha = image.getchannel("A") if image.mode in ("RGBA", "LA") else None
    base = image.convert("L" if image.mode == "LA" else "RGB") if alpha else image
    profile = source_profile(base.mode, icc)
    if base.mode == "LAB" or (profile and base.mode in ("RGB", "L", "CMYK")):
        try:
            if not (profile and is_identity(profile, base.mode)):
                base = ImageCms.applyTransform(base, _transform(profile, base.mode)) or base
        except (ImageCms.PyCMSError, OSError, ValueError):
            # A broken profile should not sink a picture that decodes fine.
            if notes is not None:
                notes.append("The embedded colour profile is unusable; colours were kept as is.")
    if base.mode != "RGB":
        base = base.convert("RGB")
    if alpha is not None:
        base.putalpha(alpha)
    return base


def colour(ctx: Context) -> None:
    assert ctx.image is not None
    with decoding("converting colours"):
        icc = ctx.image.info.get("icc_profile")
        icc = icc if isinstance(icc, bytes) else None
        if ctx.animation:
            # Every frame gets the same mode: alpha for all when any frame uses it.
            mode = "RGBA" if any(map(has_transparency, ctx.animation)) else "RGB"
            frames = [to_srgb(frame, icc).convert(mode) for frame in ctx.animation]
            ctx.animation = frames
            ctx.image = frames[0]
        else:
            ctx.image = to_srgb(ctx.image, icc, ctx.notes)
    ctx.image.info = {}
    ctx.has_alpha = ctx.image.mode == "RGBA"
