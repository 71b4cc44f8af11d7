"""Step: encode every width in every format, in parallel threads.

Pillow's encoders release the GIL, so one thread per CPU keeps every core busy. Memory,
not only time, decides the order (`schedule`): the AV1 encoder needs about 24 bytes per
pixel while it works (some 115 MB for a 2560 x 1920 variant), so the costliest job goes
first and runs beside the small ones, and the two next largest end the step together.
Each width's pixels are freed as soon as its last format is written. Nothing from the
source's metadata is passed to an encoder (no EXIF, GPS, XMP or comments reach a
variant). The fallback format is JPEG, or PNG when the image has real transparency, or an
animated GIF when the image is an animation (AVIF and WebP keep the animation too).
"""

from __future__ import annotations

import io
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PIL import Image

from .. import formats
from .context import Context, Encoded, Options, Output, Setting


def output_formats(options: Options, has_alpha: bool, animated: bool = False) -> list[str]:
    """The formats to write: the modern ones configured, then the first fallback that
    can show the image (JPEG; PNG with transparency; GIF for an animation)."""
    modern = [fmt for fmt in options.formats if formats.is_modern(fmt)]
    return [*modern, formats.fallback_for(has_alpha=has_alpha, animated=animated).name]


def save_arguments(
    fmt: str, options: Options, setting: Setting | None = None
) -> tuple[str, dict[str, Any]]:
    """Pillow's format name and `save` arguments, from the registry's encoder row; a
    `setting` (from the quality search) replaces the configured quality and may ask for
    full-resolution chroma."""
    row = formats.BY_NAME.get(fmt)
    if row is None or row.encoder is None:
        raise ValueError(f"no encoder for {fmt}")
    encoder = row.encoder
    arguments = {name: getattr(options, field) for name, field in encoder.from_options.items()}
    arguments.update(encoder.fixed)
    if setting is not None:
        if encoder.quality_range is None:
            raise ValueError(f"{fmt} has no quality to set")
        arguments["quality"] = setting.quality
        if setting.chroma == "4:4:4":
            if encoder.full_chroma is None:
                raise ValueError(f"{fmt} cannot keep full chroma")
            arguments.update(encoder.full_chroma)
    return encoder.pillow_name, arguments


def fixed_quality(fmt: str, options: Options) -> int | None:
    """The configured quality of a lossy format (None for a lossless one)."""
    row = formats.BY_NAME.get(fmt)
    if row is None or row.encoder is None or row.encoder.quality_range is None:
        return None
    field_name = row.encoder.from_options.get("quality")
    return int(getattr(options, field_name)) if field_name else None


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


def cost_per_pixel(fmt: str) -> float:
    """Rough relative encode CPU per pixel at the default settings (the registry's
    `Encoder.cost_per_pixel`: AVIF speed 8, WebP method 2 and JPEG took about 385, 99
    and 42 ms on the same photos, docs/encoder-settings.md)."""
    row = formats.BY_NAME.get(fmt)
    return row.encoder.cost_per_pixel if row and row.encoder else 1.0


def schedule(jobs: list[tuple[int, str]], heights: dict[int, int]) -> list[tuple[int, str]]:
    """The order to start (width, format) jobs in: the costliest first, then the rest from
    the cheapest up. The costliest (the widest AVIF) then shares the CPUs with small jobs
    instead of with the next largest, which bounds peak memory, and the jobs that finish
    the step are large ones of similar size, which keeps every core busy to the end."""

    def cost(job: tuple[int, str]) -> float:
        width, fmt = job
        return width * heights[width] * cost_per_pixel(fmt)

    if not jobs:
        return []
    first = max(jobs, key=cost)
    rest = sorted((job for job in jobs if job != first), key=cost)
    return [first, *rest]


def own_handle(image: Image.Image) -> Image.Image:
    """A new `Image` over the same pixels, without copying them, and with no `info`.

    `Image.save` keeps its arguments on the image object itself (`encoderinfo`), so two
    threads saving one object at once can swap each other's settings (a JPEG written at
    the AVIF quality). Each encode gets its own object; the pixels are only read.
    """
    image.load()
    handle = image._new(image.im)
    handle.info = {}
    return handle


def encode_one(
    image: Image.Image,
    fmt: str,
    options: Options,
    frames: list[Image.Image] | None = None,
    durations: list[int] | None = None,
    loop: int = 0,
    *,
    setting: Setting | None = None,
) -> bytes:
    name, arguments = save_arguments(fmt, options, setting)
    # Encoders copy some of `info` by themselves (JPEG its comment, PNG and AVIF the ICC
    # profile): an image reaches an encoder with none of it (`own_handle` clears it).
    if frames and len(frames) > 1:
        handles = [own_handle(frame) for frame in frames]
        arguments.update(animation_arguments(fmt, handles, durations or [], loop))
    buffer = io.BytesIO()
    own_handle(image).save(buffer, name, **arguments)
    return buffer.getvalue()


def encode(ctx: Context) -> None:
    written = output_formats(ctx.options, ctx.has_alpha, ctx.animated)
    heights = {width: image.height for width, image in ctx.resized.items()}
    jobs = schedule([(width, fmt) for width in ctx.resized for fmt in written], heights)
    seconds: dict[str, float] = {fmt: 0.0 for fmt in written}
    left = {width: len(written) for width in ctx.resized}
    lock = threading.Lock()

    def run(job: tuple[int, str]) -> Output:
        width, fmt = job
        image = ctx.resized[width]
        frames = ctx.resized_frames.get(width)
        started = time.perf_counter()
        encoded = ctx.tuner.encode(width, fmt, image) if ctx.tuner is not None else None
        if encoded is None:
            body = encode_one(image, fmt, ctx.options, frames, ctx.durations, ctx.loop)
            quality = fixed_quality(fmt, ctx.options)
            encoded = Encoded(body, quality, None, "4:2:0" if quality is not None else None)
        spent = time.perf_counter() - started
        with lock:
            seconds[fmt] += spent
            left[width] -= 1
            if left[width] == 0:
                # Every format of this width is written: free its pixels now.
                del ctx.resized[width]
                ctx.resized_frames.pop(width, None)
        return Output(
            fmt,
            image.width,
            image.height,
            encoded.body,
            formats.get(fmt).content_type,
            encoded.quality,
            encoded.score,
            encoded.chroma,
        )

    workers = ctx.options.threads or os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outputs = list(pool.map(run, jobs))
    # Widest first, each width's formats in the configured order, as before scheduling.
    rank = {fmt: index for index, fmt in enumerate(written)}
    ctx.outputs = sorted(outputs, key=lambda out: (-out.width, rank[out.format]))
    # Per format: the summed wall time of its encodes. They overlap, so these add up to
    # more than the step; thread CPU time would miss the codecs' own worker threads.
    for fmt, spent in seconds.items():
        ctx.timings[f"encode.{fmt}"] = round(spent * 1000, 1)
    if ctx.tuner is not None:
        ctx.notes.extend(ctx.tuner.notes())
        ctx.tuner = None
    ctx.resized.clear()
    ctx.resized_frames.clear()
