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
from dev.waiting import DEADLINE, wait_until
from tests.conftest import HTTP_TIMEOUT
from tests.test_integration import wait_done

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
        bound_margin=int(DEADLINE),  # a busy machine restarts the worker slowly, three times over
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
    ticket = upload(stack, noisy_jpeg(5000, 3750))

    wait_until(
        lambda: in_flight(sqs, queue_url) > 0, "the worker taking the message", interval=0.05
    )
    stack.stop_worker(kill=True)
    killed_at = time.monotonic()
    status = requests.get(ticket["status_url"], timeout=HTTP_TIMEOUT)
    assert status.status_code == 202, "the image finished before the kill; use a bigger one"

    stack.start_worker()
    manifest = wait_done(ticket["status_url"], timeout=VISIBILITY + DEADLINE)
    assert manifest["status"] == "ready"
    assert "filename" not in manifest["source"]
    assert time.monotonic() - killed_at >= VISIBILITY - 1  # it waited for the timeout
    for variant in manifest["variants"]:
        url = f"{stack.endpoint_url}/{stack.bucket}/{variant['key']}"
        assert requests.get(url, timeout=HTTP_TIMEOUT).status_code == 200
    # the worker deletes the message once the handler has returned, just after the manifest
    wait_until(lambda: in_flight(sqs, queue_url) == 0, "the worker deleting the message")


def upload(stack: Stack, data: bytes) -> dict[str, str]:
    ticket: dict[str, str] = requests.post(
        f"{stack.url}api/uploads",
        headers=stack.auth(),
        json={"filename": "big.jpg", "content_type": "image/jpeg", "size": len(data), "alt": ""},
        timeout=HTTP_TIMEOUT,
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
        if delivery > 1:  # no worker runs until the killed delivery's message is back
            wait_until(
                lambda: waiting(sqs, queue_url) > 0,
                f"delivery {delivery - 1}'s message coming back",
                interval=0.05,
            )
            stack.start_worker()
        wait_until(
            lambda: in_flight(sqs, queue_url) > 0, f"delivery {delivery} beginning", interval=0.05
        )
        stack.stop_worker(kill=True)
        status = requests.get(ticket["status_url"], timeout=HTTP_TIMEOUT)
        assert status.status_code == 202, f"delivery {delivery} finished before the kill"
    stack.start_worker()

    # The next receive moves the message to the dead-letter queue, whose consumer (in the
    # same worker, through `app.record_failures`) records the failure.
    deadline = started + stack.processing_bound
    while (status := requests.get(ticket["status_url"], timeout=HTTP_TIMEOUT)).status_code == 202:
        assert time.monotonic() < deadline, "still processing after the stated bound"
        time.sleep(0.25)
    manifest = status.json()
    assert (manifest["status"], manifest["error"]["code"]) == ("failed", "timeout")
    assert "did not finish in time" in manifest["error"]["message"]
    page = requests.get(ticket["page_url"], timeout=HTTP_TIMEOUT)
    assert 'data-code="timeout"' in page.text
    wait_until(lambda: in_flight(sqs, queue_url) == 0, "the upload queue emptying")
    # the failure recorder marks the original for the lifecycle rule, as the resize does
    s3 = aws.client("s3", settings)

    def tags() -> list[dict[str, str]]:
        key = f"uploads/{ticket['id']}"
        return list(s3.get_object_tagging(Bucket=stack.bucket, Key=key)["TagSet"])

    wait_until(
        lambda: tags() == [{"Key": "picset-status", "Value": "failed"}],
        "the failure recorder tagging the original",
    )
