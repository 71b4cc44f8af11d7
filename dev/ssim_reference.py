"""Record the reference SSIMULACRA2 scores that `tests/test_ssimulacra2.py` checks against.

    python -m dev.ssim_reference /path/to/ssimulacra2 --commit <reference commit>

The binary is Cloudinary's reference implementation (github.com/cloudinary/ssimulacra2),
built by whoever records, following that repository's README; picset ships neither its
code nor a build of it. This script only runs it: each pair of `tests/ssim_pairs.py` is
written as two PNGs to a temporary folder and scored, and the scores go to
`tests/data/ssimulacra2-reference.json` with the reference's commit, the date and the
versions of the encoders that made the distorted pixels (whose hashes are kept per pair).

Dev-only: nothing here is deployed or imported by the app.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.ssim_pairs import Pair, all_pairs, encoder_versions, pixels_sha256, png_bytes

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "ssimulacra2-reference.json"


def reference_banner(binary: Path) -> str:
    """The binary's own first usage line, e.g. "SSIMULACRA 2.1 [AVX2,SSE4,...]"."""
    done = subprocess.run([str(binary)], capture_output=True, text=True, timeout=30)
    return done.stderr.splitlines()[0].strip() if done.stderr else ""


def reference_score(binary: Path, pair: Pair, folder: Path) -> float:
    original, distorted = folder / f"{pair.name}.orig.png", folder / f"{pair.name}.dist.png"
    original.write_bytes(png_bytes(pair.source))
    distorted.write_bytes(png_bytes(pair.distorted))
    done = subprocess.run(
        [str(binary), str(original), str(distorted)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return float(done.stdout.strip())


def record(binary: Path, commit: str) -> dict[str, Any]:
    pairs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="picset-ssim-") as folder:
        for pair in all_pairs():
            pairs[pair.name] = {
                "score": round(reference_score(binary, pair, Path(folder)), 4),
                "source_sha256": pixels_sha256(pair.source),
                "distorted_sha256": pixels_sha256(pair.distorted),
            }
    return {
        "reference": {
            "repository": "github.com/cloudinary/ssimulacra2",
            "commit": commit,
            "banner": reference_banner(binary),
            "recorded": datetime.now(UTC).date().isoformat(),
        },
        "encoders": encoder_versions(),
        "pairs": pairs,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary", type=Path, help="the reference ssimulacra2 executable")
    parser.add_argument("--commit", required=True, help="the reference's git commit")
    parser.add_argument("--out", type=Path, default=DATA)
    args = parser.parse_args(argv)
    data = record(args.binary, args.commit)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=1) + "\n")
    for name, entry in data["pairs"].items():
        print(f"{name:24s} {entry['score']:9.4f}")


if __name__ == "__main__":
    main()
