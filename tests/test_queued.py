"""The queued trigger's unwrapping: each SQS record's body is an S3 event, handed to the
same processor as the direct trigger; failures go back to the queue, and the last
delivery records a failed manifest first."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import aws, keys, queued, state
from chalicelib.manifest import from_json
from chalicelib.manifests import load as load_manifest
from chalicelib.processor import Processor
from chalicelib.settings import Settings
from chalicelib.storage import S3Storage
from dev.bootstrap import bootstrap, template_max_receives
from dev.memory import MemoryStorage
from dev.stack import ROOT, Stack, free_port
from dev.waiting import wait_until
from dev.worker import lambda_event
from tests.conftest import make_image

IMAGE_ID = "Q" * 22
S3_EVENT = {
    "Records": [
        {
            "eventSource": "aws:s3",
            "eventName": "ObjectCreated:Post",
            "s3": {"bucket": {"name": "b"}, "object": {"key": keys.upload_key(IMAGE_ID)}},
        }
    ]
}


def sqs_event(*bodies: str, receive_count: str = "1") -> dict[str, Any]:
    """A Lambda SQS event as AWS delivers it (records carry `body`, `attributes`)."""
    return {
        "Records": [
            {
                "messageId": f"m{n}",
                "receiptHandle": f"r{n}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": receive_count},
                "eventSource": "aws:sqs",
            }
            for n, body in enumerate(bodies)
        ]
    }


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.handled: list[dict[str, Any]] = []
        self.gave_up: list[tuple[dict[str, Any], str]] = []

    def handle_event(self, event: dict[str, Any]) -> None:
        self.handled.append(event)
        if self.fail:
            raise ConnectionError("S3 is unreachable")

    def give_up(self, event: dict[str, Any], reason: str) -> None:
        self.gave_up.append((event, reason))


@pytest.mark.parametrize(
    ("bodies", "expected"),
    [
        pytest.param([json.dumps(S3_EVENT)], [S3_EVENT], id="one-s3-event"),
        pytest.param(
            [json.dumps(S3_EVENT), json.dumps(S3_EVENT)], [S3_EVENT, S3_EVENT], id="a-batch"
        ),
        pytest.param(
            [json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"})],
            [],
            id="s3-test-event-skipped",
        ),
        pytest.param(["not json"], [], id="not-json-dropped"),
        pytest.param(["[1, 2]"], [], id="not-an-object-dropped"),
        pytest.param([], [], id="empty"),
    ],
)
def test_each_message_body_is_handed_over_as_an_s3_event(bodies, expected):
    recorder = Recorder()
    queued.handle(sqs_event(*bodies), recorder, lambda arn: 3)
    assert recorder.handled == expected
    assert recorder.gave_up == []


@pytest.mark.parametrize(
    ("receive_count", "gives_up"),
    [
        pytest.param("1", False, id="first-delivery-retried"),
        pytest.param("2", False, id="second-delivery-retried"),
        pytest.param("3", True, id="last-delivery-records-failure"),
        pytest.param("7", True, id="beyond-the-last"),
    ],
)
def test_a_failure_goes_back_to_the_queue(receive_count, gives_up):
    recorder = Recorder(fail=True)
    with pytest.raises(ConnectionError):
        queued.handle(
            sqs_event(json.dumps(S3_EVENT), receive_count=receive_count),
            recorder,
            lambda arn: 3,
        )
    assert [event for event, _ in recorder.gave_up] == ([S3_EVENT] if gives_up else [])
    if gives_up:
        assert recorder.gave_up[0][1] == "ConnectionError: S3 is unreachable"


def test_a_queued_upload_becomes_the_same_manifest_as_a_direct_one():
    storage = MemoryStorage()
    storage.put(keys.upload_key(IMAGE_ID), make_image(500, 400), content_type="image/jpeg")
    settings = Settings(widths=(160, 320))
    queued.handle(sqs_event(json.dumps(S3_EVENT)), Processor(storage, settings), lambda arn: 3)
    found = storage.get(keys.manifest_key(IMAGE_ID))
    assert found is not None
    manifest = from_json(found[1])
    assert manifest.status == "ready"
    assert {v.width for v in manifest.variants} == {160, 320}


def test_last_delivery_of_a_broken_storage_leaves_a_failed_manifest():
    class Flaky(MemoryStorage):
        """Reads the original, then cannot write variants."""

        def put(self, key: str, body: bytes, **kwargs: Any) -> None:
            if key.startswith("images/") and not key.endswith("manifest.json"):
                raise ConnectionError("write failed")
            super().put(key, body, **kwargs)

    storage = Flaky()
    storage.put(keys.upload_key(IMAGE_ID), make_image(300, 200), content_type="image/jpeg")
    processor = Processor(storage, Settings(widths=(160,)))
    with pytest.raises(ConnectionError):
        queued.handle(sqs_event(json.dumps(S3_EVENT), receive_count="3"), processor, lambda arn: 3)
    found = storage.get(keys.manifest_key(IMAGE_ID))
    assert found is not None
    manifest = from_json(found[1])
    assert manifest.status == "failed"
    assert manifest.error is not None and manifest.error.code == "internal"


# --- the Lambda entry point, against moto's real S3 -> SQS notification -------------------

LAMBDA_SCRIPT = """
import json, sys
import app

