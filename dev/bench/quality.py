"""`python -m dev.bench.quality`: what the perceptual quality search buys and costs, side
by side in one run, written to docs/quality.md.

    python -m dev.bench.quality                       # corpus photos, 3 cost repetitions
    python -m dev.bench.quality --reference PATH      # also score with the C++ reference

1. **Floor and bytes.** Each corpus photo goes through the pipeline in `auto` mode (the
   deployed defaults). Every variant 480 px or wider is then scored whole (the pipeline
   estimates the score of the large ones from a sample, `ssimulacra2_sample`, and the
   table shows its floor too) against the resized image it was made from,
   by picset's scorer and, given `--reference`, by the reference implementation. Per
   format: the lowest score (the floor) and the total bytes. The *anchor* is the lowest
   single fixed quality that reaches the same floor on the same images and widths, found
   here by bisection; `auto` should need at most 0.80x its bytes. Today's fixed defaults
   are measured the same way.
2. **Over-download.** For needed widths spread evenly over [320, widest], the bytes a
   browser fetches beyond the exact need, byte-spaced widths against today's list at
   the same number of variants (`dev.bench.widths`).
3. **Cost.** The 12 MP photo through the whole pipeline, `auto` and `fixed` (and
   today's fixed widths), each in a fresh process (`dev.bench.measure`), interleaved,
   medians: wall time and each process's own peak memory.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from chalicelib import formats
from chalicelib.pipeline import Context, Options, runner
from chalicelib.pipeline.context import Setting
from chalicelib.pipeline.encode import encode_one
from chalicelib.pipeline.quality import SMALL_WIDTH, bounds_of, decode
from chalicelib.pipeline.ssimulacra2 import Reference
from chalicelib.settings import Settings

from .inputs import CORPUS, PHOTO_12MP, ROOT

OUT = ROOT / "docs" / "quality.md"
#: The corpus's photographs (not graphics, not test patterns), each at least 480 px wide.
PHOTOS = (
    "exif-sample-large.jpg",
    "gain-map.jpg",
    "2569067123_aca715a2ee_o.jpg",
    "avif-orientation-6.avif",
    "xmp_test.jpg",
    "4.webp",
    "Giunchedi_cmyk-orientation-exif.jpg",
    "Landscape_1.jpg",
    "Landscape_2.jpg",
    "Landscape_3.jpg",
    "Landscape_4.jpg",
)
LOSSY = ("avif", "webp", "jpeg")


@dataclass
class Photo:
    """One photo's resized images (width -> pixels) and what `auto` made of them."""

    name: str
    resized: dict[int, Image.Image]
    made: dict[tuple[str, int], tuple[int, int | None, float | None]]  # bytes, q, score
    bodies: dict[tuple[str, int], bytes] = field(default_factory=dict)


def run_keeping_resized(data: bytes, options: Options) -> tuple[Context, dict[int, Image.Image]]:
    """The whole pipeline, keeping a reference to each resized image for scoring."""
    ctx = Context(data=data, options=options)
    steps = list(runner.STEPS)
    cut = [name for name, _ in steps].index("resize") + 1
    runner.run(ctx, tuple(steps[:cut]))
    resized = dict(ctx.resized)
    runner.run(ctx, tuple(steps[cut:]))
    return ctx, resized


def load(name: str, options: Options) -> Photo:
    ctx, resized = run_keeping_resized((CORPUS / name).read_bytes(), options)
    made = {(o.format, o.width): (len(o.body), o.quality, o.score) for o in ctx.outputs}
    bodies = {(o.format, o.width): o.body for o in ctx.outputs}
    return Photo(name, resized, made, bodies)


class Scores:
    """Whole-variant scores, picset's and (optionally) the reference binary's. The
    prepared references of one photo at a time are kept (a 12 MP photo's wide widths
    hold about 1.4 GB of them), so callers go photo by photo."""

    def __init__(self, binary: Path | None) -> None:
        self.binary = binary
        self._photo = ""
        self._prepared: dict[int, Reference] = {}
        #: (photo, format, quality) -> (lowest wide score, total bytes)
        self._fixed: dict[tuple[str, str, int], tuple[float, int]] = {}

    def picset(self, photo: Photo, width: int, body: bytes) -> float:
        if photo.name != self._photo:
            self._photo, self._prepared = photo.name, {}
        if width not in self._prepared:
            self._prepared[width] = Reference(photo.resized[width])
        return self._prepared[width].score(decode(body))

    def reference(self, photo: Photo, width: int, body: bytes) -> float | None:
        if self.binary is None:
            return None
        with tempfile.TemporaryDirectory() as tmp:
            original, distorted = Path(tmp, "a.png"), Path(tmp, "b.png")
            photo.resized[width].save(original)
            decode(body).save(distorted)
            done = subprocess.run(
                [str(self.binary), str(original), str(distorted)],
                capture_output=True,
                text=True,
                check=True,
            )
        return float(done.stdout.strip().split()[-1])

    def fixed(self, photo: Photo, fmt: str, quality: int) -> tuple[float, int]:
        """The photo's lowest wide-variant score and its total bytes at one quality."""
        key = (photo.name, fmt, quality)
        if key not in self._fixed:
            floor, total = 100.0, 0
            for width in photo.resized:
                body = encode_at(photo, fmt, width, quality)
                total += len(body)
                if width >= SMALL_WIDTH:
                    floor = min(floor, self.picset(photo, width, body))
            self._fixed[key] = (floor, total)
        return self._fixed[key]


