"""Step: bring every image to 8-bit sRGB (with alpha only when it is really used).

Browsers assume untagged images are sRGB, and picset's variants carry no profile, so the
pixels themselves must be sRGB: the embedded ICC profile is applied with LittleCMS
(Adobe RGB, Display P3, ProPhoto, grey, CMYK all convert correctly). 16-bit samples are
scaled to 8-bit, palettes expanded, and an alpha channel that is fully opaque dropped.
"""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageCms

from .context import Context
from .decoding import decoding

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@lru_cache(maxsize=32)
def _transform(icc: bytes, in_mode: str, out_mode: str) -> ImageCms.ImageCmsTransform:
    source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    return ImageCms.buildTransform(
        source, _SRGB, in_mode, out_mode, renderingIntent=ImageCms.Intent.PERCEPTUAL
    )


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
    if image.mode in ("RGBA", "LA"):
        low, _high = image.getchannel("A").getextrema()
        if low == 255:
            return image.convert("RGB" if image.mode == "RGBA" else "L")
    return image


def to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """The same picture as 8-bit sRGB, RGB or RGBA."""
    image = _drop_opaque_alpha(_expand(_to_8bit(image)))
    alpha = image.getchannel("A") if image.mode in ("RGBA", "LA") else None
    base = image.convert("L" if image.mode == "LA" else "RGB") if alpha else image
    if icc and base.mode in ("RGB", "L", "CMYK"):
        try:
            converted = ImageCms.applyTransform(base, _transform(icc, base.mode, "RGB"))
        except ImageCms.PyCMSError:
            converted = None
        if converted is not None:
            base = converted
    if base.mode != "RGB":
        base = base.convert("RGB")
    if alpha is not None:
        base.putalpha(alpha)
    return base


def colour(ctx: Context) -> None:
    assert ctx.image is not None
    with decoding("converting colours"):
        icc = ctx.image.info.get("icc_profile")
        ctx.image = to_srgb(ctx.image, icc if isinstance(icc, bytes) else None)
    ctx.image.info = {}
    ctx.has_alpha = ctx.image.mode == "RGBA"
