"""Step: read the header and refuse what is too big before anything is decoded.

A 1 KB file can declare 17000 x 17000 pixels; decoding it would take gigabytes. The
size cap and the pixel cap (canvas width x height x frames kept) are checked here, from
the header alone, so a decompression bomb fails fast and in bounded memory. AVIF and HEIF
sizes are read from the container's boxes first, because libavif will not even open a
file over its own dimension limit and would make a bomb look like a merely broken file.
A GIF's frames are read from its block structure (`gif`), because a later frame can
grow the canvas far past the size the header states. Only the formats `sniff` names as
animating count frames; for any other the one image decoded is the primary one, so its
size is the only one that matters.
"""

from __future__ import annotations

import io
import re
import warnings

import pillow_heif
from PIL import Image, TiffImagePlugin, UnidentifiedImageError

from ..errors import Corrupt, TooLarge, TooManyPixels, UnsupportedEncoding
from . import gif
from .context import Context
from .decoding import decoding
from .isobmff import declared_size
from .sniff import may_animate
from .tifflab import register as register_tiff_lab16

pillow_heif.register_heif_opener()
register_tiff_lab16()

ORIENTATION_TAG = 0x0112
TIFF_PHOTOMETRIC = {
    0: "black-is-zero greyscale",
    1: "greyscale",
    2: "RGB",
    3: "palette",
    4: "mask",
    5: "CMYK",
    6: "YCbCr",
    8: "CIELab",
    9: "ICCLab",
    10: "ITULab",
    32844: "LogL",
    32845: "LogLuv",
}


def check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width < 1 or height < 1:
        raise Corrupt("This image declares no pixels at all.")
    if width * height > max_pixels:
        raise TooManyPixels(
            f"This image is {width:,} x {height:,} pixels "
            f"({width * height / 1e6:,.0f} MP); the limit is {max_pixels / 1e6:,.0f} MP. "
            "Upload a smaller image."
        )


def guard(ctx: Context) -> None:
    limits = ctx.options
    if len(ctx.data) > limits.max_bytes:
        raise TooLarge(
            f"This file is {len(ctx.data):,} bytes; the limit is {limits.max_bytes:,} bytes."
        )
    layout = None
    if ctx.format == "gif":
        # Pillow grows a GIF's canvas to fit any frame that reaches past the screen: a
        # 64 x 64 screen can still decode a 12000 x 12000 frame. The real canvas, from
        # every frame's descriptor, is what is capped.
        layout = gif.layout(ctx.data)
        check_pixels(*layout.canvas, limits.max_pixels)
    if ctx.format in ("avif", "heif"):
        declared = declared_size(ctx.data)
        if declared is not None:
            check_pixels(*declared, limits.max_pixels)
    header = _open(ctx)
    with decoding("reading the header"):
        width, height = header.size
        check_pixels(width, height, limits.max_pixels)
        frames = _frames(ctx, header, layout)
        orientation = _orientation(header)
    canvas = layout.canvas if layout is not None else (width, height)
    kept = frames if frames <= limits.max_frames else 1
    if canvas[0] * canvas[1] * kept > limits.max_pixels:
        # Too many pixels for the whole animation: keep the still first frame instead.
        kept = 1
    if kept > 1:
        # Every frame is decoded onto the whole canvas (see decode).
        width, height = canvas
    ctx.header = header
    ctx.source_width, ctx.source_height = width, height
    ctx.frames = kept
    ctx.orientation = orientation
    if frames > kept:
        ctx.notes.append(
            f"The animation has {frames} frames, over the limit of {limits.max_frames} "
            f"frames or {limits.max_pixels / 1e6:,.0f} MP in all; only its first frame is used."
        )


def _frames(ctx: Context, header: Image.Image, layout: gif.Layout | None) -> int:
    """The animation's frame count; 1 for a still, whatever else its container holds.

    An MPO's preview, a TIFF's later pages and a HEIF's other items are never counted or
    decoded: the decoder opens on the primary image (the first JPEG, page 1, the HEIF's
    primary item) and decode reads only that one. A later TIFF page can declare any size
    (gigapixels in a few bytes); since it is never read, page 1's size is the cap."""
    if not may_animate(ctx.format, header.format):
        return 1
    if layout is not None:
        return layout.frames
    return int(getattr(header, "n_frames", 1) or 1)


def _open(ctx: Context) -> Image.Image:
    with decoding("reading the header"):
        try:
            return Image.open(io.BytesIO(ctx.data))
        except Image.DecompressionBombError as exc:
            # Pillow's own guard fires at open, before picset's, for sizes over twice
            # Image.MAX_IMAGE_PIXELS (179 MP); its message names the pixel count.
            found = re.search(r"\((\d+) pixels\)", str(exc))
            size = f"{int(found.group(1)) / 1e6:,.0f} MP" if found else "more pixels"
            raise TooManyPixels(
                f"This image has {size}; the limit is {ctx.options.max_pixels / 1e6:,.0f} MP. "
                "Upload a smaller image.",
                detail=str(exc),
            ) from exc
        except UnidentifiedImageError as exc:
            encoding = tiff_encoding(ctx.data) if ctx.format == "tiff" else None
            if encoding is not None:
                raise UnsupportedEncoding(
                    f"This TIFF uses {encoding}, which picset cannot read. Save it as an "
                    "8-bit or 16-bit RGB TIFF, a JPEG or a PNG and upload it again.",
                    detail=str(exc),
                ) from exc
            raise Corrupt(detail=f"reading the header: {exc}") from exc


def tiff_encoding(data: bytes) -> str | None:
    """What a TIFF's first directory says it holds ("16-bit CIELab"), or None when the
    directory itself cannot be read (then the file is damaged, not merely unusual)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a damaged directory warns before it fails
        try:
            directory = TiffImagePlugin.ImageFileDirectory_v2(data[:8])
            stream = io.BytesIO(data)
            stream.seek(directory.next)
            directory.load(stream)
            photometric = int(directory[262])
            bits = directory.get(258, (1,))
        except Exception:  # any failure here means an unreadable directory
            return None
    depth = bits[0] if isinstance(bits, tuple) and bits else bits
    name = TIFF_PHOTOMETRIC.get(photometric, f"photometric interpretation {photometric}")
    return f"{depth}-bit {name}"


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(ORIENTATION_TAG, 1)
    except Exception:  # a broken EXIF block must not sink an otherwise good image
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1
