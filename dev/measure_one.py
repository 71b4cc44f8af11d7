"""Run the pipeline once over one file in a fresh process and print what it cost.

    .venv/bin/python -m dev.measure_one FILE [FILE...]

Prints one JSON line per file: the outcome (`ready` or the error code), the wall time of
the pipeline alone (the interpreter's start is not counted) and the process's peak
resident memory in MB, which does include the interpreter and the imported libraries
(about 60 MB): that is what a Lambda's memory setting has to cover. Run each file in its
own process to get each file's own peak; `tests/test_bombs.py` does exactly that.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from chalicelib.errors import PicsetError
from chalicelib.pipeline import Context, Options, run


def measure(path: Path, options: Options) -> dict[str, object]:
    data = path.read_bytes()
    started = time.perf_counter()
    try:
        run(Context(data=data, options=options))
        outcome = "ready"
    except PicsetError as exc:
        outcome = exc.code
    seconds = time.perf_counter() - started
    # ru_maxrss is in kilobytes on Linux.
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "file": path.name,
        "outcome": outcome,
        "seconds": round(seconds, 3),
        "peak_mb": round(peak_mb, 1),
    }


def main(argv: list[str]) -> int:
    for name in argv:
        print(json.dumps(measure(Path(name), Options())), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
