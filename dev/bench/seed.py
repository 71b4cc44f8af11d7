"""The seed tutorial's resize, re-implemented from its description as the baseline.

The tutorial opens the upload once, and for each of five boxes takes a `copy()`, shrinks
it with `thumbnail(box, LANCZOS)` and saves it in the source's own format with
`optimize=True, quality=95`. Here the files go to memory instead of disk, so the
comparison with picset (which hands bytes to S3) measures image work only.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable

from PIL import Image

#: The tutorial's boxes, its typo (768 x 786) included.
SEED_BOXES: tuple[tuple[int, int], ...] = (
    (30, 30),
    (540, 540),
    (768, 786),
    (1080, 1080),
    (1200, 1200),
)

#: The tutorial saves with the upload's extension; these are the formats that means.
SAVE_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "avif": "AVIF", "gif": "GIF"}


def fit_in_box(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The size `Image.thumbnail(box)` gives, computed without pixels: fit inside the box,
    keep the aspect ratio (rounding the way Pillow does), never grow."""
    width, height = size
    x, y = box
    if x >= width and y >= height:
        return width, height
    aspect = width / height
    if x / y >= aspect:
        x = _round_aspect(y * aspect, lambda n: abs(aspect - n / y))
    else:
        y = _round_aspect(x / aspect, lambda n: 0 if n == 0 else abs(aspect - x / n))
    return x, y


def _round_aspect(number: float, key: Callable[[int], float]) -> int:
    return max(min(math.floor(number), math.ceil(number), key=key), 1)


def seed_widths(size: tuple[int, int]) -> list[int]:
    """The output widths the seed produces for an image of this (display) size."""
    return sorted({fit_in_box(size, box)[0] for box in SEED_BOXES})


def make_seed_set(data: bytes, fmt: str) -> list[tuple[tuple[int, int], bytes]]:
    """The tutorial's `create_image_set`, writing to memory: (size, encoded bytes) per box."""
    save_format = SAVE_FORMATS[fmt]
    image = Image.open(io.BytesIO(data))
    results = []
    for box in SEED_BOXES:
        copy = image.copy()
        copy.thumbnail(box, Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        copy.save(buffer, save_format, optimize=True, quality=95)
        results.append((copy.size, buffer.getvalue()))
    return results