def encode_at(photo: Photo, fmt: str, width: int, quality: int) -> bytes:
    return encode_one(photo.resized[width], fmt, Options(), setting=Setting(quality))


def lowest_reaching(photo: Photo, fmt: str, floor: float, scores: Scores) -> int:
    """The photo's lowest fixed quality whose every wide variant scores at least
    `floor`, by bisection over the format's bounds (the format's highest when none)."""
    low, high = bounds_of(fmt)
    if scores.fixed(photo, fmt, high)[0] < floor:
        return high
    while low < high:
        middle = (low + high) // 2
        if scores.fixed(photo, fmt, middle)[0] >= floor:
            high = middle
        else:
            low = middle + 1
    return high


def floors_and_bytes(photos: list[Photo], scores: Scores) -> list[dict[str, Any]]:
    """Per format: `auto`'s floor and bytes, the anchor (the lowest single quality
    reaching that floor on every photo: the highest of the photos' own lowest, the
    score rising with quality as the bisection assumes) and today's defaults."""
    defaults = Options.from_settings(Settings(quality="fixed"))
    fmts = [f for f in LOSSY if any(key[0] == f for p in photos for key in p.made)]
    whole: dict[str, list[float]] = {f: [] for f in fmts}
    refs: dict[str, list[float | None]] = {f: [] for f in fmts}
    errors: dict[str, list[float]] = {f: [] for f in fmts}
    estimated: dict[str, list[float]] = {f: [] for f in fmts}
    for photo in photos:
        for (fmt, width), (_, _, score) in sorted(photo.made.items()):
            if fmt not in whole or width < SMALL_WIDTH:
                continue
            body = photo.bodies[(fmt, width)]
            value = scores.picset(photo, width, body)
            whole[fmt].append(value)
            refs[fmt].append(scores.reference(photo, width, body))
            if score is not None:
                estimated[fmt].append(score)
                errors[fmt].append(score - value)
    floors = {fmt: min(whole[fmt]) for fmt in fmts}
    anchors = {fmt: bounds_of(fmt)[0] for fmt in fmts}
    for photo in photos:
        for fmt in fmts:
            anchors[fmt] = max(anchors[fmt], lowest_reaching(photo, fmt, floors[fmt], scores))
            scores.fixed(photo, fmt, getattr(defaults, f"{fmt}_quality"))
    for photo in photos:  # photo by photo, so each photo's references are made once
        for fmt in fmts:
            scores.fixed(photo, fmt, anchors[fmt])
    rows = []
    for fmt in fmts:
        made = [(p, w) for p in photos for (f, w) in p.made if f == fmt]
        at_anchor = [scores.fixed(p, fmt, anchors[fmt]) for p in photos]
        fixed_q = getattr(defaults, f"{fmt}_quality")
        today = [scores.fixed(p, fmt, fixed_q) for p in photos]
        qualities = [p.made[(fmt, w)][1] for p, w in made]
        rows.append(
            {
                "format": fmt,
                "variants": len(made),
                "floor": round(floors[fmt], 2),
                "floor_reference": round(min(r for r in refs[fmt] if r is not None), 2)
                if all(r is not None for r in refs[fmt])
                else None,
                "floor_estimated": round(min(estimated[fmt]), 2),
                "estimate_error_max": round(max(errors[fmt]), 2),
                "estimate_error_min": round(min(errors[fmt]), 2),
                "median_score": round(statistics.median(whole[fmt]), 2),
                "qualities": f"{min(q for q in qualities if q)}-{max(q for q in qualities if q)}",
                "auto_bytes": sum(p.made[(fmt, w)][0] for p, w in made),
                "anchor_quality": anchors[fmt],
                "anchor_floor": round(min(f for f, _ in at_anchor), 2),
                "anchor_bytes": sum(b for _, b in at_anchor),
                "today_quality": fixed_q,
                "today_floor": round(min(f for f, _ in today), 2),
                "today_bytes": sum(b for _, b in today),
            }
        )
    return rows


