"""The ways of making an image set that the benchmark compares, each behind one signature.

A variant is prepared untimed (what it needs from the header, which options) and then run
timed: `prepare(name, data, fmt)` returns a function that does the work and returns a
`Made` (bytes per output format, and the variant's own step timings in ms).
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image

from chalicelib import pipeline
from chalicelib.pipeline.plan import plan_widths
from chalicelib.pipeline.runner import Step
from chalicelib.settings import Settings

from .seed import make_seed_set, seed_widths

ORIENTATION_TAG = 0x0112
VARIANTS = ("seed", "picset-seedjob", "picset-full", "picset-fixed", "picset-today", "libvips-full")
#: What `python -m dev.bench` runs unless told otherwise (`picset-fixed` is the one that
#: does libvips-full's work; `picset-today` is the quality benchmark's baseline).
DEFAULT_VARIANTS = ("seed", "picset-seedjob", "picset-full", "picset-fixed", "libvips-full")
#: The fixed widths every image got before widths were spaced by bytes.
TODAYS_WIDTHS = (320, 640, 960, 1280, 1920, 2560)


@dataclass
class Made:
    bytes_by_format: dict[str, int] = field(default_factory=dict)
    outputs: int = 0
    steps: dict[str, float] = field(default_factory=dict)

    def add(self, fmt: str, size: int) -> None:
        self.bytes_by_format[fmt] = self.bytes_by_format.get(fmt, 0) + size
        self.outputs += 1


def display_size(data: bytes) -> tuple[int, int]:
    """The upright size, from the header alone (EXIF orientation 5-8 swaps the sides)."""
    header = Image.open(io.BytesIO(data))
    width, height = header.size
    orientation = header.getexif().get(ORIENTATION_TAG, 1)
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def default_options() -> pipeline.Options:
    """The options a deployed picset runs with: the settings' defaults."""
    return pipeline.Options.from_settings(Settings())


def seedjob_options(data: bytes) -> pipeline.Options:
    """picset making the seed's five sizes as JPEG at the seed's quality."""
    defaults = default_options()
    return pipeline.Options(
        widths=tuple(seed_widths(display_size(data))),
        formats=("jpeg",),
        jpeg_quality=95,
        quality="fixed",
        max_bytes=defaults.max_bytes,
        max_pixels=defaults.max_pixels,
        max_frames=defaults.max_frames,
    )


def steps_through(last: str) -> tuple[tuple[str, Step], ...]:
    """The pipeline's steps up to and including `last`."""
    names = [name for name, _ in pipeline.STEPS]
    return pipeline.STEPS[: names.index(last) + 1]


def full_widths(data: bytes, options: pipeline.Options) -> list[int]:
    """The widths picset makes of this input: widths spaced by bytes need the decoded
    pixels, so the pipeline runs (untimed) through its `space` step."""
    if not options.spaced_by_bytes:
        return plan_widths(display_size(data)[0], options.widths)
    ctx = pipeline.run(pipeline.Context(data=data, options=options), steps_through("space"))
    return ctx.widths


def _picset(data: bytes, options: pipeline.Options) -> Callable[[], Made]:
    def run() -> Made:
        ctx = pipeline.run(pipeline.Context(data=data, options=options))
        made = Made(steps=dict(ctx.timings))
        for output in ctx.outputs:
            made.add(output.format, len(output.body))
        return made

    return run


def _seed(data: bytes, fmt: str) -> Callable[[], Made]:
    def run() -> Made:
        made = Made()
        for _size, body in make_seed_set(data, fmt):
            made.add(fmt, len(body))
        return made

    return run


def prepare(name: str, data: bytes, fmt: str) -> Callable[[], Made]:
    """The timed part of variant `name` for this input (`fmt` is its sniffed format)."""
    if name == "seed":
        return _seed(data, fmt)
    if name == "picset-seedjob":
        return _picset(data, seedjob_options(data))
    if name == "picset-full":
        return _picset(data, default_options())
    if name == "picset-fixed":
        return _picset(data, dataclasses.replace(default_options(), quality="fixed"))
    if name == "picset-today":
        today = dataclasses.replace(default_options(), quality="fixed", widths=TODAYS_WIDTHS)
        return _picset(data, today)
    if name == "libvips-full":
        from . import libvips  # pyvips is a bench extra; only this variant needs it

        options = default_options()
        return libvips.prepare(data, full_widths(data, options), options)
    raise ValueError(f"unknown variant {name!r}; choose from {', '.join(VARIANTS)}")
