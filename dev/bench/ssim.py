"""`python -m dev.bench.ssim`: the `ssimulacra2` package's time and memory per megapixel,
beside the reference binary's when one is given, each measurement in a fresh process.

    python -m dev.bench.ssim                                # the package alone
    python -m dev.bench.ssim --reference /path/to/ssimulacra2 --repeat 3

Each size (0.25, 1 and 4 MP, 3:2) is the photo-like source of `tests/ssim_pairs.py`
against its JPEG at quality 50, written once as two PNGs. Every repetition runs every
size with every scorer in a new process, interleaved so that a noisy neighbour slows
both alike, and the table quotes medians. Peak memory is the scoring process's own
high-water mark (VmHWM): for the package, `dev.peak.peak_rss_kib` in the child after
scoring, and the same before scoring (the interpreter, numpy, scipy and Pillow) so the
part that grows with the image shows apart; for the reference, its own VmHWM read from
/proc while it runs (it holds its buffers to the end, so the last reading is its peak).
The scores are printed too: the package's difference from the reference by image size.
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


def child(original: str, distorted: str) -> None:
    """In a fresh process: score once with the package and report time and peak."""
    from ssimulacra2 import compute_ssimulacra2

    from dev.peak import peak_rss_kib

    base = peak_rss_kib()
    start = time.perf_counter()
    score = float(compute_ssimulacra2(original, distorted))
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {"seconds": seconds, "peak_kib": peak_rss_kib(), "base_kib": base, "score": score}
        )
    )


def run_package(paths: tuple[Path, Path], runs: Runs) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dev.bench.ssim", "--child", str(paths[0]), str(paths[1])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    runs.seconds.append(result["seconds"])
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
        lines.append("| MP | package / reference time | package / reference peak | score diff |")
        lines.append("| --- | --- | --- | --- |")
        for mp in SIZES_MP:
            p, ref = results[("package", mp)], results[("reference", mp)]
            lines.append(
                f"| {mp:g} | {statistics.median(p.seconds) / statistics.median(ref.seconds):.1f}x"
                f" | {statistics.median(p.peak_kib) / statistics.median(ref.peak_kib):.1f}x"
                f" | {p.score - ref.score:+.3f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", type=Path, help="the reference ssimulacra2 binary")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return
    scorers = ["package"] + (["reference"] if args.reference else [])
    results = {(s, mp): Runs() for s in scorers for mp in SIZES_MP}
    with tempfile.TemporaryDirectory(prefix="picset-ssim-bench-") as folder:
        pairs = {mp: write_pair(mp, Path(folder)) for mp in SIZES_MP}
        for repetition in range(args.repeat):
            for mp in SIZES_MP:
                for scorer in scorers:
                    print(
                        f"run {repetition + 1}/{args.repeat}: {scorer} {mp:g} MP", file=sys.stderr
                    )
                    if scorer == "package":
                        run_package(pairs[mp], results[(scorer, mp)])
                    else:
                        run_reference(args.reference, pairs[mp], results[(scorer, mp)])
    print(table(results, scorers))


if __name__ == "__main__":
    main()
