"""The bucket itself refuses what the ticket does not allow, checked against LocalStack.

moto's server accepts every presigned POST whatever its policy says, so these tests run
the whole app against LocalStack (S3 + SQS as a plain process from `.venv-localstack`),
which checks the POST policy (size range, `Content-Type`, key, expiry) and the bucket's
CORS rules as S3 does. LocalStack's free edition does not evaluate bucket policies
(anonymous reads of `uploads/` succeed there), so the public-read policy is checked as a
document in `test_access.py` instead.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from chalicelib import aws, keys, tickets
from chalicelib.settings import Settings
from dev.localstack import LocalStackUnavailable
from dev.stack import Stack, free_port
from dev.waiting import wait_until
from tests import browser_support
from tests.browser_support import WAIT_MS
from tests.conftest import HTTP_TIMEOUT, make_image
from tests.test_integration import wait_done

pytestmark = [pytest.mark.integration, pytest.mark.localstack]

MAX_BYTES = 64 * 1024

browser = browser_support.browser  # the shared headless chromium fixture


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    running = Stack(
        app_port=free_port(),
        s3_port=free_port(),
        emulator="localstack",
        bucket="picset-ls",
        quiet=True,
        extra_env={"PICSET_MAX_UPLOAD_BYTES": str(MAX_BYTES)},
    )
    try:
        running.start()
    except LocalStackUnavailable as exc:
        print(f"\n*** LocalStack tests SKIPPED: {exc}\n", file=sys.stderr)
        pytest.skip(f"LOCALSTACK UNAVAILABLE, enforcement NOT tested: {exc}")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def s3(stack: Stack) -> Any:
    return aws.client("s3", settings_of(stack))


def settings_of(stack: Stack, **overrides: Any) -> Settings:
    return Settings(
        bucket=stack.bucket,
        endpoint_url=stack.endpoint_url,
        max_upload_bytes=MAX_BYTES,
        **overrides,
    )


def ticket(stack: Stack, data: bytes, content_type: str = "image/jpeg") -> dict[str, Any]:
    response = requests.post(
        f"{stack.url}api/uploads",
        headers=stack.auth(),
        json={"filename": "a.jpg", "content_type": content_type, "size": len(data), "alt": ""},
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def post(issued: dict[str, Any], data: bytes, **field_overrides: str) -> requests.Response:
    fields = {**issued["fields"], **field_overrides}
    return requests.post(
        issued["url"], data=fields, files={"file": ("a.jpg", data)}, timeout=HTTP_TIMEOUT
    )


def policy_expiry(issued: dict[str, Any]) -> datetime:
    """When the ticket's POST policy says it expires."""
    policy = json.loads(base64.b64decode(issued["fields"]["policy"]))
    return datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def stored(s3: Any, stack: Stack, prefix: str = keys.UPLOAD_PREFIX) -> set[str]:
    listed = s3.list_objects_v2(Bucket=stack.bucket, Prefix=prefix)
    return {item["Key"] for item in listed.get("Contents", [])}


def small_jpeg() -> bytes:
    data = make_image(320, 240)
    assert len(data) < MAX_BYTES
    return data


@pytest.mark.parametrize(
    ("make", "overrides", "status", "says"),
    [
        pytest.param(
            lambda: b"\xff\xd8\xff" + bytes(MAX_BYTES),
            {},
            400,
            "EntityTooLarge",
            id="over-the-size-limit",
        ),
        pytest.param(
            lambda: small_jpeg() + bytes(2000),
            {},
            400,
            "EntityTooLarge",
            id="more-than-the-ticket-declared",
        ),
        pytest.param(
            small_jpeg, {"Content-Type": "text/html"}, 403, "Content-Type", id="disallowed-type"
        ),
        pytest.param(
            small_jpeg,
            {"key": keys.upload_key("X" * 22)},
            403,
            "key",
            id="to-a-different-key",
        ),
        pytest.param(
            small_jpeg,
            {"key": "images/" + "X" * 22 + "/manifest.json"},
            403,
            "key",
            id="over-a-manifest",
        ),
    ],
)
def test_the_bucket_refuses_what_the_ticket_does_not_allow(
    stack, s3, make, overrides, status, says
):
    data = make()
    # Ask for the ticket honestly, for the size of a real photo (the API itself refuses an
    # oversize request, and the policy caps the upload at the declared size), then break
    # its rules when posting to the bucket, as a hostile client would.
    issued = ticket(stack, small_jpeg())
    response = post(issued, data, **overrides)
    assert response.status_code == status, response.text
    assert says in response.text
    assert keys.upload_key(issued["id"]) not in stored(s3, stack)
    assert requests.get(issued["status_url"], timeout=HTTP_TIMEOUT).status_code == 404
    assert not stored(s3, stack, keys.IMAGES_PREFIX) & {overrides.get("key", "")}


