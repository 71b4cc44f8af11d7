"""The queued trigger (S3 -> SQS -> Lambda): unwrap each SQS message into the S3 event it
carries and hand that to the same processor the direct S3 trigger uses.

Delivery is at least once and the queue owns retries: a message whose processing raises
is left on the queue (Lambda makes it visible again after the visibility timeout), and
after `maxReceiveCount` deliveries SQS moves it to the dead-letter queue, whose consumer
(`failures`) records what never answered. On the last delivery of a message whose
processing raised, picset writes a `failed` manifest (code `internal`) itself, so the
person waiting sees an answer at once. The receive count comes from the queue's own
redrive policy, read once per container: the template is the one place it is set.
Bad input never raises here: the processor turns it into a `failed` manifest.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger("picset.queued")


class EventProcessor(Protocol):
    def handle_event(self, event: dict[str, Any]) -> Any: ...

    def give_up(self, event: dict[str, Any], reason: str) -> Any: ...


@dataclass(frozen=True)
class Message:
    """One SQS record: the S3 event in its body, how often it has been delivered, and
    the queue it came from."""

    event: dict[str, Any]
    attempt: int
    queue_arn: str = ""


def is_test_event(body: dict[str, Any]) -> bool:
    """S3 sends `s3:TestEvent` once when the notification is configured."""
    return body.get("Event") == "s3:TestEvent"


def json_bodies(sqs_event: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Each record of a Lambda SQS event with its body, when that body is a JSON object;
    any other body is logged and dropped (retrying it could never help)."""
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
        yield record, body


def messages(sqs_event: dict[str, Any]) -> Iterator[Message]:
    """The S3 events inside a Lambda SQS event, skipping what is not one (logged)."""
    for record, body in json_bodies(sqs_event):
        if is_test_event(body):
            continue
        attributes = record.get("attributes") or {}
        try:
            attempt = int(attributes.get("ApproximateReceiveCount", "1"))
        except ValueError:
            attempt = 1
        yield Message(body, attempt, str(record.get("eventSourceARN") or ""))


def max_receives(sqs: Any, queue_arn: str) -> int | None:
    """The queue's redrive `maxReceiveCount`, or None when it has no dead-letter queue."""
    name = queue_arn.rsplit(":", 1)[-1]
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
    raw = attributes.get("Attributes", {}).get("RedrivePolicy")
    return int(json.loads(raw)["maxReceiveCount"]) if raw else None


def handle(
    sqs_event: dict[str, Any],
    processor: EventProcessor,
    receives_of: Callable[[str], int | None],
) -> None:
    """Process every message; re-raise a failure so SQS retries it (and, on the last
    delivery, record a failed manifest first). `receives_of(queue_arn)` is the queue's
    `maxReceiveCount`."""
    for message in messages(sqs_event):
        try:
            processor.handle_event(message.event)
        except Exception as exc:
            limit = receives_of(message.queue_arn)
            if limit is not None and message.attempt >= limit:
                log.exception(
                    "resize failed on delivery %d of %d; recording the failure, the message "
                    "goes to the dead-letter queue",
                    message.attempt,
                    limit,
                )
                processor.give_up(message.event, f"{type(exc).__name__}: {exc}")
            raise
