"""Step: choose the output widths. Pure: a function of the source size and the settings.

With `PICSET_WIDTHS` set, the widths are that list (`plan_widths`). Without it they are
spaced by bytes: this step, which sees only the header, fixes the two ends
(`plan_bounds`), so decode can pick its draft scale from the widest, and `space` fills in
the widths between once the pixels are decoded.
"""

from __future__ import annotations

import math

from .context import Context

#: No variant's height is below this, where the source allows: a 320 px variant of an
#: 8000 x 200 panorama would be 8 px tall, too thin to show anything.
MIN_SHORT_SIDE = 16
#: The ends of a byte-spaced list: nothing narrower is worth a file of its own (a phone
#: slot at 1x), nothing wider is needed (a full-width slot on a 1280 px screen at 2x).
NARROWEST = 320
WIDEST = 2560


def plan_widths(
    source_width: int, widths: tuple[int, ...] | list[int], source_height: int | None = None
) -> list[int]:
    """Widths to make, narrowest first: never upscale, de-duplicated, the source's own
    width when it is narrower than the widest configured one, and (given the height) no
    width whose variant would be under `MIN_SHORT_SIDE` px tall, unless nothing else is
    left, when the widest stays."""
    if source_width < 1:
        return []
    chosen = {w for w in widths if 0 < w <= source_width}
    if widths and source_width < max(widths):
        chosen.add(source_width)
    planned = sorted(chosen)
    if source_height is None:
        return planned
    tall_enough = [
        w for w in planned if scaled_height(w, source_width, source_height) >= MIN_SHORT_SIDE
    ]
    return tall_enough or planned[-1:]


def plan_bounds(source_width: int, source_height: int | None = None) -> list[int]:
    """The narrowest and widest width of a byte-spaced list: `NARROWEST` (or, for a thin
    source, the first width whose variant is `MIN_SHORT_SIDE` px tall) and the source's
    width up to `WIDEST`. One width when they meet: a source narrower than `NARROWEST`
    gives its own, a source too thin for any other width its widest."""
    if source_width < 1:
        return []
    widest = min(WIDEST, source_width)
    narrowest = min(NARROWEST, widest)
    if source_height:
        narrowest = max(narrowest, math.ceil(MIN_SHORT_SIDE * source_width / source_height))
    return [widest] if narrowest >= widest else [narrowest, widest]


def scaled_height(width: int, source_width: int, source_height: int) -> int:
    return max(1, round(source_height * width / source_width))


def plan(ctx: Context) -> None:
    if ctx.orientation in (5, 6, 7, 8):
        ctx.display_width, ctx.display_height = ctx.source_height, ctx.source_width
    else:
        ctx.display_width, ctx.display_height = ctx.source_width, ctx.source_height
    if ctx.options.spaced_by_bytes:
        ctx.widths = plan_bounds(ctx.display_width, ctx.display_height)
    else:
        ctx.widths = plan_widths(ctx.display_width, ctx.options.widths, ctx.display_height)