def test_the_bucket_refuses_an_expired_ticket(stack, s3):
    settings = settings_of(stack, ticket_expiry_seconds=1)
    image_id = keys.new_image_id()
    data = small_jpeg()
    request = tickets.TicketRequest("late.jpg", "image/jpeg", len(data), "")
    issued = tickets.issue_ticket(s3, settings, request, image_id)
    # Past the policy's own expiry (whole seconds), by a second, as the bucket's clock sees it.
    expires = policy_expiry(issued) + timedelta(seconds=1)
    wait_until(lambda: datetime.now(UTC) > expires, "the ticket expiring")
    response = post(issued, data)
    assert response.status_code == 403, response.text
    assert "expired" in response.text
    assert keys.upload_key(image_id) not in stored(s3, stack)


def test_the_api_refuses_a_disallowed_type_before_the_bucket_is_involved(stack):
    response = requests.post(
        f"{stack.url}api/uploads",
        headers=stack.auth(),
        json={"filename": "a.svg", "content_type": "image/svg+xml", "size": 10},
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_type"


def test_a_good_upload_goes_all_the_way_to_ready(stack, s3):
    data = small_jpeg()
    issued = ticket(stack, data)
    assert post(issued, data).status_code in (200, 204)
    manifest = wait_done(issued["status_url"])
    assert manifest["status"] == "ready", manifest
    assert {v["width"] for v in manifest["variants"]} == {320}
    page = requests.get(issued["page_url"], timeout=HTTP_TIMEOUT)
    assert page.status_code == 200
    assert "<picture" in page.text
    for variant in manifest["variants"]:
        url = f"{stack.endpoint_url}/{stack.bucket}/{variant['key']}"
        response = requests.get(url, timeout=HTTP_TIMEOUT)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == variant["content_type"]


UPLOAD_SCRIPT = """
async ([url, fields]) => {
  // As the upload page does it: XHR with an upload progress listener (which makes the
  // browser ask the bucket first, with a CORS preflight).
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  data.append("file", new Blob([new Uint8Array(2048)], {type: "image/jpeg"}), "a.jpg");
  return await new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.upload.onprogress = () => {};
    xhr.onload = () => resolve("status " + xhr.status);
    xhr.onerror = () => resolve("blocked");
    xhr.send(data);
  });
}
"""


@pytest.mark.browser
def test_cors_lets_the_app_upload_and_refuses_another_origin(stack, s3, browser):
    page = browser.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        # A page from an origin the bucket's CORS rules do not list (served by the
        # browser's own routing, so nothing but loopback is contacted).
        foreign = f"http://127.0.0.1:{free_port()}/"
        page.route(foreign, lambda route: route.fulfill(body="<!doctype html><p>elsewhere"))
        page.goto(foreign)
        issued = ticket(stack, b"x" * 2048)
        outcome = page.evaluate(UPLOAD_SCRIPT, [issued["url"], issued["fields"]])
        assert outcome == "blocked"
        assert keys.upload_key(issued["id"]) not in stored(s3, stack)

        # The same upload from the app's own origin goes through.
        page.goto(stack.url)
        issued = ticket(stack, b"x" * 2048)
        outcome = page.evaluate(UPLOAD_SCRIPT, [issued["url"], issued["fields"]])
        assert outcome == "status 204"
        assert keys.upload_key(issued["id"]) in stored(s3, stack)
    finally:
        page.close()
