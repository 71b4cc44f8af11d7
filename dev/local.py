"""Run picset on this machine: `python -m dev.local` (the README's first command).

Starts moto's S3/SQS server on loopback (or LocalStack with `--localstack`, installed
into `.venv-localstack` on first use; or a running emulator with `--emulator-url`),
bootstraps the bucket and queues, the user pool and one local user, starts the worker
and `chalice local`, prints the URL to open and the line `sign in: <username> /
<password>` (`PICSET_DEV_USER`, `PICSET_DEV_PASSWORD` choose them; the password is fresh
on every start otherwise), and stops everything on Ctrl-C. LocalStack's free edition has
no Cognito, so with `--localstack` a moto server for Cognito alone runs beside it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from dev.stack import Stack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000, help="port of the app (default 8000)")
    parser.add_argument(
        "--s3-port", type=int, default=9001, help="port of the emulator (default 9001)"
    )
    parser.add_argument("--emulator-url", help="use a running emulator (LocalStack) at this URL")
    parser.add_argument(
        "--localstack",
        action="store_true",
        help="start LocalStack (enforces upload policies and CORS) instead of moto",
    )
    parser.add_argument("--concurrency", type=int, default=2, help="images processed at once")
    parser.add_argument(
        "--visibility-timeout",
        type=int,
        default=60,
        help="seconds before a message a dead worker held is delivered again (default 60)",
    )
    args = parser.parse_args()

    stack = Stack(
        app_port=args.port,
        s3_port=args.s3_port,
        emulator_url=args.emulator_url,
        emulator="localstack" if args.localstack else "moto",
        worker_concurrency=args.concurrency,
        visibility_timeout=args.visibility_timeout,
    )
    stack.user = os.environ.get("PICSET_DEV_USER") or stack.user
    stack.password = os.environ.get("PICSET_DEV_PASSWORD") or stack.password
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    print(f"picset: starting (emulator at {stack.endpoint_url}) ...", flush=True)
    stack.start()
    print(f"\n  picset is running: open {stack.url}", flush=True)
    print(f"  sign in: {stack.user} / {stack.password}", flush=True)
    print("  (Ctrl-C stops it)\n", flush=True)
    try:
        while not done.wait(0.5):
            for name, process in list(stack.processes.items()):
                if process.poll() is not None:
                    print(
                        f"picset: {name} exited ({process.returncode}); stopping", file=sys.stderr
                    )
                    done.set()
    except KeyboardInterrupt:
        pass
    finally:
        print("picset: stopping ...", flush=True)
        stack.stop()


if __name__ == "__main__":
    main()