assert not hasattr(app, "resize_upload"), "only one trigger may be wired"
queues = sorted(s.queue for s in app.app.event_sources)
assert queues == ["picset-queued-uploads", "picset-uploads-failed"], queues
event = json.loads(sys.stdin.read())
app.resize_queued_upload(event, None)
"""


@pytest.fixture(scope="module")
def moto_server() -> Iterator[Stack]:
    stack = Stack(s3_port=free_port(), quiet=True)
    stack.start_emulator()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.mark.integration
def test_queued_handler_processes_the_notification_s3_really_sends(moto_server):
    """Upload into moto's bucket; its notification lands in the queue; the message, in
    Lambda's SQS event shape, goes to `app.resize_queued_upload` in a process whose app
    was loaded with `PICSET_TRIGGER=sqs`, which wires that handler alone."""
    env = {
        **moto_server.env,
        "PICSET_BUCKET": "picset-queued",
        "PICSET_TRIGGER": "sqs",
        "PICSET_QUEUE_NAME": "picset-queued-uploads",
    }
    settings = Settings.from_env(env)
    s3, sqs = aws.client("s3", settings), aws.client("sqs", settings)
    queues = bootstrap(s3, sqs, settings)
    image_id = keys.new_image_id()
    s3.put_object(
        Bucket=settings.bucket,
        Key=keys.upload_key(image_id),
        Body=make_image(700, 500),
        ContentType="image/jpeg",
        Metadata={"filename": "queued.jpg"},
    )
    received: list[dict[str, Any]] = []

    def notified() -> bool:
        response = sqs.receive_message(
            QueueUrl=queues.url, WaitTimeSeconds=5, AttributeNames=["All"]
        )
        received.extend(m for m in response.get("Messages", []) if "s3:TestEvent" not in m["Body"])
        return bool(received)

    wait_until(notified, "the bucket's notification reaching the queue")
    assert len(received) == 1
    # the handler learns the queue's maxReceiveCount from the queue itself
    assert queued.max_receives(sqs, queues.arn) == template_max_receives()
    event = lambda_event(received[0], queues.arn, settings.region)
    done = subprocess.run(
        [sys.executable, "-c", LAMBDA_SCRIPT],
        input=json.dumps(event),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    manifest = load_manifest(S3Storage(s3, settings.bucket), image_id)
    assert manifest is not None and manifest.status == "ready"
    known = state.load(S3Storage(s3, settings.bucket), image_id)
    assert known is not None and known.filename == "queued.jpg"
    widths = sorted({v.width for v in manifest.variants})
    assert (widths[0], widths[-1], len(widths)) == (320, 700, 3), "spaced by bytes"
    # the structured line reached the function's log (Chalice's handler writes to stdout)
    (line,) = [
        json.loads(x[x.index("{") :]) for x in done.stdout.splitlines() if '"picset.resize"' in x
    ]
    assert (line["id"], line["outcome"], line["source_format"]) == (image_id, "ready", "jpeg")
