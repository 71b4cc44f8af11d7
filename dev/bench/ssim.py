"""`python -m dev.bench.ssim`: the time and memory per megapixel of picset's own SSIMULACRA2
scorer (`chalicelib/pipeline/ssimulacra2.py`) and of the `ssimulacra2` package, beside the
reference binary's when one is given, each measurement in a fresh process.

    python -m dev.bench.ssim                                # picset and the package
    python -m dev.bench.ssim --reference /path/to/ssimulacra2 --repeat 3

Each size (0.25, 1 and 4 MP, 3:2) is the photo-like source of `tests/ssim_pairs.py`
against its JPEG at quality 50, written once as two PNGs. Every repetition runs every
size with every scorer in a new process, interleaved so that a noisy neighbour slows
both alike, and the table quotes medians. picset's scorer is timed twice in its process:
a fresh `Reference` and its first score ("picset fresh"), then one more candidate scored
against that prepared `Reference` ("picset reused", what each step of a quality search
costs); both from decoded images, PNG decoding not included. Peak memory is the scoring
process's own high-water mark (VmHWM): for the Python scorers, `dev.peak.peak_rss_kib` in
the child after scoring, and the same before scoring (the interpreter and its imports) so
the part that grows with the image shows apart; for the reference, its own VmHWM read from
/proc while it runs (it holds its buffers to the end, so the last reading is its peak).
The scores are printed too: each scorer's difference from the reference by image size.
Dev-only: nothing here is deployed or imported by the app.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIZES_MP = (0.25, 1.0, 4.0)
#: picset's child reports two timings from one process: a fresh Reference and its first
#: score, then one more score against the prepared Reference.
PICSET_ROWS = {"seconds": "picset fresh", "reused_seconds": "picset reused"}
SCORERS = ("package", "picset")


@dataclass
class Runs:
    seconds: list[float] = field(default_factory=list)
    peak_kib: list[int] = field(default_factory=list)
    base_kib: list[int] = field(default_factory=list)
    score: float = float("nan")


def dimensions(megapixels: float) -> tuple[int, int]:
    width = round((megapixels * 1e6 * 1.5) ** 0.5)
    return width, round(width / 1.5)


def write_pair(megapixels: float, folder: Path) -> tuple[Path, Path]:
    from tests.ssim_pairs import jpeg, photo

    original = photo(*dimensions(megapixels))
    paths = folder / f"{megapixels}-orig.png", folder / f"{megapixels}-dist.png"
    original.save(paths[0], compress_level=1)
    jpeg(50)(original).save(paths[1], compress_level=1)
    return paths


def child(scorer: str, original: str, distorted: str) -> None:
    """In a fresh process: score once and report time, peak and score as one JSON line."""
    if scorer == "package":
        print(json.dumps(_package_child(original, distorted)))
    else:
        print(json.dumps(_picset_child(original, distorted)))


def _package_child(original: str, distorted: str) -> dict[str, float]:
    from ssimulacra2 import compute_ssimulacra2

    from dev.peak import peak_rss_kib

    base = peak_rss_kib()
    start = time.perf_counter()
    score = float(compute_ssimulacra2(original, distorted))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_kib": peak_rss_kib(), "base_kib": base, "score": score}


def _picset_child(original: str, distorted: str) -> dict[str, float]:
    from PIL import Image

    from chalicelib.pipeline.ssimulacra2 import Reference
    from dev.peak import peak_rss_kib

    with Image.open(original) as a, Image.open(distorted) as b:
        source, candidate = a.convert("RGB"), b.convert("RGB")
    second = candidate.transpose(Image.Transpose.FLIP_LEFT_RIGHT)  # another candidate
    base = peak_rss_kib()
    start = time.perf_counter()
    reference = Reference(source)
    score = reference.score(candidate)
    fresh = time.perf_counter() - start
    start = time.perf_counter()
    reference.score(second)
    reused = time.perf_counter() - start
    return {
        "seconds": fresh,
        "reused_seconds": reused,
        "peak_kib": peak_rss_kib(),
        "base_kib": base,
        "score": score,
    }


def run_python(scorer: str, paths: tuple[Path, Path], results: dict[str, Runs]) -> None:
    """One fresh process for `scorer` ("package" or "picset"); picset's reports fill both
    its "picset fresh" and its "picset reused" rows."""
    done = subprocess.run(
        [sys.executable, "-m", "dev.bench.ssim", "--child", scorer, str(paths[0]), str(paths[1])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    rows = {"seconds": scorer} if scorer == "package" else PICSET_ROWS
    for key, row in rows.items():
        runs = results[row]
        runs.seconds.append(result[key])
        runs.peak_kib.append(result["peak_kib"])
        runs.base_kib.append(result["base_kib"])
        runs.score = result["score"]


def _vm_hwm_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def run_reference(binary: Path, paths: tuple[Path, Path], runs: Runs) -> None:
    start = time.perf_counter()
    process = subprocess.Popen(
        [str(binary), str(paths[0]), str(paths[1])], stdout=subprocess.PIPE, text=True
    )
    peak = 0
    while process.poll() is None:
        peak = max(peak, _vm_hwm_kib(process.pid) or 0)
        time.sleep(0.002)
    seconds = time.perf_counter() - start
    out = process.stdout.read() if process.stdout else ""
    if process.returncode != 0:
        raise RuntimeError(f"reference exited {process.returncode}")
    runs.seconds.append(seconds)
    runs.peak_kib.append(peak)
    runs.base_kib.append(0)
    runs.score = float(out.strip())


def table(results: dict[tuple[str, float], Runs], scorers: list[str]) -> str:
    """The measurements per scorer row and size, and each row's ratios to the reference."""
    lines = [
        "| scorer | MP | s/MP (median) | s (min-max) | peak MB | peak MB/MP | "
        "above imports MB/MP | score |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for scorer in scorers:
        for mp in SIZES_MP:
            r = results[(scorer, mp)]
            seconds = statistics.median(r.seconds)
            peak_mb = statistics.median(r.peak_kib) / 1024
            grown = statistics.median(p - b for p, b in zip(r.peak_kib, r.base_kib, strict=True))
            lines.append(
                f"| {scorer} | {mp:g} | {seconds / mp:.2f} | {min(r.seconds):.2f}-"
                f"{max(r.seconds):.2f} | {peak_mb:.0f} | {peak_mb / mp:.0f} | "
                f"{grown / 1024 / mp:.0f} | {r.score:.3f} |"
            )
    if "reference" in scorers:
        lines.append("")
        lines.append("| scorer | MP | time / reference | peak / reference | score diff |")
        lines.append("| --- | --- | --- | --- | --- |")
        for scorer in (s for s in scorers if s != "reference"):
            for mp in SIZES_MP:
                p, ref = results[(scorer, mp)], results[("reference", mp)]
                time_ratio = statistics.median(p.seconds) / statistics.median(ref.seconds)
                peak_ratio = statistics.median(p.peak_kib) / statistics.median(ref.peak_kib)
                lines.append(
                    f"| {scorer} | {mp:g} | {time_ratio:.1f}x | {peak_ratio:.1f}x"
                    f" | {p.score - ref.score:+.3f} |"
                )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", type=Path, help="the reference ssimulacra2 binary")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return
    processes = [*SCORERS, *(["reference"] if args.reference else [])]
    rows = ["package", *PICSET_ROWS.values(), *(["reference"] if args.reference else [])]
    results = {(row, mp): Runs() for row in rows for mp in SIZES_MP}
    with tempfile.TemporaryDirectory(prefix="picset-ssim-bench-") as folder:
        pairs = {mp: write_pair(mp, Path(folder)) for mp in SIZES_MP}
        for repetition in range(args.repeat):
            for mp in SIZES_MP:
                for scorer in processes:
                    print(
                        f"run {repetition + 1}/{args.repeat}: {scorer} {mp:g} MP", file=sys.stderr
                    )
                    if scorer == "reference":
                        run_reference(args.reference, pairs[mp], results[(scorer, mp)])
                    else:
                        by_row = {row: results[(row, mp)] for row in rows}
                        run_python(scorer, pairs[mp], by_row)
    print(table(results, rows))


if __name__ == "__main__":
    main()
