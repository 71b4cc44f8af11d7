"""Step: make each planned width, each from the previous larger one.

Resizing 2560 -> 1920 -> 1280 -> ... costs far less than resizing the full original every
time, and with a Lanczos filter and steps of at most ~2x the results are visually the same.
Each resize runs in parallel bands (`resample.lanczos`).
"""

from __future__ import annotations

from .context import Context
from .plan import scaled_height
from .resample import lanczos


def resize(ctx: Context) -> None:
    current = ctx.image
    assert current is not None
    for width in sorted(ctx.widths, reverse=True):
        size = (width, scaled_height(width, ctx.display_width, ctx.display_height))
        if current.size != size:
            current = lanczos(current, size, ctx.options.threads)
        current.info = {}
        ctx.resized[width] = current
    ctx.image = None  # the full-size pixels are no longer needed: let them go
