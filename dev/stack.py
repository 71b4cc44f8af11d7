"""The whole app on one machine: an S3/SQS emulator, the bootstrap, the worker and the
API, each as a child process on loopback. Used by `dev.local` and by the tests.

The emulator is moto's server by default; `emulator="localstack"` starts LocalStack
instead (from `.venv-localstack`, installed on first use), which enforces presigned POST
policies and CORS as S3 does. Given `emulator_url`, picset uses a running emulator and
starts none of its own.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(
    url: str, timeout: float = 30.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s")


@dataclass
class Stack:
    app_port: int = 8000
    s3_port: int = 9001
    host: str = "127.0.0.1"
    bucket: str = "picset-local"
    emulator_url: str | None = None
    emulator: str = "moto"  # or "localstack"
    worker_concurrency: int = 2
    #: how long a received message stays hidden; a killed worker's image comes back after it
    visibility_timeout: int = 60
    extra_env: dict[str, str] = field(default_factory=dict)
    quiet: bool = False
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _state: tempfile.TemporaryDirectory[str] | None = None

    @property
    def endpoint_url(self) -> str:
        return self.emulator_url or f"http://{self.host}:{self.s3_port}"

    @property
    def processing_bound(self) -> int:
        """How long an upload may stay `processing` here: every delivery may take the
        whole visibility timeout before SQS dead-letters it."""
        from dev.bootstrap import processing_bound, template_max_receives

        return processing_bound(template_max_receives(), self.visibility_timeout)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.app_port}/"

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            AWS_ACCESS_KEY_ID=env.get("AWS_ACCESS_KEY_ID", "testing"),
            AWS_SECRET_ACCESS_KEY=env.get("AWS_SECRET_ACCESS_KEY", "testing"),
            AWS_DEFAULT_REGION="us-east-1",
            PICSET_BUCKET=self.bucket,
            PICSET_REGION="us-east-1",
            PICSET_ENDPOINT_URL=self.endpoint_url,
            PICSET_ALLOWED_ORIGINS=f"http://{self.host}:{self.app_port},http://localhost:{self.app_port}",
            # The local worker serves the queued trigger, as in the queued stage.
            PICSET_TRIGGER="sqs",
            PICSET_PROCESSING_TIMEOUT_SECONDS=str(self.processing_bound),
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        output = subprocess.DEVNULL if self.quiet else None
        process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=output, stderr=output)
        self.processes[name] = process
        return process

    def start(self) -> Stack:
        try:
            if self.emulator_url is None:
                self.start_emulator()
            self.bootstrap()
            self.start_worker()
            api = self._spawn(
                "api",
                [
                    str(BIN / "chalice"),
                    "local",
                    "--host",
                    self.host,
                    "--port",
                    str(self.app_port),
                    "--stage",
                    "local",
                    "--no-autoreload",
                ],
            )
            wait_for_http(self.url, timeout=60, process=api)
        except BaseException:
            self.stop()
            raise
        return self

    def start_emulator(self) -> None:
        if self.emulator == "localstack":
            from dev import localstack

            process, self._state = localstack.spawn(self.host, self.s3_port, quiet=self.quiet)
            self.processes["localstack"] = process
            localstack.wait_ready(self.endpoint_url, process)
        elif self.emulator == "moto":
            moto = self._spawn(
                "moto",
                [sys.executable, "-m", "moto.server", "-H", self.host, "-p", str(self.s3_port)],
            )
            wait_for_http(f"{self.endpoint_url}/moto-api/", process=moto)
        else:
            raise ValueError(f"unknown emulator {self.emulator!r}: use moto or localstack")

    def bootstrap(self) -> None:
        saved = dict(os.environ)
        os.environ.update(self.env)
        try:
            from chalicelib import aws
            from chalicelib.settings import Settings
            from dev.bootstrap import bootstrap

            settings = Settings.from_env(os.environ)
            bootstrap(
                aws.client("s3", settings),
                aws.client("sqs", settings),
                settings,
                visibility_timeout=self.visibility_timeout,
                dynamodb=aws.client("dynamodb", settings) if self.emulator == "moto" else None,
            )
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def start_worker(self) -> subprocess.Popen[bytes]:
        return self._spawn(
            "worker",
            [sys.executable, "-m", "dev.worker", "--concurrency", str(self.worker_concurrency)],
        )

    def stop_worker(self, kill: bool = False) -> None:
        process = self.processes.pop("worker", None)
        if process is not None:
            _end(process, kill)

    def stop(self) -> None:
        for name in ("api", "worker", "moto", "localstack"):
            process = self.processes.pop(name, None)
            if process is not None:
                _end(process, kill=False)
        if self._state is not None:
            self._state.cleanup()
            self._state = None

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _end(process: subprocess.Popen[bytes], kill: bool) -> None:
    if process.poll() is not None:
        return
    if kill:
        process.kill()
    else:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
