"""`python -m dev.bench.encoders`: bytes versus time for AVIF speeds and WebP methods at
a few qualities, on corpus photos at a typical variant width, with PSNR against the
resized source so a faster setting that loses quality shows it. picset's defaults
(`chalicelib/settings.py`) are chosen from this table; docs/encoder-settings.md holds it.

The table replaces everything after the marker line in the output file, so the written
reasoning above it stays.
"""

from __future__ import annotations

import argparse
import io
import math
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops, ImageStat

from .inputs import CORPUS, ROOT
from .report import markdown_table, median

MARKER = "<!-- measured: everything below is written by python -m dev.bench.encoders -->"
OUT = ROOT / "docs" / "encoder-settings.md"
PHOTOS = ("exif-sample-large.jpg", "gain-map.jpg", "2569067123_aca715a2ee_o.jpg")
AVIF_SPEEDS = (4, 5, 6, 7, 8, 9)
AVIF_QUALITIES = (45, 50, 55, 60)
WEBP_METHODS = (0, 1, 2, 3, 4, 5, 6)
WEBP_QUALITIES = (70, 75, 80)
JPEG_QUALITIES = (75, 80, 85)


@dataclass(frozen=True)
class Setting:
    format: str
    knob: str  # "speed" for AVIF, "method" for WebP, "" for JPEG
    value: int
    quality: int

    def save_arguments(self) -> tuple[str, dict[str, Any]]:
        if self.format == "avif":
            return "AVIF", {"quality": self.quality, "speed": self.value}
        if self.format == "webp":
            return "WEBP", {"quality": self.quality, "method": self.value}
        return "JPEG", {"quality": self.quality, "optimize": True, "progressive": True}


def settings_grid() -> list[Setting]:
    grid = [Setting("avif", "speed", s, q) for s in AVIF_SPEEDS for q in AVIF_QUALITIES]
    grid += [Setting("webp", "method", m, q) for m in WEBP_METHODS for q in WEBP_QUALITIES]
    grid += [Setting("jpeg", "", 0, q) for q in JPEG_QUALITIES]
    return grid


def psnr(reference: Image.Image, encoded: bytes) -> float:
    """Peak signal-to-noise ratio (dB) of the decoded variant against the source pixels."""
    decoded = Image.open(io.BytesIO(encoded)).convert("RGB")
    squares = ImageStat.Stat(ImageChops.difference(reference, decoded)).sum2
    mse = sum(squares) / (reference.width * reference.height * 3)
    return 99.0 if mse == 0 else 10 * math.log10(255**2 / mse)


def measure(image: Image.Image, setting: Setting, reps: int) -> tuple[int, float, float, float]:
    """(bytes, median wall ms, median CPU ms, PSNR) of encoding `image` with `setting`."""
    name, arguments = setting.save_arguments()
    walls, cpus, body = [], [], b""
    for _ in range(reps):
        buffer = io.BytesIO()
        wall, cpu = time.perf_counter(), time.process_time()
        image.save(buffer, name, **arguments)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        body = buffer.getvalue()
    return len(body), median(walls), median(cpus), psnr(image, body)


def load_sources(width: int) -> list[Image.Image]:
    sources = []
    for name in PHOTOS:
        path = CORPUS / name
        if path.is_file():
            with Image.open(path) as photo:
                rgb = photo.convert("RGB")
            height = round(rgb.height * width / rgb.width)
            sources.append(rgb.resize((width, height), Image.Resampling.LANCZOS))
    return sources


def rows(
    results: Iterable[tuple[Setting, list[tuple[int, float, float, float]]]],
) -> list[list[str]]:
    table = []
    for setting, per_photo in results:
        table.append(
            [
                setting.format,
                f"{setting.knob} {setting.value}" if setting.knob else "progressive, optimized",
                str(setting.quality),
                f"{sum(r[0] for r in per_photo) / 1024:,.0f}",
                f"{sum(r[1] for r in per_photo):,.0f}",
                f"{sum(r[2] for r in per_photo):,.0f}",
                f"{sum(r[3] for r in per_photo) / len(per_photo):.2f}",
            ]
        )
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dev.bench.encoders", description=__doc__)
    parser.add_argument("--width", type=int, default=1280, help="variant width (1280)")
    parser.add_argument("--reps", type=int, default=1, help="encodes per cell; median taken")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    sources = load_sources(args.width)
    if not sources:
        sys.exit(f"none of {', '.join(PHOTOS)} found in {CORPUS}")
    results = []
    for setting in settings_grid():
        per_photo = [measure(image, setting, args.reps) for image in sources]
        results.append((setting, per_photo))
        print(f"{setting}  {rows([(setting, per_photo)])[0][3:]}", file=sys.stderr, flush=True)
    table = markdown_table(
        ["format", "setting", "quality", "KB", "wall ms", "CPU ms", "PSNR dB"], rows(results)
    )
    text = (
        f"{len(sources)} corpus photos ({', '.join(PHOTOS[: len(sources)])}) resized to "
        f"{args.width} px wide with Lanczos; KB, wall and CPU are sums over the photos, PSNR "
        f"their mean; {args.reps} encode(s) per cell, median taken; one encode at a time "
        "(libavif may use its own threads, so CPU can exceed wall).\n\n"
        f"{table}\n"
    )
    head = args.out.read_text().split(MARKER)[0] if args.out.is_file() else "# Encoder settings\n\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(f"{head.rstrip()}\n\n{MARKER}\n\n{text}")
    print(text)


if __name__ == "__main__":
    main()
