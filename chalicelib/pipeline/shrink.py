"""Step: bring a still image down to the widest planned width before colour work.

After decode (and JPEG's draft) a photo is often still far wider than the widest variant;
converting its colours and resizing it again at full size would touch every one of those
pixels twice more. Shrinking first (Lanczos, in parallel bands) lets the colour step and
the rest of the pipeline work on the pixels that are kept, and frees the full-size buffer
early. Colour conversion is per pixel, so converting after the shrink gives the same
picture to within rounding. Modes that need converting before they can be resampled well
(palettes, 1-bit, 16-bit) and animations are left to the later steps as before.
"""

from __future__ import annotations

from .context import Context
from .plan import scaled_height
from .resample import lanczos

#: Modes Lanczos resamples as they are; their colour conversion is per pixel.
SHRINKABLE = {"RGB", "RGBA", "L", "LA", "CMYK"}


def shrink(ctx: Context) -> None:
    image = ctx.image
    animated = ctx.animated or bool(ctx.animation)
    if image is None or animated or not ctx.widths or image.mode not in SHRINKABLE:
        return
    widest = max(ctx.widths)
    if image.width <= widest:
        return
    size = (widest, scaled_height(widest, ctx.display_width, ctx.display_height))
    ctx.image = lanczos(image, size, ctx.options.threads)
