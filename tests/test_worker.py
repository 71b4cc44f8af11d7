"""The local worker keeps SQS's promises: delete only after success, back off on failure,
give up (failed manifest, then the dead-letter queue) on the last delivery.

The first tests use a recording fake of the three SQS calls the worker makes; the last
one runs the worker against moto's real SQS server with a redrive policy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import aws, keys
from chalicelib.processor import Processor, load_manifest
from chalicelib.settings import Settings
from chalicelib.storage import S3Storage
from dev.bootstrap import bootstrap
from dev.stack import Stack, free_port
from dev.worker import Worker, backoff, max_receives_of, receive_count
from tests.conftest import make_image

EVENT = {"Records": [{"s3": {"object": {"key": "uploads/" + "W" * 22, "size": 10}}}]}


class FakeSqs:
    def __init__(self, messages: list[dict[str, Any]] | None = None) -> None:
        self.messages = list(messages or [])
        self.deleted: list[str] = []
        self.visibility: list[tuple[str, int]] = []

    def receive_message(self, **_: Any) -> dict[str, Any]:
        return {"Messages": [self.messages.pop(0)]} if self.messages else {}

    def delete_message(self, QueueUrl: str, ReceiptHandle: str) -> None:
        self.deleted.append(ReceiptHandle)

    def change_message_visibility(
        self, QueueUrl: str, ReceiptHandle: str, VisibilityTimeout: int
    ) -> None:
        self.visibility.append((ReceiptHandle, VisibilityTimeout))


def message(body: object, receives: int = 1, handle: str = "h1") -> dict[str, Any]:
    raw = body if isinstance(body, str) else json.dumps(body)
    return {
        "Body": raw,
        "ReceiptHandle": handle,
        "Attributes": {"ApproximateReceiveCount": str(receives)},
    }


def ok(event: dict[str, Any], context: object) -> None:
    pass


def boom(event: dict[str, Any], context: object) -> None:
    raise RuntimeError("the disk is on fire")


@pytest.mark.parametrize(
    ("msg", "handler", "deleted", "visibility", "gave_up"),
    [
        pytest.param(message(EVENT), ok, ["h1"], [], False, id="success-is-deleted"),
        pytest.param(message(EVENT, 1), boom, [], [("h1", 1)], False, id="first-failure-backs-off"),
        pytest.param(
            message(EVENT, 2), boom, [], [("h1", 4)], False, id="second-failure-backs-off-more"
        ),
        pytest.param(message(EVENT, 3), boom, [], [("h1", 0)], True, id="last-failure-gives-up"),
        pytest.param(message("{not json"), boom, ["h1"], [], False, id="not-json-is-dropped"),
        pytest.param(message("[1, 2]"), boom, ["h1"], [], False, id="not-an-object-is-dropped"),
        pytest.param(
            message({"Event": "s3:TestEvent", "Service": "Amazon S3"}),
            boom,
            ["h1"],
            [],
            False,
            id="s3-test-event-is-dropped",
        ),
    ],
)
def test_worker_deletes_only_what_succeeded(msg, handler, deleted, visibility, gave_up):
    sqs = FakeSqs([msg])
    given_up: list[tuple[dict[str, Any], str]] = []
    worker = Worker(
        sqs,
        "q",
        handler,
        give_up=lambda event, reason: given_up.append((event, reason)),
        max_receives=3,
    )
    assert worker.poll_once() == 1
    assert sqs.deleted == deleted
    assert sqs.visibility == visibility
    assert bool(given_up) is gave_up
    if gave_up:
        assert given_up[0][0] == EVENT
        assert "the disk is on fire" in given_up[0][1]


def test_without_a_dead_letter_queue_it_never_gives_up():
    sqs = FakeSqs([message(EVENT, 50)])
    given_up: list[object] = []
    Worker(sqs, "q", boom, give_up=lambda e, r: given_up.append(e)).poll_once()
    assert given_up == []
    assert sqs.deleted == []


def test_a_failing_give_up_still_leaves_the_message_for_the_dead_letter_queue():
    sqs = FakeSqs([message(EVENT, 3)])

    def broken(event: dict[str, Any], reason: str) -> None:
        raise OSError("S3 is down too")

    Worker(sqs, "q", boom, give_up=broken, max_receives=3).poll_once()
    assert sqs.deleted == []
    assert sqs.visibility == [("h1", 0)]


@pytest.mark.parametrize(
    ("attempt", "seconds"),
    [
        pytest.param(0, 1, id="zero-counts-as-first"),
        pytest.param(1, 1, id="first"),
        pytest.param(2, 4, id="second"),
        pytest.param(3, 15, id="third"),
        pytest.param(9, 15, id="capped"),
    ],
)
def test_backoff_grows_then_caps(attempt, seconds):
    assert backoff(attempt) == seconds


@pytest.mark.parametrize(
    ("msg", "count"),
    [
        pytest.param({"Attributes": {"ApproximateReceiveCount": "4"}}, 4, id="given"),
        pytest.param({}, 1, id="missing"),
        pytest.param({"Attributes": {"ApproximateReceiveCount": "x"}}, 1, id="garbage"),
    ],
)
def test_receive_count(msg, count):
    assert receive_count(msg) == count


@pytest.fixture(scope="module")
def moto_server() -> Iterator[Stack]:
    stack = Stack(s3_port=free_port(), quiet=True, bucket="picset-worker")
    stack.start_emulator()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.mark.integration
def test_a_message_that_keeps_failing_ends_in_the_dead_letter_queue(moto_server):
    """Against moto's SQS server (which applies the redrive policy on receive): three
    failed deliveries, a `failed` manifest with code `internal`, the message in the DLQ,
    and the worker's queue empty, with no endless retry loop."""
    settings = Settings(bucket="picset-worker", endpoint_url=moto_server.endpoint_url)
    s3, sqs = aws.client("s3", settings), aws.client("sqs", settings)
    queues = bootstrap(s3, sqs, settings, visibility_timeout=30)
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

    calls: list[int] = []

    def handler(body: dict[str, Any], context: object) -> None:
        calls.append(1)
        raise RuntimeError("unexpected")

    worker = Worker(
        sqs,
        queues.url,
        handler,
        give_up=lambda e, r: Processor(storage, settings).give_up(e, r),
        max_receives=max_receives_of(sqs, queues.url),
        wait_seconds=1,
        backoff_seconds=(0,),
    )
    assert worker.max_receives == 3
    for _ in range(6):
        worker.poll_once()
    assert len(calls) == 3

    manifest = load_manifest(storage, image_id)
    assert manifest is not None
    assert manifest.status == "failed"
    assert manifest.error is not None
    assert manifest.error.code == "internal"
    assert manifest.source.filename == "<script>x</script>.jpg"
    dead = sqs.receive_message(QueueUrl=queues.dead_letter_url, WaitTimeSeconds=1)
    assert [json.loads(m["Body"]) for m in dead["Messages"]] == [event]
    left = sqs.receive_message(QueueUrl=queues.url, WaitTimeSeconds=0)
    assert left.get("Messages", []) == []
