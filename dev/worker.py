"""The local stand-in for S3 -> Lambda: long-poll the upload queue and hand each S3 event
to the very same handler function the Lambda runs (`app.resize_upload`).

A message is deleted only after the handler returned; if the worker dies mid-image, the
message becomes visible again after the queue's visibility timeout and is retried.
Run: `python -m dev.worker [--concurrency N]` with the app's environment.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

log = logging.getLogger("picset.worker")


def is_test_event(body: dict[str, Any]) -> bool:
    return body.get("Event") == "s3:TestEvent"


class Worker:
    def __init__(self, sqs: Any, queue_url: str, handler: Any, concurrency: int = 1) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.handler = handler
        self.concurrency = max(1, concurrency)
        self.stopping = threading.Event()

    def handle(self, message: dict[str, Any]) -> bool:
        """Process one message; True when it may be deleted."""
        try:
            body = json.loads(message["Body"])
        except ValueError:
            log.error("dropping a message that is not JSON: %r", message["Body"][:200])
            return True
        if is_test_event(body):
            return True
        try:
            self.handler(body, None)
        except Exception:
            log.exception("handler failed; the message will be retried")
            return False
        return True

    def _one(self, message: dict[str, Any]) -> None:
        if self.handle(message):
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def poll_once(self, pool: ThreadPoolExecutor, wait_seconds: int = 5) -> int:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(10, self.concurrency),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["ApproximateReceiveCount"],
        )
        messages = response.get("Messages", [])
        list(pool.map(self._one, messages))
        return len(messages)

    def run(self) -> None:
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            while not self.stopping.is_set():
                try:
                    self.poll_once(pool)
                except Exception:
                    if self.stopping.is_set():
                        break
                    log.exception("polling failed; retrying")
                    self.stopping.wait(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    import app as picset_app  # the same module the Lambda loads
    from chalicelib import aws

    settings = picset_app.SETTINGS
    sqs = aws.client("sqs", settings)
    queue_url = sqs.get_queue_url(QueueName=settings.queue_name)["QueueUrl"]
    worker = Worker(sqs, queue_url, picset_app.resize_upload, args.concurrency)
    signal.signal(signal.SIGTERM, lambda *_: worker.stopping.set())
    log.info("worker polling %s with concurrency %d", queue_url, worker.concurrency)
    with contextlib.suppress(KeyboardInterrupt):
        worker.run()


if __name__ == "__main__":
    main()
