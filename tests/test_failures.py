"""What lands on the failure queue becomes an answer: the dead-letter queue's S3 events
and Lambda's on-failure destination records, each parsed into the event it was about
and whether the function was stopped (`timeout`) or raised (`internal`)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib import failures

S3_EVENT = {"Records": [{"s3": {"object": {"key": "uploads/" + "T" * 22}}}]}


def destination(response: dict[str, Any] | None, condition: str = "RetriesExhausted") -> dict:
    """An asynchronous invocation record as Lambda sends it to an on-failure destination."""
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": "2026-12-02T06:00:00.000Z",
        "requestContext": {
            "requestId": "r",
            "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST",
            "condition": condition,
            "approximateInvokeCount": 3,
        },
        "requestPayload": S3_EVENT,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
    }
    if response is not None:
        record["responsePayload"] = response
    return record


@pytest.mark.parametrize(
    ("body", "stopped"),
    [
        pytest.param(S3_EVENT, True, id="dead-letter-queue-s3-event"),
        pytest.param(
            destination({"errorMessage": "2026-12-02 Task timed out after 60.06 seconds"}),
            True,
            id="destination-timeout",
        ),
        pytest.param(
            destination({"errorType": "Runtime.ExitError", "errorMessage": "signal: killed"}),
            True,
            id="destination-out-of-memory",
        ),
        pytest.param(destination(None, "EventAgeExceeded"), True, id="destination-never-ran"),
        pytest.param(
            destination({"errorType": "ConnectionError", "errorMessage": "S3 is unreachable"}),
            False,
            id="destination-python-error",
        ),
    ],
)
def test_each_failure_shape_gives_its_event(body, stopped):
    found = failures.parse(body)
    assert found is not None
    assert found.event == S3_EVENT
    assert found.stopped is stopped


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"requestPayload": "not an event"}, id="payload-not-an-object"),
        pytest.param({"hello": "world"}, id="unknown-shape"),
    ],
)
def test_unknown_shapes_are_not_failures(body):
    assert failures.parse(body) is None


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def time_out(self, event: dict[str, Any], reason: str) -> None:
        self.calls.append(("timeout", event))

    def give_up(self, event: dict[str, Any], reason: str) -> None:
        self.calls.append(("internal", event))


def test_handle_records_each_message_and_drops_garbage():
    bodies = [
        json.dumps(S3_EVENT),
        "not json",
        json.dumps(destination({"errorType": "KeyError", "errorMessage": "x"})),
    ]
    recorder = Recorder()
    failures.handle({"Records": [{"body": body} for body in bodies]}, recorder)
    assert recorder.calls == [("timeout", S3_EVENT), ("internal", S3_EVENT)]
