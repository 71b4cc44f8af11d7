"""Step: read the header and refuse what is too big before anything is decoded.

A 1 KB file can declare 17000 x 17000 pixels; decoding it would take gigabytes. The
size cap and the pixel cap (width x height x frames kept) are checked here, from the
header alone, so a decompression bomb fails fast and in bounded memory.
"""

from __future__ import annotations

import io

import pillow_heif
from PIL import Image

from ..errors import TooLarge, TooManyPixels
from .context import Context
from .decoding import decoding

pillow_heif.register_heif_opener()

ORIENTATION_TAG = 0x0112


def guard(ctx: Context) -> None:
    limits = ctx.options
    if len(ctx.data) > limits.max_bytes:
        raise TooLarge(
            f"This file is {len(ctx.data):,} bytes; the limit is {limits.max_bytes:,} bytes."
        )
    with decoding("reading the header"):
        header = Image.open(io.BytesIO(ctx.data))
        width, height = header.size
        if width < 1 or height < 1:
            raise TooManyPixels("This image has no pixels.")
        if width * height > limits.max_pixels:
            raise TooManyPixels(
                f"This image is {width:,} x {height:,} pixels "
                f"({width * height / 1e6:.0f} MP); the limit is "
                f"{limits.max_pixels / 1e6:.0f} MP."
            )
        frames = int(getattr(header, "n_frames", 1) or 1)
        orientation = _orientation(header)
    kept = frames if frames <= limits.max_frames else 1
    if width * height * kept > limits.max_pixels:
        # Too many pixels for the whole animation: keep the still first frame instead.
        kept = 1
    ctx.header = header
    ctx.source_width, ctx.source_height = width, height
    ctx.frames = kept
    ctx.orientation = orientation
    if frames > kept:
        ctx.notes.append(
            f"animation of {frames} frames is over the cap; only the first frame is used"
        )


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(ORIENTATION_TAG, 1)
    except Exception:  # a broken EXIF block must not sink an otherwise good image
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1
