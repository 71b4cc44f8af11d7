"""A worker killed mid-image (SIGKILL, no clean-up) loses nothing: the message it held
comes back after the visibility timeout and the image completes; until then the image
is `processing`, never a half-written `ready`. A resize killed on every delivery (what a
Lambda timeout or out-of-memory kill looks like: nothing raises) ends `failed` with code
`timeout` through the dead-letter queue, within the stack's stated bound. Against the
real moto server over HTTP, with the worker as a separate process exactly as
`scripts/run` starts it."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

import pytest
import requests
from PIL import Image

from chalicelib import aws
from chalicelib.settings import Settings
from dev.bootstrap import template_max_receives
from dev.stack import Stack, free_port

pytestmark = pytest.mark.integration

VISIBILITY = 6


def noisy_jpeg(width: int, height: int) -> bytes:
    """Noise does not compress, so this takes the pipeline seconds, not milliseconds."""
    noise = Image.effect_noise((width, height), 80)
    flipped = noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    image = Image.merge("RGB", (noise, flipped, noise.transpose(Image.Transpose.FLIP_TOP_BOTTOM)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture
def stack() -> Iterator[Stack]:
    with Stack(
        app_port=free_port(),
        s3_port=free_port(),
        quiet=True,
        worker_concurrency=1,
        visibility_timeout=VISIBILITY,
    ) as running:
        yield running


def in_flight(sqs: object, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(  # type: ignore[attr-defined]
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessagesNotVisible"])


def waiting(sqs: object, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(  # type: ignore[attr-defined]
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def test_a_worker_killed_mid_image_loses_nothing(stack):
    settings = Settings(bucket=stack.bucket, endpoint_url=stack.endpoint_url)
    sqs = aws.client("sqs", settings)
    queue_url = sqs.get_queue_url(QueueName=settings.queue_name)["QueueUrl"]
    data = noisy_jpeg(5000, 3750)
    ticket = requests.post(
        f"{stack.url}api/uploads",
        json={"filename": "big.jpg", "content_type": "image/jpeg", "size": len(data), "alt": ""},
        timeout=30,
    ).json()
    posted = requests.post(
        ticket["url"], data=ticket["fields"], files={"file": ("big.jpg", data)}, timeout=60
    )
    assert posted.status_code in (200, 204)

    deadline = time.monotonic() + 30
    while in_flight(sqs, queue_url) == 0:  # the worker has taken the message
        assert time.monotonic() < deadline, "the worker never received the upload event"
        time.sleep(0.05)
    stack.stop_worker(kill=True)
    killed_at = time.monotonic()
    status = requests.get(ticket["status_url"], timeout=10)
    assert status.status_code == 202, "the image finished before the kill; use a bigger one"

    stack.start_worker()
    deadline = killed_at + VISIBILITY + 60
    while (status := requests.get(ticket["status_url"], timeout=10)).status_code == 202:
        assert time.monotonic() < deadline, "the image never completed after the restart"
        time.sleep(0.25)
    assert status.status_code == 200
    manifest = status.json()
    assert manifest["status"] == "ready"
    assert "filename" not in manifest["source"]
    assert time.monotonic() - killed_at >= VISIBILITY - 1  # it waited for the timeout
    for variant in manifest["variants"]:
        url = f"{stack.endpoint_url}/{stack.bucket}/{variant['key']}"
        assert requests.get(url, timeout=10).status_code == 200
    assert in_flight(sqs, queue_url) == 0


def upload(stack: Stack, data: bytes) -> dict[str, str]:
    ticket: dict[str, str] = requests.post(
        f"{stack.url}api/uploads",
        json={"filename": "big.jpg", "content_type": "image/jpeg", "size": len(data), "alt": ""},
        timeout=30,
    ).json()
    posted = requests.post(
        ticket["url"], data=ticket["fields"], files={"file": ("big.jpg", data)}, timeout=60
    )
    assert posted.status_code in (200, 204)
    return ticket


def test_a_resize_killed_on_every_delivery_ends_failed_with_timeout(stack):
    settings = Settings(bucket=stack.bucket, endpoint_url=stack.endpoint_url)
    sqs = aws.client("sqs", settings)
    queue_url = sqs.get_queue_url(QueueName=settings.queue_name)["QueueUrl"]
    started = time.monotonic()
    ticket = upload(stack, noisy_jpeg(5000, 3750))

    for delivery in range(1, template_max_receives() + 1):
        deadline = time.monotonic() + VISIBILITY + 60
        if delivery > 1:  # no worker runs until the killed delivery's message is back
            while waiting(sqs, queue_url) == 0:
                assert time.monotonic() < deadline, f"delivery {delivery - 1} never came back"
                time.sleep(0.05)
            stack.start_worker()
        while in_flight(sqs, queue_url) == 0:  # this delivery has begun
            assert time.monotonic() < deadline, f"delivery {delivery} never began"
            time.sleep(0.05)
        stack.stop_worker(kill=True)
        status = requests.get(ticket["status_url"], timeout=30)
        assert status.status_code == 202, f"delivery {delivery} finished before the kill"
    stack.start_worker()

    # The next receive moves the message to the dead-letter queue, whose consumer (in the
    # same worker, through `app.record_failures`) records the failure.
    deadline = started + stack.processing_bound
    while (status := requests.get(ticket["status_url"], timeout=30)).status_code == 202:
        assert time.monotonic() < deadline, "still processing after the stated bound"
        time.sleep(0.25)
    manifest = status.json()
    assert (manifest["status"], manifest["error"]["code"]) == ("failed", "timeout")
    assert "did not finish in time" in manifest["error"]["message"]
    page = requests.get(ticket["page_url"], timeout=30)
    assert 'data-code="timeout"' in page.text
    assert in_flight(sqs, queue_url) == 0
