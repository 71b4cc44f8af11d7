"""The queued trigger (S3 -> SQS -> Lambda): unwrap each SQS message into the S3 event it
carries and hand that to the same processor the direct S3 trigger uses.

Delivery is at least once and the queue owns retries: a message whose processing raises
is left on the queue (Lambda makes it visible again after the visibility timeout), and
after `maxReceiveCount` deliveries SQS moves it to the dead-letter queue. On that last
delivery picset also writes a `failed` manifest (code `internal`), so the person
waiting sees an answer instead of "processing" forever; this mirrors `dev.worker`.
Bad input never raises here: the processor turns it into a `failed` manifest.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger("picset.queued")


class EventProcessor(Protocol):
    def handle_event(self, event: dict[str, Any]) -> Any: ...

    def give_up(self, event: dict[str, Any], reason: str) -> Any: ...


@dataclass(frozen=True)
class Message:
    """One SQS record: the S3 event in its body and how often it has been delivered."""

    event: dict[str, Any]
    attempt: int


def is_test_event(body: dict[str, Any]) -> bool:
    """S3 sends `s3:TestEvent` once when the notification is configured."""
    return body.get("Event") == "s3:TestEvent"


def messages(sqs_event: dict[str, Any]) -> Iterator[Message]:
    """The S3 events inside a Lambda SQS event, skipping what is not one (logged)."""
    for record in sqs_event.get("Records", []) or []:
        raw = record.get("body", "")
        try:
            body = json.loads(raw)
        except ValueError:
            log.error("dropping a message that is not JSON: %r", raw[:200])
            continue
        if not isinstance(body, dict):
            log.error("dropping a message that is not a JSON object: %r", raw[:200])
            continue
        if is_test_event(body):
            continue
        attributes = record.get("attributes") or {}
        try:
            attempt = int(attributes.get("ApproximateReceiveCount", "1"))
        except ValueError:
            attempt = 1
        yield Message(body, attempt)


def handle(sqs_event: dict[str, Any], processor: EventProcessor, max_receives: int) -> None:
    """Process every message; re-raise a failure so SQS retries it (and, on the last
    delivery, record a failed manifest first)."""
    for message in messages(sqs_event):
        try:
            processor.handle_event(message.event)
        except Exception as exc:
            if message.attempt >= max_receives:
                log.exception(
                    "resize failed on delivery %d of %d; recording the failure, the message "
                    "goes to the dead-letter queue",
                    message.attempt,
                    max_receives,
                )
                processor.give_up(message.event, f"{type(exc).__name__}: {exc}")
            raise
