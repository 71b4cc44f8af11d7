"""The whole app on one machine: an S3/SQS emulator, the bootstrap, the worker and the
API, each as a child process on loopback. Used by `dev.local` and by the tests.

The emulator is moto's server by default; `emulator="localstack"` starts LocalStack
instead (from `.venv-localstack`, installed on first use), which enforces presigned POST
policies and CORS as S3 does. Given `emulator_url`, picset uses a running emulator and
starts none of its own.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dev.waiting import DEADLINE, wait_until

if TYPE_CHECKING:
    from chalicelib.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
#: Seconds one look at a starting server may take before it is tried again.
REQUEST_TIMEOUT = 10.0
#: Seconds a stopped process gets to exit before it is killed. The worker finishes the
#: image in hand first, which on a busy machine takes far longer than a few seconds, and
#: killing it mid-image would hide that message for the whole visibility timeout.
EXIT_GRACE = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(
    url: str, timeout: float = DEADLINE, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Wait until `url` answers at all (any HTTP status); raise at once if `process`,
    the server behind it, exits first."""

    def answers() -> bool:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            # A busy server may take seconds to answer its first request.
            urllib.request.urlopen(url, timeout=REQUEST_TIMEOUT).close()
        except urllib.error.HTTPError:
            pass  # it answered
        except OSError:
            return False
        return True

    wait_until(answers, f"{url} answering", timeout=timeout, interval=0.1)


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
    #: seconds the processing bound adds beyond every delivery's visibility timeout
    bound_margin: int = 60
    extra_env: dict[str, str] = field(default_factory=dict)
    #: the local user the run command prints; a fresh password each start unless given
    user: str = "picset"
    password: str = field(default_factory=lambda: dev_password())
    #: where Cognito is emulated: the emulator itself, or (LocalStack's free edition has
    #: none) a moto server of its own on this port
    identity_port: int | None = None
    quiet: bool = False
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    #: the queue the bootstrap subscribes to picset's events (None with events off)
    events_queue_url: str | None = None
    _state: tempfile.TemporaryDirectory[str] | None = None
    _identity: dict[str, str] = field(default_factory=dict)
    _tokens: dict[str, str] = field(default_factory=dict)

    @property
    def endpoint_url(self) -> str:
        return self.emulator_url or f"http://{self.host}:{self.s3_port}"

    @property
    def identity_url(self) -> str:
        if self.identity_port is not None:
            return f"http://{self.host}:{self.identity_port}"
        return self.endpoint_url

    @property
    def processing_bound(self) -> int:
        """How long an upload may stay `processing` here: every delivery may take the
        whole visibility timeout before SQS dead-letters it."""
        from dev.bootstrap import processing_bound, template_max_receives

        return processing_bound(template_max_receives(), self.visibility_timeout, self.bound_margin)

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
            PICSET_ACCOUNTS_ENDPOINT_URL=self.identity_url,
            PICSET_SITE_URL=self.url,
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
        )
        env.update(self._identity)
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
            if self.emulator == "localstack":
                self.start_identity_emulator()
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
            wait_for_http(self.url, process=api)
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
                [sys.executable, "-m", "dev.emulator", "-H", self.host, "-p", str(self.s3_port)],
            )
            wait_for_http(f"{self.endpoint_url}/moto-api/", process=moto)
        else:
            raise ValueError(f"unknown emulator {self.emulator!r}: use moto or localstack")

    def start_identity_emulator(self) -> None:
        """moto's server for Cognito alone, beside an emulator that has none."""
        if self.identity_port is None:
            self.identity_port = free_port()
        moto = self._spawn(
            "identity",
            [sys.executable, "-m", "dev.emulator", "-H", self.host, "-p", str(self.identity_port)],
        )
        wait_for_http(f"{self.identity_url}/moto-api/", process=moto)

    def bootstrap(self) -> None:
        saved = dict(os.environ)
        os.environ.update(self.env)
        try:
            from chalicelib import aws
            from chalicelib.settings import Settings
            from dev.bootstrap import bootstrap, ensure_user, identity

            settings = Settings.from_env(os.environ)
            bootstrap(
                aws.client("s3", settings),
                aws.client("sqs", settings),
                settings,
                visibility_timeout=self.visibility_timeout,
                # on LocalStack too: the client reaches moto's server beside it
                dynamodb=aws.client("dynamodb", settings),
            )
            self.events_queue_url = self._subscribe_to_events(settings)
            cognito = aws.client("cognito-idp", settings)
            found = identity(cognito, f"{self.bucket}-users")
            ensure_user(cognito, found.pool_id, self.user, self.password)
            self._identity = {
                "PICSET_USER_POOL_ID": found.pool_id,
                "PICSET_USER_POOL_CLIENT_ID": found.client_id,
            }
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def _subscribe_to_events(self, settings: Settings) -> str | None:
        """The local events queue, on the server that emulates EventBridge (moto's, also
        beside LocalStack), since a rule delivers only to a queue of its own server."""
        from chalicelib import aws
        from dev.bootstrap import events_queue

        if not settings.event_bus:
            return None
        beside = dataclasses.replace(settings, endpoint_url=settings.endpoint_for("events"))
        return events_queue(
            aws.client("events", settings), aws.client("sqs", beside), settings.event_bus
        )

    def events_client(self) -> Any:
        """An SQS client for `events_queue_url`."""
        from chalicelib import aws
        from chalicelib.settings import Settings

        settings = Settings.from_env(self.env)
        beside = dataclasses.replace(settings, endpoint_url=settings.endpoint_for("events"))
        return aws.client("sqs", beside)

    def add_user(self, username: str, password: str | None = None) -> str:
        """Another user of the local pool; its password."""
        from chalicelib import aws
        from chalicelib.settings import Settings
        from dev.bootstrap import ensure_user

        password = password or dev_password()
        settings = Settings.from_env(self.env)
        cognito = aws.client("cognito-idp", settings)
        ensure_user(cognito, self._identity["PICSET_USER_POOL_ID"], username, password)
        return password

    def sign_in(self, username: str | None = None, password: str | None = None) -> str:
        """An access token from the app's own `POST /api/session` (kept per user)."""
        import requests

        username = username or self.user
        if username not in self._tokens:
            answer = requests.post(
                f"{self.url}api/session",
                json={"username": username, "password": password or self.password},
                timeout=60,
            )
            answer.raise_for_status()
            self._tokens[username] = answer.json()["token"]
        return self._tokens[username]

    def auth(self, username: str | None = None, password: str | None = None) -> dict[str, str]:
        """The `Authorization` header of a signed-in user."""
        return {"Authorization": f"Bearer {self.sign_in(username, password)}"}

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
        for name in ("api", "worker", "moto", "localstack", "identity"):
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


def dev_password() -> str:
    """A fresh password that meets Cognito's default rules (upper, lower, digit, symbol)."""
    return f"Pic-{secrets.token_urlsafe(9)}-7a"


def _end(process: subprocess.Popen[bytes], kill: bool) -> None:
    if process.poll() is not None:
        return
    if kill:
        process.kill()
    else:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=EXIT_GRACE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
