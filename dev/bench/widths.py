"""`python -m dev.bench.widths`: over-download of byte-spaced widths against the fixed list.

For each corpus photo: today's fixed list (320, 640, 960, 1280, 1920, 2560, planned for
the photo), the byte-spaced list with as many widths (`spacing.spaced_widths` on the
curve `space` measures), and the list the default byte step gives. Every variant's bytes
and every needed width's exact bytes are real JPEG encodes at the configured quality of
the upright sRGB picture, Lanczos-resized from the widest. Prints a markdown table; the
ratios are byte-spaced over fixed at the same count, below 1 is better.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from PIL import Image

from chalicelib.pipeline import Context, Options
from chalicelib.pipeline.encode import encode_one
from chalicelib.pipeline.plan import plan_widths, scaled_height
from chalicelib.pipeline.resample import lanczos
from chalicelib.pipeline.runner import run
from chalicelib.pipeline.space import measure_curve
from chalicelib.pipeline.spacing import choose_widths, spaced_widths

from .inputs import CORPUS
from .overdownload import POINTS, Overdownload, overdownload
from .variants import steps_through

FIXED = (320, 640, 960, 1280, 1920, 2560)
PHOTOS = (
    "exif-sample-large.jpg",
    "gain-map.jpg",
    "2569067123_aca715a2ee_o.jpg",
    "xmp_test.jpg",
    "Giunchedi_cmyk-orientation-exif.jpg",
    "Landscape_1.jpg",
)


@dataclass(frozen=True)
class Row:
    photo: str
    fixed: list[int]
    same: list[int]
    by_step: list[int]
    results: dict[str, Overdownload]


def jpeg_sizes(image: Image.Image, options: Options) -> Callable[[int], int]:
    """Bytes of the picture as a JPEG `width` px wide (each width encoded once)."""

    @cache
    def at(width: int) -> int:
        size = (width, scaled_height(width, image.width, image.height))
        resized = image if size == image.size else lanczos(image, size, options.threads)
        return len(encode_one(resized, "jpeg", options))

    return at


def measure(name: str, options: Options, points: int) -> Row:
    ctx = run(Context(data=(CORPUS / name).read_bytes(), options=options), steps_through("colour"))
    assert ctx.image is not None
    narrowest, widest = ctx.widths[0], ctx.widths[-1]
    fixed = plan_widths(ctx.display_width, FIXED, ctx.display_height)
    curve = measure_curve(ctx.image, ctx.has_alpha, options, widest)
    same = spaced_widths(curve, narrowest, widest, len(fixed))
    by_step = choose_widths(curve, narrowest, widest, options.width_step_bytes)
    at = jpeg_sizes(ctx.image, options)
    lists = {"fixed": fixed, "same": same, "step": by_step}
    results = {
        key: overdownload({w: at(w) for w in widths}, at, points=points)
        for key, widths in lists.items()
    }
    return Row(name, fixed, same, by_step, results)


def kb(value: float) -> str:
    return f"{value / 1000:.1f}"


def table(rows: Sequence[Row]) -> str:
    lines = [
        "| photo | fixed widths | byte-spaced, same count | fixed mean / p95 KB "
        "| byte-spaced mean / p95 KB | mean ratio | p95 ratio | default step: widths, "
        "mean / p95 KB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    mean_ratios, p95_ratios = [], []
    for row in rows:
        fixed, same, step = (row.results[k] for k in ("fixed", "same", "step"))
        mean_ratio, p95_ratio = same.mean / fixed.mean, same.p95 / fixed.p95
        if row.same != row.fixed:
            mean_ratios.append(mean_ratio)
            p95_ratios.append(p95_ratio)
        lines.append(
            f"| {row.photo} | {_widths(row.fixed)} | {_widths(row.same)} "
            f"| {kb(fixed.mean)} / {kb(fixed.p95)} | {kb(same.mean)} / {kb(same.p95)} "
            f"| {mean_ratio:.2f} | {p95_ratio:.2f} "
            f"| {_widths(row.by_step)}: {kb(step.mean)} / {kb(step.p95)} |"
        )
    lines.append(
        "| geometric mean, where the lists differ | | | | "
        f"| {_geomean(mean_ratios):.3f} | {_geomean(p95_ratios):.3f} | |"
    )
    return "\n".join(lines)


def _widths(widths: list[int]) -> str:
    return ", ".join(map(str, widths))


def _geomean(values: list[float]) -> float:
    return math.exp(sum(map(math.log, values)) / len(values)) if values else math.nan


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", nargs="*", default=PHOTOS, help="corpus file names")
    parser.add_argument("--points", type=int, default=POINTS, help="needed widths per photo")
    args = parser.parse_args(argv)
    options = Options()
    rows = [measure(name, options, args.points) for name in args.photos]
    print(table(rows))


if __name__ == "__main__":
    main()
