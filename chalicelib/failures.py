"""Uploads whose processing never answered: the consumer of the failure queue.

Two things land on that queue, and both mean "every delivery of this upload event was
tried and none wrote a manifest":

* in the queued stage, the upload queue's dead-letter queue receives the S3 event itself
  after `maxReceiveCount` deliveries (a function killed by its timeout or memory limit
  raises nothing in Python, so nothing else would record it);
* in the direct stage, Lambda's on-failure destination receives an invocation record
  whose `requestPayload` is the S3 event, after the asynchronous retries or once the
  event is older than its maximum age.

Each becomes a `failed` manifest where the image has no answer yet: code `timeout` when
the function was stopped (or never ran), `internal` when it raised.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from .queued import json_bodies

log = logging.getLogger("picset.failures")

#: Error types Lambda reports for a function it stopped, rather than one that raised.
STOPPED_ERROR_PREFIXES = ("Sandbox.", "Runtime.")


class FailureRecorder(Protocol):
    def time_out(self, event: dict[str, Any], reason: str) -> Any: ...

    def give_up(self, event: dict[str, Any], reason: str) -> Any: ...


@dataclass(frozen=True)
class Failure:
    event: dict[str, Any]  # the S3 event that was never answered
    stopped: bool  # True: timed out, killed or never run; False: the function raised
    reason: str


def parse(body: dict[str, Any]) -> Failure | None:
    """The failure one message describes, or None when it is neither shape."""
    if "requestPayload" in body:  # a Lambda destination record
        payload = body.get("requestPayload")
        if not isinstance(payload, dict):
            return None
        context = body.get("requestContext") or {}
        response = body.get("responsePayload") or {}
        condition = str(context.get("condition") or "unknown condition")
        error_type = str(response.get("errorType") or "") if isinstance(response, dict) else ""
        message = str(response.get("errorMessage") or "") if isinstance(response, dict) else ""
        stopped = not error_type or error_type.startswith(STOPPED_ERROR_PREFIXES)
        reason = f"{condition}: {error_type or 'no error'} {message}".strip()
        return Failure(payload, stopped, reason)
    if "Records" in body:  # the S3 event, straight from a dead-letter queue
        return Failure(body, True, "every delivery was stopped before it answered")
    return None


def failures(sqs_event: dict[str, Any]) -> Iterator[Failure]:
    for _, body in json_bodies(sqs_event):
        found = parse(body)
        if found is None:
            log.error("dropping a failure message of no known shape: %r", str(body)[:200])
            continue
        yield found


def handle(sqs_event: dict[str, Any], recorder: FailureRecorder) -> None:
    """Record every failure in the event. A storage error raises, so the message stays
    on the queue and is tried again."""
    for failure in failures(sqs_event):
        if failure.stopped:
            recorder.time_out(failure.event, failure.reason)
        else:
            recorder.give_up(failure.event, failure.reason)
