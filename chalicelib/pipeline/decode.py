"""Step: decode the pixels, at the smallest scale that still covers the widest variant.

For JPEG, `draft` lets libjpeg decode at 1/2, 1/4 or 1/8 scale directly, which saves
most of the decode time and memory for a large photo that only needs 2560 px.
"""

from __future__ import annotations

from .context import Context
from .decoding import decoding
from .plan import scaled_height


def decode(ctx: Context) -> None:
    image = ctx.header
    assert image is not None, "guard runs before decode"
    with decoding("decoding"):
        if ctx.format == "jpeg" and ctx.widths:
            image.draft(None, _draft_size(ctx))
        image.load()
    ctx.image = image
    ctx.header = None


def _draft_size(ctx: Context) -> tuple[int, int]:
    """The decode size that covers the widest variant, in the file's own orientation."""
    widest = max(ctx.widths)
    tall = scaled_height(widest, ctx.display_width, ctx.display_height)
    if ctx.orientation in (5, 6, 7, 8):
        return tall, widest
    return widest, tall
