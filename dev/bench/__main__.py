"""`python -m dev.bench`: run every variant on every input, one process per measurement,
interleaved per repetition, then the flow on the emulator, and write the markdown report.

    python -m dev.bench                 # 3 repetitions, all inputs, flow; writes docs/benchmarks.md
    python -m dev.bench --quick         # 1 repetition, 12 MP + 50 MP, a short flow
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PIL import Image

from . import report
from .inputs import PHOTO_12MP, QUICK_INPUTS, ROOT, Input, benchmark_inputs
from .machine import describe_machine
from .variants import DEFAULT_VARIANTS, VARIANTS

DEFAULT_OUT = ROOT / "docs" / "benchmarks.md"
QUICK_OUT = ROOT / "artifacts" / "bench" / "benchmarks-quick.md"
RAW_OUT = ROOT / "artifacts" / "bench" / "runs.json"
#: Everything from this line on in an existing report is written by hand and kept.
KEPT = "<!-- written by hand below this line; kept when the report is regenerated -->"

VARIANT_NOTES = """\
* **seed**: the seed tutorial's method, re-implemented from its description
  (`dev/bench/seed.py`): open once; for each box 30×30, 540×540, 768×786, 1080×1080,
  1200×1200 a `copy()`, `thumbnail(box, LANCZOS)`, save in the source's format with
  `optimize=True, quality=95` (to memory, not disk).
* **picset-seedjob**: picset's pipeline (`chalicelib.pipeline`) making the seed's five
  widths as JPEG only, at the seed's quality 95.
* **picset-full**: picset's pipeline with the deployed defaults (`Settings()`): every
  planned width × AVIF, WebP and the JPEG (or PNG) fallback, each variant's quality
  searched to the perceptual target (`PICSET_QUALITY=auto`).
* **picset-fixed**: the same set at the fixed qualities (`PICSET_QUALITY=fixed`): the
  work libvips-full does, so the libvips goals compare these two.
* **libvips-full**: pyvips making picset-fixed's set with the same encoders, qualities and speed
  settings: one `thumbnail` at the widest width (shrink-on-load, ICC to sRGB), held in
  memory, a Lanczos `resize` from it per narrower width, saves in a thread pool of one
  thread per CPU (`dev/bench/libvips.py`).
