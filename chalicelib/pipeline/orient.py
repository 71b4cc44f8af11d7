"""Step: turn the pixels upright by their orientation; no output keeps the tag.

The orientation was read once, by the guard, from EXIF (Pillow maps an AVIF's `irot` and
`imir` boxes into it; pillow-heif applies a HEIC's own transforms while decoding), and the
planned display size already assumes it, so the pixels are turned by that same value.
"""

from __future__ import annotations

from PIL import Image

from .context import Context
from .decoding import decoding

# The EXIF Orientation values 2..8 and the transposition that undoes each (as in the
# TIFF/EXIF specification: 6 means the camera was turned clockwise, so turn it back).
TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def upright(image: Image.Image, orientation: int) -> Image.Image:
    """The image as it is meant to be seen; the same object when already upright."""
    method = TRANSPOSE.get(orientation)
    if method is None:
        return image
    turned = image.transpose(method)
    if "icc_profile" in image.info:
        turned.info["icc_profile"] = image.info["icc_profile"]
    return turned


def orient(ctx: Context) -> None:
    assert ctx.image is not None
    with decoding("orienting"):
        if ctx.animation:
            ctx.animation = [upright(frame, ctx.orientation) for frame in ctx.animation]
            ctx.image = ctx.animation[0]
        else:
            ctx.image = upright(ctx.image, ctx.orientation)
    # Whatever EXIF the decoder kept (orientation, GPS, maker notes) goes no further.
    ctx.image.info.pop("exif", None)
