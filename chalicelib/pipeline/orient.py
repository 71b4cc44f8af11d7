"""Step: turn the pixels upright by their EXIF orientation; no output keeps the tag."""

from __future__ import annotations

from PIL import ImageOps

from .context import Context
from .decoding import decoding


def orient(ctx: Context) -> None:
    assert ctx.image is not None
    with decoding("orienting"):
        # In place: no copy of the pixels when the image is already upright.
        ImageOps.exif_transpose(ctx.image, in_place=True)
