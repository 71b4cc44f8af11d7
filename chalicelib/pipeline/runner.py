"""The pipeline's order, written once, and the one loop that runs and times it."""

from __future__ import annotations

import time
from collections.abc import Callable

from . import allocator
from .colour import colour
from .context import Context
from .decode import decode
from .describe import describe
from .encode import encode
from .guard import guard
from .orient import orient
from .plan import plan
from .quality import quality
from .resize import resize
from .shrink import shrink
from .sniff import sniff
from .space import space

Step = Callable[[Context], None]

#: plan comes before decode (not after colour) because decode needs the widest
#: planned width to choose its scale; planning needs only the header. shrink comes
#: before colour so colour converts only the pixels that are kept. space (widths spaced
#: by bytes) comes after colour, because the bytes it measures must be those of the
#: upright sRGB pixels the variants are made of, and before resize, which makes the
#: widths it chooses; plan has already fixed the widest, so decode's scale is the same.
#: quality searches on the resized variants and hands encode the qualities it found.
STEPS: tuple[tuple[str, Step], ...] = (
    ("sniff", sniff),
    ("guard", guard),
    ("plan", plan),
    ("decode", decode),
    ("orient", orient),
    ("shrink", shrink),
    ("colour", colour),
    ("space", space),
    ("resize", resize),
    ("describe", describe),
    ("quality", quality),
    ("encode", encode),
)


def run(ctx: Context, steps: tuple[tuple[str, Step], ...] = STEPS) -> Context:
    """Run each step in order, recording its wall time in `ctx.timings` (ms)."""
    allocator.tune()
    for name, step in steps:
        started = time.perf_counter()
        try:
            step(ctx)
        finally:
            ctx.timings[name] = round((time.perf_counter() - started) * 1000, 1)
    return ctx
