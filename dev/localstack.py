"""LocalStack as a child process: S3 and SQS on one loopback port, no Docker.

moto's server accepts every presigned POST whatever its policy says; LocalStack checks
the policy (size range, `Content-Type`, key, expiry) and the bucket's CORS rules, so the
tests that prove the bucket refuses bad uploads run against it. LocalStack needs Python
3.13, so it lives in its own virtual environment, `.venv-localstack`, which
`scripts/install-localstack` creates (and leaves alone when it is already there).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import urllib.request
from pathlib import Path

from dev.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("PICSET_LOCALSTACK_VENV", ROOT / ".venv-localstack"))
INSTALLER = ROOT / "scripts" / "install-localstack"
READY = {"available", "running"}
#: Seconds LocalStack may take to start. It loads far more than moto does, and on a busy
#: two-core machine that alone can take a minute or two.
START_DEADLINE = 300.0


class LocalStackUnavailable(RuntimeError):
    """LocalStack is not installed and could not be installed; the message says why."""


def python() -> Path:
    return VENV / "bin" / "python"


def ensure_installed() -> Path:
    """The LocalStack venv's python, installing it first when needed (cached)."""
    result = subprocess.run(
        ["bash", str(INSTALLER)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0 or not python().exists():
        raise LocalStackUnavailable(
            f"scripts/install-localstack failed ({result.returncode}): "
            f"{(result.stderr or result.stdout).strip()[-2000:]}"
        )
    return python()


def environment(host: str, port: int, state_dir: str) -> dict[str, str]:
    """LocalStack's settings for a quiet, offline, loopback-only S3 + SQS."""
    env = dict(os.environ)
    env.update(
        GATEWAY_LISTEN=f"{host}:{port}",
        # hypercorn binds the host it is given; LocalStack's default server binds every
        # interface whatever GATEWAY_LISTEN says.
        GATEWAY_SERVER="hypercorn",
        SERVICES="s3,sqs",
        # Run as a plain process with its files under our own directory, not as if in a
        # container (which it would otherwise guess on some machines).
        OVERRIDE_IN_DOCKER="0",
        FILESYSTEM_ROOT=state_dir,
        LOCALSTACK_VOLUME_DIR=state_dir,
        # Offline: no DNS server, no certificate download, no usage reporting.
        DNS_ADDRESS="0",
        SKIP_SSL_CERT_DOWNLOAD="1",
        DISABLE_EVENTS="1",
        SQS_ENDPOINT_STRATEGY="path",
        EAGER_SERVICE_LOADING="1",
    )
    return env


def spawn(
    host: str, port: int, *, quiet: bool = True
) -> tuple[subprocess.Popen[bytes], tempfile.TemporaryDirectory[str]]:
    """Start LocalStack on host:port; the caller waits for it and stops it.

    Its state lives in a temporary directory the caller cleans up after stopping it.
    """
    interpreter = ensure_installed()
    state = tempfile.TemporaryDirectory(prefix="picset-localstack-", ignore_cleanup_errors=True)
    output = subprocess.DEVNULL if quiet else None
    process = subprocess.Popen(
        [str(interpreter), "-m", "localstack.runtime.main"],
        cwd=state.name,
        env=environment(host, port, state.name),
        stdout=output,
        stderr=output,
    )
    return process, state


def health_url(endpoint_url: str) -> str:
    return f"{endpoint_url.rstrip('/')}/_localstack/health"


def wait_ready(
    endpoint_url: str, process: subprocess.Popen[bytes], timeout: float = START_DEADLINE
) -> None:
    """Wait until LocalStack reports S3 and SQS up; raise if it exits or takes too long."""
    url = health_url(endpoint_url)

    def ready() -> bool:
        if process.poll() is not None:
            raise LocalStackUnavailable(f"LocalStack exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                services = json.load(response).get("services", {})
        except (OSError, ValueError):
            return False
        return all(services.get(name) in READY for name in ("s3", "sqs"))

    wait_until(ready, f"LocalStack at {endpoint_url} ready", timeout=timeout)
