"""Turning raw measurements into medians, goal checks and the markdown of
docs/benchmarks.md. Pure: no clock, no processes, no files."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .inputs import PHOTO_12MP, PHOTO_50MP

FORMAT_ORDER = ("avif", "webp", "jpeg", "png")
STEP_ORDER = ("guard", "decode", "orient", "shrink", "colour", "resize", "describe", "encode")


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linearly interpolated between the nearest ranks."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Iterable[float]) -> float:
    return float(statistics.median(list(values)))


@dataclass
class Summary:
    """The medians of one variant on one input over the repetitions."""

    runs: int
    wall: float
    cpu: float
    peak_rss_mb: float
    bytes: dict[str, float] = field(default_factory=dict)
    steps: dict[str, float] = field(default_factory=dict)

    @property
    def decode_encode_share(self) -> float | None:
        """Share of the wall time spent in the decode and encode steps (picset only)."""
        if "decode" not in self.steps or "encode" not in self.steps or self.wall <= 0:
            return None
        return (self.steps["decode"] + self.steps["encode"]) / (self.wall * 1000)


def summarise(runs: Iterable[dict[str, Any]]) -> dict[tuple[str, str], Summary]:
    """Medians per (input, variant) of the raw per-process measurements."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        groups[(run["input"], run["variant"])].append(run)
    summaries = {}
    for key, group in groups.items():
        formats = {fmt for run in group for fmt in run["bytes"]}
        steps = {name for run in group for name in run["steps"]}
        summaries[key] = Summary(
            runs=len(group),
            wall=median(run["wall"] for run in group),
            cpu=median(run["cpu"] for run in group),
            peak_rss_mb=median(run["peak_rss_mb"] for run in group),
            bytes={f: median(run["bytes"].get(f, 0) for run in group) for f in formats},
            steps={s: median(run["steps"].get(s, 0.0) for run in group) for s in steps},
        )
    return summaries


@dataclass(frozen=True)
class Goal:
    figure: str
    target: str
    measured: str
    met: bool | None  # None: not measured in this run


def _ratio(
    summaries: dict[tuple[str, str], Summary], name: str, top: str, bottom: str
) -> float | None:
    a, b = summaries.get((name, top)), summaries.get((name, bottom))
    if a is None or b is None or b.wall <= 0:
        return None
    return a.wall / b.wall


def paired_ratio(runs: Iterable[dict[str, Any]], name: str, top: str, bottom: str) -> float | None:
    """The median over repetitions of top's wall / bottom's wall on one input, each ratio
    taken within one repetition, where the two ran back to back: on a shared machine the
    load drifts between repetitions far more than between neighbouring runs."""
    by_rep: dict[Any, dict[str, float]] = defaultdict(dict)
    for run in runs:
        if run["input"] == name:
            by_rep[run.get("rep", 0)][run["variant"]] = run["wall"]
    ratios = [
        walls[top] / walls[bottom]
        for walls in by_rep.values()
        if top in walls and bottom in walls and walls[bottom] > 0
    ]
    return median(ratios) if ratios else None


#: The picset variant that does libvips-full's work: the same widths and formats at the
#: same fixed qualities (the deployed default, `picset-full`, also searches each variant's
#: quality, which libvips does not; `python -m dev.bench.quality` measures that search).
SAME_WORK = "picset-fixed"


