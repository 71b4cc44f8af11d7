"""The whole flow against the real moto server over HTTP, exactly as a browser would do
it: ticket, multipart POST to the bucket, the worker picks up the S3 event from SQS,
then the status, the page and every variant URL the page names; and the event a site
hears through its own rule, read from the local events queue."""

import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from PIL import Image

from dev.stack import Stack, free_port
from dev.waiting import DEADLINE, wait_until
from tests.conftest import HTTP_TIMEOUT, make_image

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(app_port=free_port(), s3_port=free_port(), quiet=True) as running:
        yield running


def upload(stack: Stack, data: bytes, filename: str, content_type: str) -> dict:
    response = requests.post(
        f"{stack.url}api/uploads",
        json={
            "filename": filename,
            "content_type": content_type,
            "size": len(data),
            "alt": "",
        },
        headers=stack.auth(),
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == 201, response.text
    ticket = response.json()
    posted = requests.post(
        ticket["url"],
        data=ticket["fields"],
        files={"file": (filename, data, content_type)},
        timeout=HTTP_TIMEOUT,
    )
    assert posted.status_code in (200, 201, 204), posted.text
    return ticket


def wait_done(status_url: str, timeout: float = DEADLINE) -> dict:
    """The manifest, once the image is ready or failed (the status answers 202 until then)."""

    def finished() -> dict | None:
        response = requests.get(status_url, timeout=HTTP_TIMEOUT)
        if response.status_code == 200:
            return dict(response.json())
        assert response.status_code == 202
        return None

    return wait_until(finished, f"{status_url} finishing", timeout=timeout)


def test_photo_goes_from_upload_to_picture_page(stack):
    ticket = upload(stack, make_image(1400, 1050), "holiday photo.jpg", "image/jpeg")
    manifest = wait_done(ticket["status_url"])
    assert manifest["status"] == "ready"
    assert "filename" not in manifest["source"] and "etag" not in manifest["source"]

    page = requests.get(ticket["page_url"], timeout=HTTP_TIMEOUT)
    assert page.status_code == 200
    assert "<picture>" in page.text
    urls = set(re.findall(r"(http://[^\s\"]+) \d+w", page.text))
    expected = {f"{stack.endpoint_url}/{stack.bucket}/{v['key']}" for v in manifest["variants"]}
    assert urls == expected
    # Spaced by bytes (the default): from 320 px to the photo's own width, 3 to 8 of them,
    # the same widths in every format.
    widths = sorted({v["width"] for v in manifest["variants"]})
    assert widths[0] == 320 and widths[-1] == 1400
    assert 3 <= len(widths) <= 8
    for fmt in ("avif", "webp", "jpeg"):
        assert sorted(v["width"] for v in manifest["variants"] if v["format"] == fmt) == widths
    content_types = {"avif": "image/avif", "webp": "image/webp", "jpeg": "image/jpeg"}
    for variant in manifest["variants"]:
        url = f"{stack.endpoint_url}/{stack.bucket}/{variant['key']}"
        response = requests.get(url, timeout=HTTP_TIMEOUT)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == content_types[variant["format"]]
        assert "immutable" in response.headers.get("Cache-Control", "")
        decoded = Image.open(io.BytesIO(response.content))
        assert decoded.size == (variant["width"], variant["height"])


def test_text_file_named_jpg_fails_clearly(stack):
    ticket = upload(stack, b"this is not a photo\n" * 10, "notes.jpg", "image/jpeg")
    manifest = wait_done(ticket["status_url"])
    assert manifest["status"] == "failed"
    assert manifest["error"]["code"] == "unsupported_format"
    page = requests.get(ticket["page_url"], timeout=HTTP_TIMEOUT)
    assert "not an image picset can read" in page.text


class Inbox:
    """The local events queue (the bootstrap's rule on the default bus feeds it), read
    as a site's consumer would: every event kept by image id, each message deleted."""

    def __init__(self, stack: Stack) -> None:
        self.sqs = stack.events_client()
        assert stack.events_queue_url is not None
        self.url = stack.events_queue_url
        self.heard: dict[str, list[dict[str, Any]]] = {}

    def _receive(self) -> None:
        answer = self.sqs.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        for message in answer.get("Messages", []):
            event = json.loads(message["Body"])
            self.heard.setdefault(event["detail"]["id"], []).append(event)
            self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])

    def event_for(self, image_id: str) -> dict[str, Any]:
        def heard() -> dict[str, Any] | None:
            self._receive()
            found = self.heard.get(image_id)
            return found[0] if found else None

        return wait_until(heard, f"an event for {image_id}")


@pytest.fixture(scope="module")
def inbox(stack: Stack) -> Inbox:
    return Inbox(stack)


def test_a_ready_image_is_announced_on_the_bus(stack, inbox):
    ticket = upload(stack, make_image(700, 500), "ann-at-the-beach.jpg", "image/jpeg")
    manifest = wait_done(ticket["status_url"])
    event = inbox.event_for(ticket["id"])
    assert (event["source"], event["detail-type"]) == ("picset", "Image Ready")
    assert event["detail"] == {
        "id": ticket["id"],
        "status": "ready",
        "revision": manifest["revision"],
        "page_url": ticket["page_url"],
        "error_code": None,
        "variant_count": len(manifest["variants"]),
    }
    assert "ann-at-the-beach" not in json.dumps(event)
    assert len(inbox.heard[ticket["id"]]) == 1


def test_a_failed_image_is_announced_with_its_code(stack, inbox):
    ticket = upload(stack, b"\x00garbage\xff" * 40, "garbage.png", "image/png")
    manifest = wait_done(ticket["status_url"])
    assert manifest["status"] == "failed"
    event = inbox.event_for(ticket["id"])
    assert (event["source"], event["detail-type"]) == ("picset", "Image Failed")
    detail = event["detail"]
    assert (detail["status"], detail["error_code"]) == ("failed", "unsupported_format")
    assert (detail["variant_count"], detail["page_url"]) == (0, ticket["page_url"])
    assert detail["revision"] == manifest["revision"]
