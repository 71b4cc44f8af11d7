"""The whole flow on the local emulator: ticket, direct upload to the bucket, S3 event
through SQS to the worker, variants and manifest back in the bucket, status polled as a
browser would. Measures upload → ready latency one at a time, then many in flight."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from dev.stack import Stack, free_port

from .report import percentile

POLL_SECONDS = 0.05
#: With many uploads in flight, polling each at 20 Hz would take CPU from the worker that
#: it is measuring; twice a second is plenty when the answers take tens of seconds.
BURST_POLL_SECONDS = 0.5


def upload_and_wait(
    stack: Stack, data: bytes, name: str, poll: float = POLL_SECONDS, timeout: float = 300
) -> float:
    """Seconds from the start of the upload to the first `ready` answer."""
    ticket = requests.post(
        f"{stack.url}api/uploads",
        json={
            "filename": name,
            "content_type": "image/jpeg",
            "size": len(data),
            "alt": "Benchmark photo",
        },
        headers=stack.auth(),
        timeout=30,
    )
    ticket.raise_for_status()
    body = ticket.json()
    started = time.perf_counter()
    posted = requests.post(
        body["url"], data=body["fields"], files={"file": (name, data, "image/jpeg")}, timeout=60
    )
    posted.raise_for_status()
    deadline = started + timeout
    while time.perf_counter() < deadline:
        status = requests.get(body["status_url"], timeout=30)
        if status.status_code == 200:
            manifest = status.json()
            if manifest["status"] != "ready":
                raise RuntimeError(f"{name} ended {manifest['status']}: {manifest.get('error')}")
            return time.perf_counter() - started
        time.sleep(poll)
    raise TimeoutError(f"{name} was not ready within {timeout:.0f}s")


def measure_flow(
    photo: Path, sequential: int = 7, in_flight: int = 20, worker_concurrency: int = 2
) -> dict[str, Any]:
    data = photo.read_bytes()
    with Stack(
        app_port=free_port(),
        s3_port=free_port(),
        quiet=True,
        worker_concurrency=worker_concurrency,
        extra_env={"PICSET_LOG_JSON": "false"},
    ) as stack:
        upload_and_wait(stack, data, "warm-up.jpg")  # first image pays the worker's imports
        latencies = [upload_and_wait(stack, data, f"photo-{i}.jpg") for i in range(sequential)]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=in_flight) as pool:
            burst = list(
                pool.map(
                    lambda i: upload_and_wait(stack, data, f"burst-{i}.jpg", BURST_POLL_SECONDS),
                    range(in_flight),
                )
            )
        burst_wall = time.perf_counter() - started
    return {
        "photo": photo.name,
        "latencies": [round(s, 3) for s in latencies],
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "in_flight": in_flight,
        "burst_wall": burst_wall,
        "burst_p50": percentile(burst, 50),
        "burst_p95": percentile(burst, 95),
        "worker_concurrency": worker_concurrency,
    }
