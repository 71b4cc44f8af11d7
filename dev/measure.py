"""Measure what the resize function needs: wall time and peak memory of one image through
the whole processor (pipeline, variants, manifest), each image in a fresh process.

This is what sizes the Lambda's `lambda_memory_size` and `lambda_timeout` in
`.chalice/config.json`; the README's deploy section records the numbers. A fresh process
per image matters: peak RSS is a high-water mark, so measuring several images in one
process would report the largest so far, not each image's own.

Run: `python -m dev.measure [FILE ...]` (default: the corpus's largest photos).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dev.peak import peak_rss_kib

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
#: The corpus's biggest photos by pixels and bytes that are meant to succeed.
DEFAULT_FILES = (
    "exif-sample-large.jpg",
    "avif-orientation-6.avif",
    "gain-map.jpg",
    "2569067123_aca715a2ee_o.jpg",
    "old-style-jpeg-compression.png",
    "libvips-sample-rgb16.png",
)


def measure_one(path: Path, quality: str = "auto") -> dict[str, object]:
    """Process `path` once in this process; report time, outcome and peak RSS."""
    from chalicelib import keys
    from chalicelib.processor import Processor, UploadRecord
    from chalicelib.settings import Settings
    from dev.memory import MemoryStorage

    storage = MemoryStorage()
    image_id = keys.new_image_id()
    data = path.read_bytes()
    storage.put(keys.upload_key(image_id), data, content_type="application/octet-stream")
    settings = Settings.from_env({"PICSET_LOG_JSON": "false", "PICSET_QUALITY": quality})
    started = time.perf_counter()
    cpu_started = time.process_time()
    outcome = Processor(storage, settings).process(UploadRecord(keys.upload_key(image_id)))
    elapsed = time.perf_counter() - started
    # CPU seconds (all threads) barely change with other load on the machine, and at the
    # one vCPU a 1769-2048 MB Lambda gets, they are close to its wall time.
    cpu = time.process_time() - cpu_started
    manifest = outcome.manifest
    peak_kib = peak_rss_kib()
    return {
        "file": path.name,
        "bytes": len(data),
        "size": [manifest.source.width, manifest.source.height] if manifest else None,
        "outcome": outcome.status,
        "error_code": manifest.error.code if manifest and manifest.error else None,
        "seconds": round(elapsed, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_mib": round(peak_kib / 1024),
        "variants": len(manifest.variants) if manifest else 0,
    }


def _photo(width: int, height: int, fmt: str) -> bytes:
    """A noisy gradient: noise keeps the encoders honest (flat images are cheap)."""
    import io

    from PIL import Image

    gradient = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 12)
    image = Image.merge(
        "RGB", (gradient, noise, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    )
    buffer = io.BytesIO()
    options = {"JPEG": {"quality": 85}, "AVIF": {"quality": 60, "speed": 10}}.get(fmt, {})
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--quality",
        choices=("auto", "fixed"),
        default="auto",
        help="PICSET_QUALITY for every image (default: auto, the deployed default)",
    )
    parser.add_argument(
        "--synthetic",
        action="append",
        default=[],
        metavar="WxH[.png]",
        help="also measure a generated photo of this size (JPEG; PNG or AVIF with .png or .avif)",
    )
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.one, args.quality)))
        return
    files = list(args.files or [CORPUS / name for name in DEFAULT_FILES])
    scratch = Path(tempfile.mkdtemp(prefix="picset-measure-"))
    for spec in args.synthetic:
        size, _, ext = spec.lower().partition(".")
        width, height = (int(v) for v in size.split("x"))
        path = scratch / f"synthetic-{width}x{height}.{ext or 'jpg'}"
        path.write_bytes(_photo(width, height, {"png": "PNG", "avif": "AVIF"}.get(ext, "JPEG")))
        files.append(path)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    print(
        f"{'file':34} {'bytes':>9} {'size':>11} {'outcome':>8} "
        f"{'seconds':>8} {'cpu s':>6} {'peak MiB':>9}"
    )
    for path in files:
        done = subprocess.run(
            [sys.executable, "-m", "dev.measure", "--one", str(path), "--quality", args.quality],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        row = json.loads(done.stdout.strip().splitlines()[-1])
        size = "x".join(str(v) for v in row["size"]) if row["size"] else "-"
        print(
            f"{row['file']:34} {row['bytes']:>9} {size:>11} {row['outcome']:>8} "
            f"{row['seconds']:>8} {row['cpu_seconds']:>6} {row['peak_mib']:>9}"
        )


if __name__ == "__main__":
    main()
