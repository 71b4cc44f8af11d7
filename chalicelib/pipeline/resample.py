"""Lanczos resizing split into horizontal bands that run in parallel threads.

Pillow releases the GIL while it resamples, so bands resized in threads use every core.
Each band is `resize(..., box=...)` over its own rows of the source: Pillow reads the
filter's support beyond the box's edges from the rest of the image, so the bands join
into the same picture a single resize gives, without seams. Smaller bands also keep
Pillow's intermediate buffer (output width x source rows) small.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from PIL import Image

LANCZOS = Image.Resampling.LANCZOS
#: Below this many output pixels threads cost more than they save.
PARALLEL_MIN_PIXELS = 250_000
#: Bands per thread: more bands keep memory per band small and the threads evenly busy.
BANDS_PER_THREAD = 4
#: As Pillow's `reducing_gap=3.0`: shrink by an integer factor (a fast box filter) while
#: the Lanczos step that follows still reduces at least 3x; indistinguishable from a
#: plain Lanczos, and much cheaper for a very large source.
REDUCING_GAP = 3.0
#: Modes whose alpha Pillow premultiplies for resizing; done once here, not per band.
PREMULTIPLIED = {"RGBA": "RGBa", "LA": "La"}


def band_edges(rows: int, bands: int) -> list[int]:
    """Row boundaries splitting `rows` output rows into at most `bands` even bands."""
    bands = max(1, min(bands, rows))
    return [round(rows * i / bands) for i in range(bands + 1)]


def lanczos(image: Image.Image, size: tuple[int, int], threads: int = 0) -> Image.Image:
    """`image` resized to `size` with Lanczos, in bands over `threads` threads (0: one
    per CPU). The result carries the source's `info` (its ICC profile, for one)."""
    workers = threads or os.cpu_count() or 1
    if size == image.size:
        return image
    factor = int(min(image.width / size[0], image.height / size[1]) / REDUCING_GAP)
    if factor > 1:
        info = image.info
        image = image.reduce(factor)
        image.info = info
    if workers == 1 or size[0] * size[1] < PARALLEL_MIN_PIXELS or image.mode not in _BANDED:
        return image.resize(size, LANCZOS)
    source = image.convert(PREMULTIPLIED[image.mode]) if image.mode in PREMULTIPLIED else image
    resized = _banded(source, size, workers)
    if source is not image:
        resized = resized.convert(image.mode)
    resized.info = image.info.copy()
    return resized


#: Modes Pillow resamples directly (after premultiplying alpha).
_BANDED = {"RGB", "RGBA", "RGBX", "L", "LA", "CMYK", "I", "F"}


def _banded(source: Image.Image, size: tuple[int, int], workers: int) -> Image.Image:
    width, height = size
    scale = source.height / height
    edges = band_edges(height, workers * BANDS_PER_THREAD)
    source.load()

    def band(index: int) -> Image.Image:
        top, bottom = edges[index], edges[index + 1]
        box = (0.0, top * scale, float(source.width), bottom * scale)
        return source.resize((width, bottom - top), LANCZOS, box=box)

    result = Image.new(source.mode, size)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        # Bands are pasted in order as they finish, so few are held at once.
        for top, piece in zip(edges, pool.map(band, range(len(edges) - 1)), strict=False):
            result.paste(piece, (0, top))
    return result
