"""Print what the pipeline makes of every corpus file: outcome, time, and for ready files
the colour difference of each widest variant to the independent reference.

    .venv/bin/python -m dev.corpus_report [CORPUS_DIR]

The numbers are the ones `tests/test_corpus.py` holds to its thresholds; this prints them
all, for a person to read (mean and 95th percentile CIE76 ΔE, see `dev/imaging.py`).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PIL import Image

from chalicelib.errors import PicsetError
from chalicelib.pipeline import Context, Options, run
from dev.imaging import delta_e, open_bytes, reference

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
#: CMYK files without a profile are compared as Photoshop's default SWOP v2 shows them.
SWOP_TWIN = "Channel_digital_image_CMYK_color.jpg"
NO_PROFILE_CMYK = (
    "Channel_digital_image_CMYK_color_no_profile.jpg",
    "Giunchedi_cmyk-orientation-exif.jpg",
)


def report(corpus: Path, options: Options) -> list[str]:
    twin = Image.open(corpus / SWOP_TWIN).info.get("icc_profile")
    lines = []
    for path in sorted(corpus.iterdir()):
        if path.suffix in (".tsv", ".md"):
            continue
        started = time.perf_counter()
        try:
            ctx = run(Context(data=path.read_bytes(), options=options))
        except PicsetError as exc:
            ms = (time.perf_counter() - started) * 1000
            lines.append(f"{path.name}\tfailed {exc.code}\t{ms:.0f} ms\t{exc.message}")
            continue
        ms = (time.perf_counter() - started) * 1000
        top = max(o.width for o in ctx.outputs)
        override = twin if path.name in NO_PROFILE_CMYK else None
        diffs = []
        for out in sorted(ctx.outputs, key=lambda o: o.format):
            if out.width == top:
                variant = open_bytes(out.body)
                mean, p95 = delta_e(variant, reference(path, variant.size, override))
                diffs.append(f"{out.format} {mean:.2f}/{p95:.2f}")
        lines.append(
            f"{path.name}\tready {ctx.format} {ctx.display_width}x{ctx.display_height}"
            f"\t{ms:.0f} ms\tΔE mean/p95 at {top} px: " + ", ".join(diffs)
        )
    return lines


def main(argv: list[str]) -> int:
    corpus = Path(argv[0]) if argv else DEFAULT_CORPUS
    for line in report(corpus, Options(widths=(320, 960))):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
