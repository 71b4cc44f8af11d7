"""Load: push many uploads through the local stack at once and count what comes out.

    python -m dev.load [--uploads 100] [--in-flight 20] [--concurrency 2]
                       [--kill-worker-after 50] [--localstack]

Starts its own stack (moto by default, LocalStack with `--localstack`), then runs
`--in-flight` clients at once, each doing what the browser does: ask for a ticket, POST
the file straight to the bucket, poll the status URL until the image is `ready` or
`failed`. With `--kill-worker-after N`, the worker is SIGKILLed once N uploads were
accepted and restarted `--down-seconds` later; the messages it held come back after the
visibility timeout, so nothing may be lost.

Prints uploads accepted, images ready, failed, lost (accepted but never finished: must be
0, or the exit status is 1), throughput, and p50/p95 from the start of an upload to its
image being ready. This is a measurement script, not a test: the numbers depend on the
machine.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

import requests
from PIL import Image

from dev.stack import Stack, free_port


@dataclass
class Result:
    index: int
    accepted: bool = False
    status: str = "lost"  # ready | failed | rejected | lost
    seconds: float | None = None
    detail: str = ""


@dataclass
class Report:
    uploads: int
    in_flight: int
    worker_concurrency: int
    emulator: str
    accepted: int = 0
    ready: int = 0
    failed: int = 0
    rejected: int = 0
    lost: int = 0
    wall_seconds: float = 0.0
    throughput_per_minute: float = 0.0
    p50_seconds: float | None = None
    p95_seconds: float | None = None
    worker_killed_at: float | None = None
    worker_restarted_at: float | None = None
    dead_lettered: int = 0
    problems: list[str] = field(default_factory=list)


def sample_image(index: int) -> bytes:
    """A photo-sized picture that differs per upload (size and content)."""
    width, height = 1200 + (index % 5) * 160, 900 + (index % 3) * 120
    gradient = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 40 + index % 20)
    image = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.ROTATE_180)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


class Load:
    def __init__(self, stack: Stack, args: argparse.Namespace) -> None:
        self.stack = stack
        self.args = args
        self.accepted = 0
        self.lock = threading.Lock()
        self.kill_due = threading.Event()
        self.done = threading.Event()
        self.started = 0.0
        self.killed_at: float | None = None
        self.restarted_at: float | None = None

    def one(self, index: int) -> Result:
        result = Result(index)
        data = sample_image(index)
        began = time.monotonic()
        session = requests.Session()
        try:
            response = session.post(
                f"{self.stack.url}api/uploads",
                json={
                    "filename": f"load-{index}.jpg",
                    "content_type": "image/jpeg",
                    "size": len(data),
                    "alt": f"Load test photo {index}",
                },
                headers=self.stack.auth(),
                timeout=30,
            )
            if response.status_code != 201:
                result.status, result.detail = "rejected", f"ticket {response.status_code}"
                return result
            ticket = response.json()
            posted = session.post(
                ticket["url"],
                data=ticket["fields"],
                files={"file": (f"load-{index}.jpg", data, "image/jpeg")},
                timeout=60,
            )
            if posted.status_code not in (200, 201, 204):
                result.status, result.detail = "rejected", f"bucket {posted.status_code}"
                return result
        except requests.RequestException as exc:
            result.status, result.detail = "rejected", str(exc)
            return result
        result.accepted = True
        with self.lock:
            self.accepted += 1
            if self.args.kill_worker_after and self.accepted == self.args.kill_worker_after:
                self.kill_due.set()
        deadline = time.monotonic() + self.args.timeout
        while time.monotonic() < deadline:
            try:
                status = session.get(ticket["status_url"], timeout=30)
            except requests.RequestException:
                time.sleep(0.5)
                continue
            if status.status_code == 200:
                body = status.json()
                result.status = body["status"]
                result.seconds = time.monotonic() - began
                if body.get("error"):
                    result.detail = body["error"]["code"]
                return result
            time.sleep(0.25)
        result.detail = f"not finished after {self.args.timeout:.0f}s"
        return result

    def killer(self) -> None:
        """SIGKILL the worker when due, restart it a little later."""
        while not self.kill_due.wait(0.2):
            if self.done.is_set():
                return
        self.stack.stop_worker(kill=True)
        self.killed_at = time.monotonic() - self.started
        print(f"load: worker SIGKILLed at {self.killed_at:.1f}s", flush=True)
        time.sleep(self.args.down_seconds)
        self.stack.start_worker()
        self.restarted_at = time.monotonic() - self.started
        print(f"load: worker restarted at {self.restarted_at:.1f}s", flush=True)

    def run(self) -> Report:
        args = self.args
        killer = threading.Thread(target=self.killer, daemon=True)
        killer.start()
        self.started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.in_flight) as pool:
            results = list(pool.map(self.one, range(args.uploads)))
        wall = time.monotonic() - self.started
        self.done.set()
        killer.join(timeout=args.down_seconds + 30)
        return self.report(results, wall)

    def report(self, results: list[Result], wall: float) -> Report:
        args = self.args
        report = Report(
            uploads=args.uploads,
            in_flight=args.in_flight,
            worker_concurrency=args.concurrency,
            emulator=self.stack.emulator,
        )
        times = sorted(r.seconds for r in results if r.status == "ready" and r.seconds)
        report.accepted = sum(r.accepted for r in results)
        report.ready = sum(r.status == "ready" for r in results)
        report.failed = sum(r.status == "failed" for r in results)
        report.rejected = sum(r.status == "rejected" for r in results)
        report.lost = sum(r.accepted and r.status == "lost" for r in results)
        report.wall_seconds = round(wall, 1)
        report.throughput_per_minute = round((report.ready + report.failed) / wall * 60, 1)
        p50, p95 = percentile(times, 0.50), percentile(times, 0.95)
        report.p50_seconds = round(p50, 2) if p50 is not None else None
        report.p95_seconds = round(p95, 2) if p95 is not None else None
        report.worker_killed_at = round(self.killed_at, 1) if self.killed_at else None
        report.worker_restarted_at = round(self.restarted_at, 1) if self.restarted_at else None
        report.dead_lettered = self.dead_lettered()
        report.problems = [f"#{r.index}: {r.status} {r.detail}" for r in results if r.detail]
        return report

    def dead_lettered(self) -> int:
        from chalicelib import aws
        from chalicelib.settings import Settings

        settings = Settings(bucket=self.stack.bucket, endpoint_url=self.stack.endpoint_url)
        sqs = aws.client("sqs", settings)
        url = sqs.get_queue_url(QueueName=f"{settings.queue_name}-dlq")["QueueUrl"]
        attributes = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])


def render(report: Report) -> str:
    lines = [
        f"picset load: {report.uploads} uploads, {report.in_flight} in flight, "
        f"worker concurrency {report.worker_concurrency}, emulator {report.emulator}",
        f"  uploads accepted  {report.accepted}",
        f"  images ready      {report.ready}",
        f"  failed            {report.failed}",
        f"  rejected          {report.rejected}",
        f"  lost              {report.lost}",
        f"  dead-lettered     {report.dead_lettered}",
        f"  wall time         {report.wall_seconds:.1f} s",
        f"  throughput        {report.throughput_per_minute:.1f} images/min",
        f"  upload -> ready   p50 {report.p50_seconds} s, p95 {report.p95_seconds} s",
    ]
    if report.worker_killed_at is not None:
        lines.append(
            f"  worker SIGKILLed at {report.worker_killed_at:.1f} s, "
            f"restarted at {report.worker_restarted_at:.1f} s"
        )
    lines += [f"  ! {problem}" for problem in report.problems[:20]]
    return "\n".join(lines)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--uploads", type=int, default=100, help="uploads to push (100)")
    parser.add_argument("--in-flight", type=int, default=20, help="clients at once (20)")
    parser.add_argument("--concurrency", type=int, default=2, help="worker threads (2)")
    parser.add_argument(
        "--kill-worker-after",
        type=int,
        default=0,
        help="SIGKILL the worker once this many uploads were accepted (0: never)",
    )
    parser.add_argument(
        "--down-seconds", type=float, default=3.0, help="how long the worker stays dead (3)"
    )
    parser.add_argument(
        "--visibility-timeout",
        type=int,
        default=20,
        help="seconds before a dead worker's messages are delivered again (20)",
    )
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="give up on one image after this (600 s)"
    )
    parser.add_argument("--localstack", action="store_true", help="run on LocalStack, not moto")
    parser.add_argument("--json", action="store_true", help="print the report as JSON too")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    stack = Stack(
        app_port=free_port(),
        s3_port=free_port(),
        emulator="localstack" if args.localstack else "moto",
        worker_concurrency=args.concurrency,
        visibility_timeout=args.visibility_timeout,
        extra_env={"PICSET_LOG_JSON": "false"},
        quiet=True,
    )
    print("load: starting the stack ...", flush=True)
    with stack:
        report = Load(stack, args).run()
    print(render(report))
    if args.json:
        print(json.dumps(asdict(report), indent=2))
    return 1 if report.lost or report.rejected else 0


if __name__ == "__main__":
    sys.exit(main())
