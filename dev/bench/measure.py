"""One measurement in its own process: `python -m dev.bench.measure VARIANT PATH`.

A fresh process per measurement keeps peak RSS honest (nothing left over from an earlier
run) and matches a Lambda's cold start less the imports: libraries are imported and
Pillow's plugins registered before the clock starts, so only the image work is timed;
picset's allocator setting (`chalicelib.pipeline.allocator`) applies to every variant.
Prints one JSON object: wall and CPU seconds, peak RSS, bytes per format, steps in ms.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

from PIL import Image

from chalicelib.pipeline import allocator
from chalicelib.pipeline.sniff import detect
from dev.peak import peak_rss_mb

from .variants import VARIANTS, prepare


def measure(variant: str, path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    fmt = detect(data[:512]) or "unknown"
    Image.init()  # register every plugin now, not inside the first timed save
    allocator.tune()  # picset's allocator setting, for every variant alike
    run = prepare(variant, data, fmt)
    gc.collect()
    baseline = peak_rss_mb()
    wall_started, cpu_started = time.perf_counter(), time.process_time()
    made = run()
    wall, cpu = time.perf_counter() - wall_started, time.process_time() - cpu_started
    return {
        "variant": variant,
        "input": path.name,
        "wall": round(wall, 4),
        "cpu": round(cpu, 4),
        "peak_rss_mb": peak_rss_mb(),
        "baseline_rss_mb": baseline,
        "bytes": made.bytes_by_format,
        "outputs": made.outputs,
        "steps": made.steps,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("variant", choices=VARIANTS)
    parser.add_argument("path", type=Path)
    args = parser.parse_args(argv)
    json.dump(measure(args.variant, args.path), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
