"""The local stand-in for Lambda's SQS poller: long-poll the upload queue and the failure
queue and hand each message to the app's own queued handlers (`app.resize_queued_upload`
and `app.record_failures`), wrapped in the very event SQS gives Lambda.

It keeps the poller's promises and nothing more, so the production queued path
(`chalicelib.queued`, `chalicelib.failures`) runs locally and in the tests unchanged:

* a message is deleted only after the handler returned;
* a handler that raises, or a worker that dies mid-image (even SIGKILL), leaves the
  message on the queue: it is visible again after the queue's visibility timeout;
* after the queue's `maxReceiveCount` deliveries SQS itself moves the message to the
  dead-letter queue, which is the failure queue this worker also consumes.

Retries, giving up and recording failures are the handlers' business, not this file's.
Each of `--concurrency` threads runs its own receive-handle-delete loop on the upload
queue, so a slow image holds back only its own thread; one more thread serves the
failure queue.
Run: `python -m dev.worker [--concurrency N]` with the app's environment
(`PICSET_TRIGGER=sqs`, as `dev.stack` sets it).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("picset.worker")

#: A Lambda handler as Chalice exposes it: called with the event dict and a context.
Handler = Callable[[dict[str, Any], Any], Any]


def lambda_event(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS poller would invoke the function with, for one message."""
    return {
        "Records": [
            {
                "messageId": message.get("MessageId", ""),
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": dict(message.get("Attributes", {})),
                "messageAttributes": {},
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
        ]
    }


class Worker:
    """Receive, hand over, delete on success: one queue, one handler."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        handler: Handler,
        concurrency: int = 1,
        *,
        region: str = "us-east-1",
        wait_seconds: int = 5,
        stopping: threading.Event | None = None,
    ) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.handler = handler
        self.concurrency = max(1, concurrency)
        self.region = region
        self.wait_seconds = wait_seconds
        self.stopping = stopping or threading.Event()
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
        self.queue_arn: str = attributes["Attributes"]["QueueArn"]

    def handle(self, message: dict[str, Any]) -> bool:
        """Hand one message to the handler; True when it may be deleted."""
        try:
            self.handler(lambda_event(message, self.queue_arn, self.region), None)
        except Exception:
            log.exception("the handler raised; the message is retried after its timeout")
            return False
        return True

    def poll_once(self) -> int:
        """Receive at most one message and see it through; the number received."""
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=1,
            WaitTimeSeconds=self.wait_seconds,
            AttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        for message in messages:
            if self.handle(message):
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
        return len(messages)

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                self.poll_once()
            except Exception:
                if self.stopping.is_set():
                    break
                log.exception("polling failed; retrying")
                self.stopping.wait(1)

    def threads(self) -> list[threading.Thread]:
        return [
            threading.Thread(target=self._loop, name=f"picset-worker-{n}", daemon=True)
            for n in range(self.concurrency)
        ]


def run(workers: list[Worker]) -> None:
    threads = [thread for worker in workers for thread in worker.threads()]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    import app as picset_app  # the same module the Lambda loads
    from chalicelib import aws

    settings = picset_app.SETTINGS
    if settings.trigger != "sqs":
        raise SystemExit("dev.worker serves the queued trigger: set PICSET_TRIGGER=sqs")
    sqs = aws.client("sqs", settings)
    stopping = threading.Event()

    def worker(queue: str, handler: Handler, concurrency: int) -> Worker:
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        return Worker(sqs, url, handler, concurrency, region=settings.region, stopping=stopping)

    workers = [
        worker(settings.queue_name, picset_app.resize_queued_upload, args.concurrency),
        worker(settings.failure_queue_name, picset_app.record_failures, 1),
    ]
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    log.info(
        "worker polling %s with concurrency %d, and %s",
        settings.queue_name,
        args.concurrency,
        settings.failure_queue_name,
    )
    with contextlib.suppress(KeyboardInterrupt):
        run(workers)


if __name__ == "__main__":
    main()