def cost(reps: int) -> list[dict[str, Any]]:
    """The 12 MP photo, `auto` against `fixed`, fresh processes, interleaved."""
    runs: list[dict[str, Any]] = []
    variants = ("picset-full", "picset-fixed", "picset-today")
    for _ in range(reps):
        for variant in variants:
            done = subprocess.run(
                [sys.executable, "-m", "dev.bench.measure", variant, str(CORPUS / PHOTO_12MP)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    rows = []
    for variant in variants:
        mine = [r for r in runs if r["variant"] == variant]
        rows.append(
            {
                "variant": variant,
                "wall": statistics.median(r["wall"] for r in mine),
                "walls": [r["wall"] for r in mine],
                "peak": statistics.median(r["peak_rss_mb"] for r in mine),
                "bytes": mine[0]["bytes"],
                "quality_ms": statistics.median(r["steps"].get("quality", 0) for r in mine),
            }
        )
    return rows


def markdown(
    rows: list[dict[str, Any]],
    costs: list[dict[str, Any]],
    overdownload: str,
    names: list[str],
    target: float,
) -> Iterator[str]:
    yield "# Perceptual quality: what `auto` buys and costs"
    yield ""
    yield "Written by `python -m dev.bench.quality` (see its docstring); numbers from one run."
    yield ""
    yield f"Photos ({len(names)}): {', '.join(names)}. Target {target:g}."
    yield ""
    yield "## Floor and bytes, per format"
    yield ""
    yield (
        "Floor: the lowest whole-variant SSIMULACRA2 score of any variant 480 px or wider "
        f"(goal: at least {target - 2:g}). Anchor: the lowest single fixed quality reaching "
        "the same floor on the same images and widths (goal: `auto` at most 0.80x its bytes)."
    )
    yield ""
    yield (
        "| format | variants | auto floor | auto floor, reference | auto floor, as estimated "
        "| estimate - whole "
        "| median | auto q | auto KB | anchor q | anchor floor | anchor KB | auto / anchor "
        "| today q | today floor | today KB | auto / today |"
    )
    yield "|" + "---|" * 17
    for r in rows:
        ref = "–" if r["floor_reference"] is None else f"{r['floor_reference']:.2f}"
        yield (
            f"| {formats.label(r['format'])} | {r['variants']} | {r['floor']:.2f} | {ref} "
            f"| {r['floor_estimated']:.2f} "
            f"| {r['estimate_error_min']:+.2f} to {r['estimate_error_max']:+.2f} "
            f"| {r['median_score']:.2f} | {r['qualities']} "
            f"| {r['auto_bytes'] / 1024:,.0f} | {r['anchor_quality']} "
            f"| {r['anchor_floor']:.2f} | {r['anchor_bytes'] / 1024:,.0f} "
            f"| {r['auto_bytes'] / r['anchor_bytes']:.2f} | {r['today_quality']} "
            f"| {r['today_floor']:.2f} | {r['today_bytes'] / 1024:,.0f} "
            f"| {r['auto_bytes'] / r['today_bytes']:.2f} |"
        )
    yield ""
    yield "## Over-download"
    yield ""
    yield overdownload
    yield ""
    yield f"## Cost on the 12 MP photo ({PHOTO_12MP})"
    yield ""
    yield (
        "`picset-full`: the deployed defaults (`auto`, byte-spaced widths); `picset-fixed`: "
        "`PICSET_QUALITY=fixed`, same widths; `picset-today`: fixed qualities and today's "
        "fixed width list. Fresh process each, interleaved; medians; peak is each process's "
        "own VmHWM."
    )
    yield ""
    yield "| variant | wall s (median) | walls | peak MB | quality step ms | bytes |"
    yield "|---|---|---|---|---|---|"
    for c in costs:
        walls = ", ".join(f"{w:.2f}" for w in c["walls"])
        kb = ", ".join(f"{k} {v / 1024:,.0f} KB" for k, v in c["bytes"].items())
        yield (
            f"| {c['variant']} | {c['wall']:.2f} | {walls} | {c['peak']:.0f} "
            f"| {c['quality_ms']:.0f} | {kb} |"
        )
    base = {c["variant"]: c for c in costs}
    if "picset-full" in base and "picset-fixed" in base:
        full, fixed = base["picset-full"], base["picset-fixed"]
        yield ""
        yield (
            f"auto / fixed: wall {full['wall'] / fixed['wall']:.2f}x (goal at most 1.5x), "
            f"peak {full['peak'] / fixed['peak']:.2f}x (goal at most 1.25x)."
        )
        if "picset-today" in base:
            today = base["picset-today"]
            yield (
                f"auto / today: wall {full['wall'] / today['wall']:.2f}x, "
                f"peak {full['peak'] / today['peak']:.2f}x."
            )


def overdownload_section(names: list[str]) -> str:
    from .widths import measure, table

    return table([measure(name, Options(quality="fixed"), 200) for name in names])


def main(argv: list[str] | None = None, progress: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reference", type=Path, help="the C++ ssimulacra2 binary")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--photos", nargs="*", default=list(PHOTOS))
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--no-cost", action="store_true")
    parser.add_argument("--json", type=Path, default=ROOT / "artifacts" / "bench" / "quality.json")
    args = parser.parse_args(argv)
    options = Options.from_settings(Settings())
    names = [n for n in args.photos if (CORPUS / n).is_file()]
    photos = []
    for name in names:
        progress(f"auto: {name}")
        photos.append(load(name, options))
    scores = Scores(args.reference)
    progress("floors, anchors and today's defaults")
    rows = floors_and_bytes(photos, scores)
    del photos
    progress("over-download")
    over = overdownload_section(names)
    costs = [] if args.no_cost else cost(args.reps)
    text = "\n".join(markdown(rows, costs, over, names, options.quality_target)) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    sys.stdout.write(text)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"rows": rows, "costs": costs}, indent=1))


if __name__ == "__main__":
    main()