"""


def run_child(variant: str, item: Input) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "dev.bench.measure", variant, str(item.path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{variant} on {item.name} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def libvips_available() -> bool:
    try:
        import pyvips  # noqa: F401
    except Exception:
        return False
    return True


def describe_input(item: Input) -> str:
    with Image.open(item.path) as image:
        return (
            f"{item.name}: {image.size[0]}×{image.size[1]} {image.format}, "
            f"{item.path.stat().st_size / 1e6:.1f} MB"
        )


def run_matrix(inputs: list[Input], variants: list[str], reps: int) -> list[dict[str, Any]]:
    runs = []
    for rep in range(reps):
        # Rotate the order each repetition so no variant always runs first on a busy box.
        order = variants[rep % len(variants) :] + variants[: rep % len(variants)]
        for item in inputs:
            for variant in order:
                result = run_child(variant, item)
                result["rep"] = rep
                runs.append(result)
                print(
                    f"rep {rep + 1}/{reps}  {item.name:32} {variant:15} "
                    f"wall {result['wall']:.3f}s  cpu {result['cpu']:.3f}s  "
                    f"rss {result['peak_rss_mb']:.0f} MB",
                    file=sys.stderr,
                    flush=True,
                )
    return runs


def render(
    summaries: dict[tuple[str, str], report.Summary],
    runs: list[dict[str, Any]],
    flow: dict[str, Any] | None,
    inputs: list[Input],
    reps: int,
    command: str,
    notes: list[str],
) -> str:
    parts = [
        "# Benchmarks",
        "",
        f"Measured by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {reps} "
        "repetition(s), one process per measurement, the variants interleaved in each "
        "repetition, medians reported. Wall and CPU time cover the image work only (the "
        "original's bytes in memory to every encoded variant in memory; imports and "
        "Pillow's plugin registration happen before the clock starts). Peak RSS is the "
        "whole process's, interpreter and libraries included, as a Lambda's memory is.",
        "",
        "## Machine",
        "",
        report.markdown_table(["", ""], describe_machine()),
        "",
        "## Goals",
        "",
        "Wall ratios are medians of per-repetition ratios (the two variants ran back to "
        "back in each repetition); the per-input tables show medians of each variant.",
        "",
        report.goals_table(report.goals(summaries, flow, runs)),
        "",
        "## Variants",
        "",
        VARIANT_NOTES,
        "## Per input",
    ]
    for item in inputs:
        parts += [
            "",
            f"### {describe_input(item)}",
            "",
            report.variants_table(summaries, item.name),
        ]
    parts += [
        "",
        "## picset's steps",
        "",
        "Wall milliseconds per step (medians). The encode step runs every width and format "
        "in parallel threads; each `encode <format>` column sums the wall time of that "
        "format's encodes, so those overlap and add up to more than the step.",
        "",
        report.steps_table(summaries),
    ]
    if flow:
        parts += [
            "",
            "## The whole flow on the emulator",
            "",
            f"`{flow['photo']}` uploaded through a ticket and a multipart POST to moto's "
            "server, the S3 event queued to SQS, `dev.worker` running the resize handler, "
            "the status polled every 50 ms (every 500 ms with many in flight); latency runs "
            "from the start of the upload to the first `ready` answer. The emulator, the "
            "API, the worker and the uploading clients all share the same 2 cores.",
            "",
            report.flow_table(flow),
        ]
    if notes:
        parts += ["", "## Notes", "", *(f"* {note}" for note in notes)]
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m dev.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="1 repetition, 2 inputs, short flow")
    parser.add_argument("--reps", type=int, help="repetitions (default 3, quick 1)")
    parser.add_argument("--inputs", nargs="*", help="input names (default: all)")
    parser.add_argument("--variants", nargs="*", choices=VARIANTS, help="default: all")
    parser.add_argument("--no-flow", action="store_true", help="skip the emulator flow")
    parser.add_argument("--flow-uploads", type=int, help="uploads one at a time (default 7)")
    parser.add_argument("--in-flight", type=int, default=20, help="uploads at once (20)")
    parser.add_argument("--out", type=Path, help="markdown report path")
    args = parser.parse_args(argv)

    reps = args.reps or (1 if args.quick else 3)
    names = tuple(args.inputs) if args.inputs else (QUICK_INPUTS if args.quick else None)
    inputs, notes = benchmark_inputs(names)
    variants = list(args.variants or DEFAULT_VARIANTS)
    if "libvips-full" in variants and not libvips_available():
        variants.remove("libvips-full")
        notes.append("pyvips is not installed (`./scripts/bench` installs it); libvips skipped")
    started = time.perf_counter()
    runs = run_matrix(inputs, variants, reps)
    RAW_OUT.parent.mkdir(parents=True, exist_ok=True)
    flow = None
    if not args.no_flow and any(item.name == PHOTO_12MP for item in inputs):
        from .flow import measure_flow

        photo = next(item.path for item in inputs if item.name == PHOTO_12MP)
        uploads = args.flow_uploads or (3 if args.quick else 7)
        print(
            f"flow: {uploads} uploads one at a time, then {args.in_flight} at once", file=sys.stderr
        )
        flow = measure_flow(photo, sequential=uploads, in_flight=args.in_flight)
    RAW_OUT.write_text(json.dumps({"runs": runs, "flow": flow}, indent=1))
    command = "python -m dev.bench " + " ".join(argv if argv is not None else sys.argv[1:])
    text = render(report.summarise(runs), runs, flow, inputs, reps, command.strip(), notes)
    out = args.out or (QUICK_OUT if args.quick else DEFAULT_OUT)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.is_file() and KEPT in out.read_text():
        text += "\n" + KEPT + out.read_text().split(KEPT, 1)[1]
    out.write_text(text)
    print(text)
    print(f"wrote {out} and {RAW_OUT} in {time.perf_counter() - started:.0f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
