"""Step: encode every width in every format, in parallel threads.

Pillow's encoders release the GIL, so one thread per CPU keeps every core busy. Nothing
from the source's metadata is passed to an encoder (no EXIF, GPS, XMP or comments reach a
variant). The fallback format is JPEG, or PNG when the image has real transparency, or an
animated GIF when the image is an animation (AVIF and WebP keep the animation too).
"""

from __future__ import annotations

import io
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PIL import Image

from ..keys import CONTENT_TYPES
from .context import Context, Options, Output


def output_formats(options: Options, has_alpha: bool, animated: bool = False) -> list[str]:
    """The formats to write: the modern ones configured, then the fallback."""
    modern = [fmt for fmt in options.formats if fmt in ("avif", "webp")]
    if animated:
        return [*modern, "gif"]
    return [*modern, "png" if has_alpha else "jpeg"]


def save_arguments(fmt: str, options: Options) -> tuple[str, dict[str, Any]]:
    if fmt == "avif":
        return "AVIF", {"quality": options.avif_quality, "speed": options.avif_speed}
    if fmt == "webp":
        return "WEBP", {"quality": options.webp_quality, "method": options.webp_method}
    if fmt == "jpeg":
        return "JPEG", {"quality": options.jpeg_quality, "optimize": True, "progressive": True}
    if fmt == "png":
        return "PNG", {"optimize": False, "compress_level": 6}
    if fmt == "gif":
        return "GIF", {"optimize": False}
    raise ValueError(f"no encoder for {fmt}")


def animation_arguments(
    fmt: str, frames: list[Image.Image], durations: list[int], loop: int
) -> dict[str, Any]:
    """What an encoder needs to write every frame, with its own delay."""
    arguments: dict[str, Any] = {
        "save_all": True,
        "append_images": frames[1:],
        "duration": durations[: len(frames)],
        "loop": loop,
    }
    if fmt == "gif" and frames[0].mode == "RGBA":
        # Clear each frame to transparent before the next, or the frames pile up.
        arguments["disposal"] = 2
    return arguments


def encode_one(
    image: Image.Image,
    fmt: str,
    options: Options,
    frames: list[Image.Image] | None = None,
    durations: list[int] | None = None,
    loop: int = 0,
) -> bytes:
    name, arguments = save_arguments(fmt, options)
    # Encoders copy some of `info` by themselves (JPEG its comment, PNG and AVIF the ICC
    # profile): an image reaches an encoder with none of it.
    for frame in [image, *(frames or [])]:
        frame.info = {}
    if frames and len(frames) > 1:
        arguments.update(animation_arguments(fmt, frames, durations or [], loop))
    buffer = io.BytesIO()
    image.save(buffer, name, **arguments)
    return buffer.getvalue()


def encode(ctx: Context) -> None:
    formats = output_formats(ctx.options, ctx.has_alpha, ctx.animated)
    jobs = [(width, fmt) for width in sorted(ctx.resized, reverse=True) for fmt in formats]
    seconds: dict[str, float] = {fmt: 0.0 for fmt in formats}

    def run(job: tuple[int, str]) -> Output:
        width, fmt = job
        image = ctx.resized[width]
        started = time.thread_time()
        body = encode_one(
            image, fmt, ctx.options, ctx.resized_frames.get(width), ctx.durations, ctx.loop
        )
        seconds[fmt] += time.thread_time() - started
        return Output(fmt, image.width, image.height, body, CONTENT_TYPES[fmt])

    workers = ctx.options.threads or os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        ctx.outputs = list(pool.map(run, jobs))
    for fmt, spent in seconds.items():
        ctx.timings[f"encode.{fmt}.cpu"] = round(spent * 1000, 1)
    ctx.resized.clear()
    ctx.resized_frames.clear()
