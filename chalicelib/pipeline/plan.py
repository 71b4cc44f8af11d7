"""Step: choose the output widths. Pure: a function of the source size and the settings."""

from __future__ import annotations

from .context import Context


def plan_widths(source_width: int, widths: tuple[int, ...] | list[int]) -> list[int]:
    """Widths to make, narrowest first: never upscale, de-duplicated, and the source's
    own width when it is narrower than the widest configured one."""
    if source_width < 1:
        return []
    chosen = {w for w in widths if 0 < w <= source_width}
    if widths and source_width < max(widths):
        chosen.add(source_width)
    return sorted(chosen)


def scaled_height(width: int, source_width: int, source_height: int) -> int:
    return max(1, round(source_height * width / source_width))


def plan(ctx: Context) -> None:
    if ctx.orientation in (5, 6, 7, 8):
        ctx.display_width, ctx.display_height = ctx.source_height, ctx.source_width
    else:
        ctx.display_width, ctx.display_height = ctx.source_width, ctx.source_height
    ctx.widths = plan_widths(ctx.display_width, ctx.options.widths)
