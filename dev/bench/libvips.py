"""libvips (through pyvips) making picset's full set: the speed anchor.

One `thumbnail` at the widest planned width (shrink-on-load, autorotate, ICC to sRGB), held
in memory, then a Lanczos `resize` from it for each narrower width, and every width saved
in every format with the same encoders, qualities and speed settings picset uses. The
saves run in a thread pool of one thread per CPU, as picset's encodes do, so both sides
may use every core.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from chalicelib import pipeline
from chalicelib.pipeline.encode import output_formats

from .variants import Made


def avif_effort(speed: int) -> int:
    """libvips' `effort` (0 fastest - 9 slowest) for libavif's `speed` (0 slowest - 10)."""
    return 9 - min(max(speed, 0), 9)


def save(image: Any, fmt: str, options: pipeline.Options) -> bytes:
    if fmt == "avif":
        return bytes(
            image.heifsave_buffer(
                Q=options.avif_quality,
                compression="av1",
                effort=avif_effort(options.avif_speed),
                keep="none",
            )
        )
    if fmt == "webp":
        return bytes(
            image.webpsave_buffer(Q=options.webp_quality, effort=options.webp_method, keep="none")
        )
    if fmt == "jpeg":
        return bytes(
            image.jpegsave_buffer(
                Q=options.jpeg_quality, optimize_coding=True, interlace=True, keep="none"
            )
        )
    if fmt == "png":
        return bytes(image.pngsave_buffer(compression=6, keep="none"))
    raise ValueError(f"no libvips saver for {fmt}")


def prepare(data: bytes, widths: list[int], options: pipeline.Options) -> Callable[[], Made]:
    import pyvips  # a bench extra: imported here so the pure helpers load without it

    def run() -> Made:
        made = Made()
        started = time.perf_counter()
        widest = max(widths)
        base = pyvips.Image.thumbnail_buffer(
            data, widest, height=10_000_000, size="down", export_profile="srgb"
        ).copy_memory()
        made.steps["thumbnail"] = _ms(started)
        started = time.perf_counter()
        sized = {widest: base}
        for width in sorted(widths, reverse=True)[1:]:
            sized[width] = base.resize(width / base.width, kernel="lanczos3").copy_memory()
        made.steps["resize"] = _ms(started)
        formats = output_formats(options, bool(base.hasalpha()))
        jobs = [(width, fmt) for width in sorted(sized, reverse=True) for fmt in formats]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            bodies = list(pool.map(lambda job: save(sized[job[0]], job[1], options), jobs))
        made.steps["encode"] = _ms(started)
        for (_width, fmt), body in zip(jobs, bodies, strict=True):
            made.add(fmt, len(body))
        return made

    return run


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
