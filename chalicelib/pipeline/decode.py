"""Step: decode the pixels, at the smallest scale that still covers the widest variant.

For JPEG, `draft` lets libjpeg decode at 1/2, 1/4 or 1/8 scale directly, which saves
most of the decode time and memory for a large photo that only needs 2560 px. A 16-bit
CIELab TIFF comes out as Pillow's LAB mode (see `tifflab`). Any other container decodes
to one still, the primary image, however many images it holds. An animation the guard
let through (within the frame and pixel caps) is decoded frame by frame into full RGBA
canvases, since Pillow composites each GIF/WebP frame onto the last; each frame keeps
its own delay.
"""

from __future__ import annotations

from PIL import Image, ImageSequence

from .context import Context
from .decoding import decoding
from .plan import scaled_height
from .tifflab import as_lab, is_lab16

DEFAULT_FRAME_MS = 100  # what browsers assume for a GIF frame without a delay


def decode(ctx: Context) -> None:
    image = ctx.header
    assert image is not None, "guard runs before decode"
    with decoding("decoding"):
        if ctx.animated:
            _decode_animation(ctx, image)
        else:
            # One still: the image the decoder opened on (an MPO's first JPEG, a TIFF's
            # page 1, a HEIF's primary item); no other frame is ever read.
            if ctx.format == "jpeg" and ctx.widths:
                # An MPO is a JPEG too (Pillow's MpoImageFile), so it is drafted the same.
                image.draft(None, _draft_size(ctx))
            image.load()
            ctx.image = as_lab(image) if is_lab16(image) else image
    ctx.header = None


def _decode_animation(ctx: Context, image: Image.Image) -> None:
    icc = image.info.get("icc_profile")
    loop = image.info.get("loop", 0)
    canvas = (ctx.source_width, ctx.source_height)
    for frame in ImageSequence.Iterator(image):
        if len(ctx.animation) == ctx.frames:
            break
        # Load first: the WebP and AVIF decoders set a frame's `duration` when they load
        # it (GIF and APNG when they seek to it), so read before loading it is the
        # previous frame's delay.
        rgba = frame.convert("RGBA")
        ctx.durations.append(int(frame.info.get("duration") or DEFAULT_FRAME_MS))
        ctx.animation.append(_on_canvas(rgba, canvas))
    first = ctx.animation[0]
    if isinstance(icc, bytes):
        first.info["icc_profile"] = icc
    ctx.loop = int(loop) if isinstance(loop, int) else 0
    ctx.image = first


def _on_canvas(frame: Image.Image, canvas: tuple[int, int]) -> Image.Image:
    """The frame on the animation's whole canvas. Pillow grows a GIF's canvas as later
    frames reach past it, so its earlier frames come out smaller; the grown part is
    transparent, as it is in a browser."""
    if frame.size == canvas:
        return frame
    whole = Image.new("RGBA", canvas, (0, 0, 0, 0))
    whole.paste(frame, (0, 0))
    return whole


def _draft_size(ctx: Context) -> tuple[int, int]:
    """The decode size that covers the widest variant, in the file's own orientation."""
    widest = max(ctx.widths)
    tall = scaled_height(widest, ctx.display_width, ctx.display_height)
    if ctx.orientation in (5, 6, 7, 8):
        return tall, widest
    return widest, tall
