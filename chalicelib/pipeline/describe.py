"""Step: a tiny inline placeholder and a dominant colour, shown while the image loads."""

from __future__ import annotations

import base64
import io

from PIL import Image

from .context import Context

PLACEHOLDER_WIDTH = 16
PLACEHOLDER_LIMIT = 1024  # bytes of data URI; the page inlines it


def placeholder_uri(image: Image.Image) -> str:
    """A blurred-when-scaled WebP data URI of at most ~1 KB."""
    height = max(1, round(image.height * PLACEHOLDER_WIDTH / image.width))
    small = image.resize((PLACEHOLDER_WIDTH, height), Image.Resampling.BOX)
    for quality in (40, 20, 5):
        buffer = io.BytesIO()
        small.save(buffer, "WEBP", quality=quality)
        uri = "data:image/webp;base64," + base64.b64encode(buffer.getvalue()).decode()
        if len(uri) <= PLACEHOLDER_LIMIT:
            return uri
    return ""


def visible_pixels(image: Image.Image) -> Image.Image:
    """A 64 x 64 RGB sample of the picture, without its (mostly) transparent pixels,
    whose colour channels hold whatever the encoder left there (often black)."""
    small = image.convert("RGBA").resize((64, 64), Image.Resampling.BOX)
    raw = small.tobytes()
    kept = b"".join(raw[i : i + 3] for i in range(0, len(raw), 4) if raw[i + 3] >= 128)
    if not kept:
        return small.convert("RGB")
    return Image.frombytes("RGB", (len(kept) // 3, 1), kept)


def dominant_color(image: Image.Image) -> str:
    """The most common of a few representative visible colours, as #rrggbb."""
    sample = visible_pixels(image) if image.mode == "RGBA" else image.convert("RGB")
    if image.mode != "RGBA":
        sample = sample.resize((64, 64), Image.Resampling.BOX)
    palette_image = sample.quantize(colors=6, method=Image.Quantize.MEDIANCUT)
    counts = palette_image.getcolors() or [(1, 0)]
    _count, entry = max(counts, key=lambda pair: pair[0])
    index = int(entry) if isinstance(entry, int) else 0
    palette = palette_image.getpalette() or [0, 0, 0]
    red, green, blue = palette[index * 3 : index * 3 + 3]
    return f"#{red:02x}{green:02x}{blue:02x}"


def describe(ctx: Context) -> None:
    if not ctx.resized:
        return
    smallest = ctx.resized[min(ctx.resized)]
    ctx.placeholder = placeholder_uri(smallest)
    ctx.color = dominant_color(smallest)
