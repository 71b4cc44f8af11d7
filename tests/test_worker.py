"""The local worker is Lambda's SQS poller and nothing more: it wraps each message in the
event Lambda would send, hands it to the app's queued handler, and deletes it only after
the handler returned. Retries and giving up belong to the handlers and to SQS.

The first tests use a recording fake of the SQS calls the worker makes; the last one runs
the worker and the real queued and failure handlers against moto's SQS server."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import aws, failures, keys, queued, state
from chalicelib.manifests import load as load_manifest
from chalicelib.processor import Processor
from chalicelib.settings import Settings
from chalicelib.storage import S3Storage
from dev.bootstrap import bootstrap, template_max_receives
from dev.stack import Stack, free_port
from dev.worker import Worker, lambda_event
from tests.conftest import make_image

EVENT = {"Records": [{"s3": {"object": {"key": "uploads/" + "W" * 22, "size": 10}}}]}
ARN = "arn:aws:sqs:us-east-1:123456789012:q"


class FakeSqs:
    def __init__(self, messages: list[dict[str, Any]] | None = None) -> None:
        self.messages = list(messages or [])
        self.deleted: list[str] = []

    def get_queue_attributes(self, QueueUrl: str, AttributeNames: list[str]) -> dict[str, Any]:
        return {"Attributes": {"QueueArn": ARN}}

    def receive_message(self, **_: Any) -> dict[str, Any]:
        return {"Messages": [self.messages.pop(0)]} if self.messages else {}

    def delete_message(self, QueueUrl: str, ReceiptHandle: str) -> None:
        self.deleted.append(ReceiptHandle)


def message(body: object, receives: int = 1, handle: str = "h1") -> dict[str, Any]:
    raw = body if isinstance(body, str) else json.dumps(body)
    return {
        "MessageId": "m1",
        "Body": raw,
        "ReceiptHandle": handle,
        "MD5OfBody": "x",
        "Attributes": {"ApproximateReceiveCount": str(receives)},
    }


def test_success_is_deleted_and_the_handler_gets_lambdas_event():
    seen: list[dict[str, Any]] = []
    sqs = FakeSqs([message(EVENT, 2)])
    worker = Worker(sqs, "q", lambda event, context: seen.append(event), region="eu-west-1")
    assert worker.poll_once() == 1
    assert sqs.deleted == ["h1"]
    (record,) = seen[0]["Records"]
    assert json.loads(record["body"]) == EVENT
    assert record["attributes"]["ApproximateReceiveCount"] == "2"
    assert (record["eventSource"], record["eventSourceARN"]) == ("aws:sqs", ARN)
    assert record["awsRegion"] == "eu-west-1"


def test_a_raising_handler_leaves_the_message_for_the_queue():
    def boom(event: dict[str, Any], context: object) -> None:
        raise RuntimeError("the disk is on fire")

    sqs = FakeSqs([message(EVENT, 3)])
    assert Worker(sqs, "q", boom).poll_once() == 1
    assert sqs.deleted == []


def test_an_empty_queue_is_no_work():
    assert Worker(FakeSqs(), "q", lambda e, c: None).poll_once() == 0


def test_the_lambda_event_is_what_the_queued_handler_reads():
    (found,) = queued.messages(lambda_event(message(EVENT, 4), ARN, "us-east-1"))
    assert (found.event, found.attempt, found.queue_arn) == (EVENT, 4, ARN)


@pytest.fixture(scope="module")
def moto_server() -> Iterator[Stack]:
    stack = Stack(s3_port=free_port(), quiet=True, bucket="picset-worker")
    stack.start_emulator()
    try:
        yield stack
    finally:
        stack.stop()


class Broken:
    """A processor whose work always raises, but which records failures for real."""

    def __init__(self, processor: Processor) -> None:
        self.processor = processor
        self.calls = 0

    def handle_event(self, event: dict[str, Any]) -> None:
        self.calls += 1
        raise RuntimeError("unexpected")

    def give_up(self, event: dict[str, Any], reason: str) -> Any:
        return self.processor.give_up(event, reason)


@pytest.mark.integration
def test_a_message_that_keeps_failing_ends_in_the_failure_queue(moto_server):
    """Against moto's SQS server (which applies the redrive policy on receive): the
    template's number of failed deliveries through the real queued handler, a `failed`
    manifest with code `internal` on the last, then the message in the failure queue,
    whose handler leaves that answer alone; the upload queue is empty, with no endless
    retry loop."""
    settings = Settings(bucket="picset-worker", endpoint_url=moto_server.endpoint_url)
    s3, sqs = aws.client("s3", settings), aws.client("sqs", settings)
    queues = bootstrap(s3, sqs, settings, visibility_timeout=1)
    storage = S3Storage(s3, settings.bucket)
    image_id = "F" * 22
    s3.put_object(
        Bucket=settings.bucket,
        Key=keys.upload_key(image_id),
        Body=make_image(200, 100),
        ContentType="image/jpeg",
        Metadata={"filename": "<script>x</script>.jpg"},
    )
    sqs.purge_queue(QueueUrl=queues.url)
    event = {"Records": [{"s3": {"object": {"key": keys.upload_key(image_id), "size": 1}}}]}
    sqs.send_message(QueueUrl=queues.url, MessageBody=json.dumps(event))

    processor = Processor(storage, settings)
    broken = Broken(processor)
    worker = Worker(
        sqs,
        queues.url,
        lambda e, c: queued.handle(e, broken, lambda arn: queued.max_receives(sqs, arn)),
        wait_seconds=1,
    )
    deadline = time.monotonic() + 120
    while load_manifest(storage, image_id) is None:
        assert time.monotonic() < deadline, "the last delivery never recorded the failure"
        worker.poll_once()
    assert broken.calls == template_max_receives()
    manifest = load_manifest(storage, image_id)
    assert manifest is not None and manifest.status == "failed"
    assert manifest.error is not None and manifest.error.code == "internal"
    known = state.load(storage, image_id)
    assert known is not None and known.filename == "<script>x</script>.jpg"

    failed = Worker(sqs, queues.failure_url, lambda e, c: failures.handle(e, processor))
    while failed.poll_once() == 0:  # SQS moves it on the receive after the last one
        assert time.monotonic() < deadline, "the message never reached the failure queue"
        worker.poll_once()
    again = load_manifest(storage, image_id)
    assert again is not None and again.revision == manifest.revision  # answer kept
    left = sqs.receive_message(QueueUrl=queues.url, WaitTimeSeconds=0)
    assert left.get("Messages", []) == []
