"""Step: make each planned width, each from the previous larger one.

Resizing 2560 -> 1920 -> 1280 -> ... costs far less than resizing the full original every
time, and with a Lanczos filter and steps of at most ~2x the results are visually the same.
Each resize runs in parallel bands (`resample.lanczos`). An animation has every frame
resized the same way; its first frame doubles as the still.
"""

from __future__ import annotations

from PIL import Image

from .context import Context
from .plan import scaled_height
from .resample import lanczos


def cascade(
    image: Image.Image, sizes: list[tuple[int, int]], threads: int = 0
) -> list[Image.Image]:
    """The image at each size (widest first), each made from the one before."""
    made = []
    current = image
    for size in sizes:
        if current.size != size:
            current = lanczos(current, size, threads)
        current.info = {}
        made.append(current)
    return made


def resize(ctx: Context) -> None:
    assert ctx.image is not None
    widths = sorted(ctx.widths, reverse=True)
    sizes = [(w, scaled_height(w, ctx.display_width, ctx.display_height)) for w in widths]
    if ctx.animation:
        per_frame = [cascade(frame, sizes, ctx.options.threads) for frame in ctx.animation]
        for index, width in enumerate(widths):
            ctx.resized_frames[width] = [frame[index] for frame in per_frame]
            ctx.resized[width] = ctx.resized_frames[width][0]
        ctx.animation = []
    else:
        ctx.resized = dict(zip(widths, cascade(ctx.image, sizes, ctx.options.threads), strict=True))
    ctx.image = None  # the full-size pixels are no longer needed: let them go
