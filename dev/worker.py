"""The local stand-in for S3 -> SQS -> Lambda: long-poll the upload queue and hand each S3
event to the very same handler function the Lambda runs (`app.resize_upload`).

Delivery is at least once, and this worker keeps SQS's promises the way Lambda does:

* a message is deleted only after the handler returned; if the worker dies mid-image
  (even SIGKILL), the message becomes visible again after the queue's visibility timeout
  and the image is processed by whoever receives it next;
* a handler that raises leaves the message on the queue, made visible again after a short
  back-off instead of the full visibility timeout;
* on the last delivery the queue's redrive policy allows (`maxReceiveCount`), a failure
  also writes a `failed` manifest (code `internal`) for the image, so the person waiting
  sees an answer; the message is not deleted, so SQS moves it to the dead-letter queue on
  its next receive and it can be inspected there. There is no endless retry loop.

Each of `--concurrency` threads runs its own receive-handle-delete loop, so a slow image
holds back only its own thread.
Run: `python -m dev.worker [--concurrency N]` with the app's environment.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("picset.worker")

Handler = Callable[[dict[str, Any], Any], Any]
#: Called with the event and a reason when its last delivery failed.
GiveUp = Callable[[dict[str, Any], str], Any]

BACKOFF_SECONDS = (1, 4, 15)


def is_test_event(body: dict[str, Any]) -> bool:
    return body.get("Event") == "s3:TestEvent"


def receive_count(message: dict[str, Any]) -> int:
    try:
        return int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
    except ValueError:
        return 1


def backoff(attempt: int, steps: tuple[int, ...] = BACKOFF_SECONDS) -> int:
    """Seconds before a failed message is tried again (attempt counts from 1)."""
    return steps[min(max(attempt, 1), len(steps)) - 1]


def max_receives_of(sqs: Any, queue_url: str) -> int | None:
    """The queue's redrive `maxReceiveCount`, or None when it has no dead-letter queue."""
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])
    raw = attributes.get("Attributes", {}).get("RedrivePolicy")
    if not raw:
        return None
    return int(json.loads(raw)["maxReceiveCount"])


class Worker:
    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        handler: Handler,
        concurrency: int = 1,
        *,
        give_up: GiveUp | None = None,
        max_receives: int | None = None,
        wait_seconds: int = 5,
        backoff_seconds: tuple[int, ...] = BACKOFF_SECONDS,
    ) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.handler = handler
        self.give_up = give_up
        self.max_receives = max_receives
        self.concurrency = max(1, concurrency)
        self.wait_seconds = wait_seconds
        self.backoff_seconds = backoff_seconds
        self.stopping = threading.Event()

    def handle(self, message: dict[str, Any]) -> bool:
        """Process one message; True when it may be deleted."""
        try:
            body = json.loads(message["Body"])
        except ValueError:
            log.error("dropping a message that is not JSON: %r", message["Body"][:200])
            return True
        if not isinstance(body, dict):
            log.error("dropping a message that is not a JSON object: %r", message["Body"][:200])
            return True
        if is_test_event(body):
            return True
        attempt = receive_count(message)
        try:
            self.handler(body, None)
        except Exception as exc:
            self._failed(message, body, attempt, exc)
            return False
        return True

    def _failed(
        self, message: dict[str, Any], body: dict[str, Any], attempt: int, exc: Exception
    ) -> None:
        last = self.max_receives is not None and attempt >= self.max_receives
        if not last:
            delay = backoff(attempt, self.backoff_seconds)
            log.exception("handler failed (delivery %d); retrying in %ds", attempt, delay)
            with contextlib.suppress(Exception):
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=delay,
                )
            return
        log.exception(
            "handler failed on the last delivery (%d); the message goes to the dead-letter queue",
            attempt,
        )
        if self.give_up is not None:
            try:
                self.give_up(body, f"{type(exc).__name__}: {exc}")
            except Exception:
                log.exception("could not record the failure; the dead-letter queue keeps it")
        # Visible again at once, so the redrive moves it to the dead-letter queue now.
        with contextlib.suppress(Exception):
            self.sqs.change_message_visibility(
                QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )

    def poll_once(self) -> int:
        """Receive at most one message and see it through; the number received."""
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=1,
            WaitTimeSeconds=self.wait_seconds,
            AttributeNames=["ApproximateReceiveCount"],
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

    def run(self) -> None:
        threads = [
            threading.Thread(target=self._loop, name=f"picset-worker-{n}", daemon=True)
            for n in range(self.concurrency)
        ]
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
    from chalicelib.processor import Processor

    settings = picset_app.SETTINGS
    sqs = aws.client("sqs", settings)
    queue_url = sqs.get_queue_url(QueueName=settings.queue_name)["QueueUrl"]

    def give_up(event: dict[str, Any], reason: str) -> None:
        Processor(picset_app.get_storage(), settings).give_up(event, reason)

    worker = Worker(
        sqs,
        queue_url,
        picset_app.resize_upload,
        args.concurrency,
        give_up=give_up,
        max_receives=max_receives_of(sqs, queue_url),
    )
    signal.signal(signal.SIGTERM, lambda *_: worker.stopping.set())
    log.info(
        "worker polling %s with concurrency %d (dead-letter after %s deliveries)",
        queue_url,
        worker.concurrency,
        worker.max_receives,
    )
    with contextlib.suppress(KeyboardInterrupt):
        worker.run()


if __name__ == "__main__":
    main()