def goals(
    summaries: dict[tuple[str, str], Summary],
    flow: dict[str, Any] | None,
    runs: list[dict[str, Any]] | None = None,
) -> list[Goal]:
    """Every goal figure of the benchmark, measured or marked as not measured. With the
    raw `runs`, wall ratios are medians of per-repetition ratios (`paired_ratio`)."""
    rows: list[Goal] = []

    def ratio(name: str, top: str, bottom: str) -> float | None:
        if runs is not None:
            return paired_ratio(runs, name, top, bottom)
        return _ratio(summaries, name, top, bottom)

    def at_most(figure: str, value: float | None, limit: float, unit: str = "") -> None:
        digits = 0 if unit else 2
        target = f"≤ {limit:.{digits}f}{unit}"
        if value is None:
            rows.append(Goal(figure, target, "not measured", None))
        else:
            rows.append(Goal(figure, target, f"{value:.{digits}f}{unit}", value <= limit))

    at_most(
        f"picset-seedjob / seed, wall, {PHOTO_12MP}",
        ratio(PHOTO_12MP, "picset-seedjob", "seed"),
        0.25,
    )
    at_most(
        f"{SAME_WORK} / libvips-full, wall, {PHOTO_12MP}",
        ratio(PHOTO_12MP, SAME_WORK, "libvips-full"),
        1.0,
    )
    ratios = [
        r
        for name in sorted({name for name, _variant in summaries})
        if (r := ratio(name, SAME_WORK, "libvips-full")) is not None
    ]
    at_most(
        f"{SAME_WORK} / libvips-full, wall, geometric mean over all inputs",
        math.exp(statistics.fmean(math.log(r) for r in ratios)) if ratios else None,
        1.0,
    )
    same = summaries.get((PHOTO_12MP, SAME_WORK))
    share = same.decode_encode_share if same else None
    rows.append(
        Goal(
            f"share of {SAME_WORK} wall inside decode + encode, {PHOTO_12MP}",
            "≥ 85 %",
            "not measured" if share is None else f"{share * 100:.1f} %",
            None if share is None else share >= 0.85,
        )
    )
    for name, limit in ((PHOTO_12MP, 120.0), (PHOTO_50MP, 200.0)):
        found = summaries.get((name, "picset-full"))
        at_most(
            f"peak RSS, picset-full, {name}",
            found.peak_rss_mb if found else None,
            limit,
            " MB",
        )
    full = summaries.get((PHOTO_12MP, "picset-full"))
    flow_ratio = flow["p50"] / full.wall if flow and full else None
    at_most("upload → ready p50 on the emulator / picset-full alone, 12 MP photo", flow_ratio, 1.5)
    return rows


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A GitHub markdown table; numbers are expected already formatted as text."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def kb(value: float | None) -> str:
    return "" if not value else f"{value / 1024:,.0f}"


def goals_table(rows: Sequence[Goal]) -> str:
    marks = {True: "met", False: "not met", None: "—"}
    return markdown_table(
        ["figure", "goal", "measured", ""],
        [[g.figure, g.target, g.measured, marks[g.met]] for g in rows],
    )


def variants_table(summaries: dict[tuple[str, str], Summary], name: str) -> str:
    rows = []
    libvips = summaries.get((name, "libvips-full"))
    for (input_name, variant), s in sorted(summaries.items(), key=lambda kv: kv[0][1]):
        if input_name != name:
            continue
        vs = f"{s.wall / libvips.wall:.2f}" if libvips and variant.endswith("-full") else ""
        rows.append(
            [
                variant,
                f"{s.wall:.3f}",
                f"{s.cpu:.3f}",
                f"{s.peak_rss_mb:.0f}",
                *(kb(s.bytes.get(fmt)) for fmt in FORMAT_ORDER),
                vs,
            ]
        )
    return markdown_table(
        [
            "variant",
            "wall s",
            "CPU s",
            "peak RSS MB",
            "AVIF KB",
            "WebP KB",
            "JPEG KB",
            "PNG KB",
            "wall / libvips-full",
        ],
        rows,
    )


def steps_table(summaries: dict[tuple[str, str], Summary]) -> str:
    rows = []
    for (name, variant), s in sorted(summaries.items()):
        if not variant.startswith("picset"):
            continue
        share = s.decode_encode_share
        per_format = [ms(s.steps.get(f"encode.{fmt}")) for fmt in FORMAT_ORDER]
        rows.append(
            [
                name,
                variant,
                *(ms(s.steps.get(step)) for step in STEP_ORDER),
                *per_format,
                "" if share is None else f"{share * 100:.0f} %",
            ]
        )
    return markdown_table(
        [
            "input",
            "variant",
            *STEP_ORDER,
            *(f"encode {fmt}" for fmt in FORMAT_ORDER),
            "decode + encode share",
        ],
        rows,
    )


def ms(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def flow_table(flow: dict[str, Any]) -> str:
    rows = [
        ["uploads one at a time", str(len(flow["latencies"]))],
        ["upload → ready p50", f"{flow['p50']:.2f} s"],
        ["upload → ready p95", f"{flow['p95']:.2f} s"],
        ["uploads in flight at once", str(flow["in_flight"])],
        ["all of them ready after", f"{flow['burst_wall']:.1f} s"],
        ["throughput", f"{flow['in_flight'] / flow['burst_wall'] * 60:.1f} images/min"],
        [
            "upload → ready p50 / p95 under that load",
            f"{flow['burst_p50']:.1f} s / {flow['burst_p95']:.1f} s",
        ],
        ["worker threads", str(flow["worker_concurrency"])],
    ]
    return markdown_table(["figure", "value"], rows)
