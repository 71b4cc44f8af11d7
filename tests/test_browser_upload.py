"""The upload page in Debian chromium, used as a person would: the file input, the drop
zone, the keyboard, alt text, the Upload and Cancel buttons, against the whole app on
loopback. Screenshots land in artifacts/screenshots/browser/.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from chalicelib.settings import MIB
from tests import browser_pages, browser_support
from tests.browser_pages import IMAGE_LOADED, MAX_UPLOAD, SHOTS, WAIT_MS, signed_in_page
from tests.conftest import make_image

browser = browser_support.browser  # the shared headless chromium
stack = browser_pages.stack  # this module's own app on loopback
context = browser_pages.context

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_upload_page_uploads_a_photo_and_opens_its_picture_page(context, stack, tmp_path):
    photo = tmp_path / "harbour at dusk.jpg"
    photo.write_bytes(make_image(1600, 1200, quality=95))
    page = signed_in_page(context, stack)

    page.set_input_files("#file", str(photo))
    page.get_by_label("Alt text for harbour at dusk.jpg").fill("Boats in a harbour at dusk")
    page.screenshot(path=SHOTS / "upload-page.png", full_page=True)
    page.get_by_role("button", name="Upload").click()

    row = page.locator(".item").first
    page.wait_for_function(
        "() => document.querySelector('.item progress').value === 100", timeout=WAIT_MS
    )
    page.wait_for_url("**/images/*", timeout=WAIT_MS)
    page.wait_for_function(IMAGE_LOADED, timeout=WAIT_MS)
    img = page.locator("#picture img")
    assert img.get_attribute("alt") == "Boats in a harbour at dusk"
    assert img.get_attribute("fetchpriority") == "high"
    assert img.get_attribute("loading") in (None, "eager")
    page.wait_for_function("() => document.getElementById('current').dataset.width")
    page.screenshot(path=SHOTS / "picture-page-desktop.png", full_page=True)
    image_url = page.url

    # Back on the upload page, the upload is listed as one of this browser's recent ones.
    page.goto(stack.url)
    recent = page.locator("#recent a")
    assert recent.first.inner_text() == "harbour at dusk.jpg"
    assert recent.first.get_attribute("href") == image_url
    assert row.count() == 0  # a fresh page: the queue is empty again


def test_upload_works_from_the_keyboard_alone(context, stack, tmp_path):
    photo = tmp_path / "keys.jpg"
    photo.write_bytes(make_image(640, 480))
    page = context.new_page()
    # Playwright turns on file-chooser interception with a message it does not wait for;
    # subscribing now, before any page action, means it is on long before Space is pressed
    # (`expect_file_chooser` alone subscribes just before it and can lose that race).
    page.on("filechooser", lambda _chooser: None)
    page.goto(stack.url)
    for _ in range(10):  # skip link, home link, then the sign-in form's user name
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "username":
            break
    assert page.evaluate("document.activeElement.id") == "username"
    page.keyboard.type(stack.user)
    page.keyboard.press("Tab")
    page.keyboard.type(stack.password)
    page.keyboard.press("Enter")  # submits the sign-in form
    page.locator("#signed-in").wait_for(state="visible")
    # Signed in, the form is gone and the focus is on the next step: choosing photos.
    assert page.evaluate("document.activeElement.id") == "file"
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(photo))

    page.keyboard.press("Tab")  # Remove
    page.keyboard.press("Tab")  # the alt text
    assert page.evaluate("document.activeElement.id") == "alt-0"
    page.keyboard.type("Typed without a mouse")
    page.keyboard.press("Tab")  # Decorative
    page.keyboard.press("Tab")  # Upload
    assert page.evaluate("document.activeElement.id") == "start"
    page.keyboard.press("Enter")
    page.wait_for_url("**/images/*", timeout=WAIT_MS)
    page.wait_for_function(IMAGE_LOADED, timeout=WAIT_MS)
    assert page.locator("#picture img").get_attribute("alt") == "Typed without a mouse"


def test_text_file_named_jpg_ends_with_a_clear_failure(context, stack, tmp_path):
    fake = tmp_path / "notes.jpg"
    fake.write_text("these are my notes, not a photo\n" * 20)
    page = signed_in_page(context, stack)
    page.set_input_files("#file", str(fake))
    page.get_by_label("Decorative").check()
    page.get_by_role("button", name="Upload").click()

    row = page.locator(".item").first
    page.wait_for_function(
        "() => document.querySelector('.item').dataset.state === 'failed'", timeout=WAIT_MS
    )
    message = row.locator(".item-state").inner_text()
    assert message.startswith("Processing failed: This file is not an image picset can read.")
    page.screenshot(path=SHOTS / "upload-page-failed.png", full_page=True)

    row.get_by_role("link", name="See why notes.jpg failed").click()
    status = page.locator("#status")
    assert status.get_attribute("data-code") == "unsupported_format"
    assert "not an image picset can read" in status.inner_text()
    page.screenshot(path=SHOTS / "failed-page.png", full_page=True)


def test_page_refuses_wrong_type_and_oversize_before_asking_for_a_ticket(context, stack, tmp_path):
    text = tmp_path / "readme.txt"
    text.write_text("hello")
    big = tmp_path / "huge.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(MAX_UPLOAD))
    page = signed_in_page(context, stack)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "api/" in request.url else None)
    page.set_input_files("#file", [str(text), str(big)])

    rows = page.locator(".item")
    assert rows.count() == 2
    assert rows.nth(0).get_attribute("data-state") == "invalid"
    assert "picset takes JPEG, PNG, WebP" in rows.nth(0).inner_text()
    assert rows.nth(1).get_attribute("data-state") == "invalid"
    assert "the limit is 5.0 MB" in rows.nth(1).inner_text()
    assert page.get_by_role("button", name="Upload").is_disabled()
    page.screenshot(path=SHOTS / "upload-page-refused.png", full_page=True)
    assert asked == []


def drop_files(page: Any, files: list[tuple[str, bytes]]) -> None:
    """Drop files on the drop zone as a drag from the desktop would."""
    transfer = page.evaluate_handle(
        """files => {
          const transfer = new DataTransfer();
          for (const [name, b64] of files) {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            transfer.items.add(new File([bytes], name, { type: "image/jpeg" }));
          }
          return transfer;
        }""",
        [[name, base64.b64encode(data).decode()] for name, data in files],
    )
    page.dispatch_event("#drop", "drop", {"dataTransfer": transfer})


def test_several_dropped_files_upload_at_once_with_their_own_alt(context, stack):
    page = signed_in_page(context, stack)
    drop_files(page, [("first.jpg", make_image(700, 500)), ("second.jpg", make_image(500, 700))])
    page.get_by_label("Alt text for first.jpg").fill("The first photo")
    page.get_by_label("Decorative").nth(1).check()
    assert page.get_by_label("Alt text for second.jpg").is_disabled()
    page.get_by_role("button", name="Upload 2 files").click()

    page.wait_for_function(
        "() => [...document.querySelectorAll('.item')].every(i => i.dataset.state === 'ready')",
        timeout=WAIT_MS,
    )
    assert page.url == stack.url, "with several files the page stays and links each one"
    page.screenshot(path=SHOTS / "upload-page-two-ready.png", full_page=True)
    assert page.locator("#recent a", has_text="first.jpg").count() == 1
    assert page.locator("#recent a", has_text="second.jpg").count() == 1
    links = page.locator(".item a.item-link")
    pages_of = [links.nth(0).get_attribute("href"), links.nth(1).get_attribute("href")]
    for url, alt in zip(pages_of, ["The first photo", ""], strict=True):
        assert url is not None
        page.goto(url)
        page.wait_for_function(IMAGE_LOADED, timeout=WAIT_MS)
        assert page.locator("#picture img").get_attribute("alt") == alt


def test_refused_ticket_shows_the_servers_reason(context, stack, tmp_path):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(make_image(200, 100))
    page = signed_in_page(context, stack)

    def claim_a_pdf(route: Any) -> None:
        # The page never asks for a type the server refuses; send one anyway, to see
        # the real API's refusal reach the person.
        body = json.loads(route.request.post_data or "{}")
        route.continue_(post_data=json.dumps({**body, "content_type": "application/pdf"}))

    page.route("**/api/uploads", claim_a_pdf)
    page.set_input_files("#file", str(photo))
    page.get_by_label("Alt text for photo.jpg").fill("A test card")
    page.get_by_role("button", name="Upload").click()
    page.wait_for_function("() => document.querySelector('.item').dataset.state === 'error'")
    assert page.locator(".item-state").inner_text() == (
        "Upload ticket refused: application/pdf is not accepted. "
        "Upload AVIF, GIF, HEIC, HEIF, JPEG, PNG, TIFF, WebP."
    )


def test_refused_upload_shows_the_buckets_reason(context, stack, tmp_path):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(make_image(200, 100))
    page = signed_in_page(context, stack)
    bucket = f"{stack.endpoint_url}/{stack.bucket}"

    def refuse(route: Any) -> None:
        # moto does not enforce a POST policy; S3 does, with a 403 and this XML.
        if route.request.method != "POST":
            route.continue_()
            return
        route.fulfill(
            status=403,
            headers={"Access-Control-Allow-Origin": "*", "Content-Type": "application/xml"},
            body="<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code>"
            "<Message>Policy expired.</Message></Error>",
        )

    page.route(f"{bucket}*", refuse)
    page.set_input_files("#file", str(photo))
    page.get_by_label("Alt text for photo.jpg").fill("A test card")
    page.get_by_role("button", name="Upload").click()
    page.wait_for_function("() => document.querySelector('.item').dataset.state === 'error'")
    assert page.locator(".item-state").inner_text() == (
        "The bucket refused the upload: Policy expired. (HTTP 403)."
    )
    assert page.locator("#recent a").count() == 0


def test_cancel_stops_an_upload_in_flight(context, stack, tmp_path):
    slow = tmp_path / "slow.jpg"
    slow.write_bytes(make_image(64, 64) + bytes(3 * MIB))
    page = signed_in_page(context, stack)
    # Throttle this page's uploads so there is time to see progress and to cancel.
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 5, "downloadThroughput": -1, "uploadThroughput": 256 * 1024},
    )
    page.set_input_files("#file", str(slow))
    page.get_by_label("Decorative").check()
    page.get_by_role("button", name="Upload").click()
    page.wait_for_function(
        "() => { const v = document.querySelector('.item progress').value;"
        " return v > 0 && v < 100; }",
        timeout=WAIT_MS,
    )
    page.get_by_role("button", name="Cancel slow.jpg").click()
    row = page.locator(".item").first
    page.wait_for_function("() => document.querySelector('.item').dataset.state === 'cancelled'")
    assert row.locator(".item-state").inner_text() == "Upload cancelled."
    assert page.locator("#recent a", has_text="slow.jpg").count() == 0


def test_page_asks_for_alt_or_decorative_before_asking_for_a_ticket(context, stack, tmp_path):
    photo = tmp_path / "IMG_4032.jpg"
    photo.write_bytes(make_image(640, 480))
    page = signed_in_page(context, stack)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "api/" in request.url else None)
    assert "Each photo needs alt text" in page.locator("#alt-rule").inner_text()
    page.set_input_files("#file", str(photo))
    page.get_by_role("button", name="Upload").click()

    row = page.locator(".item").first
    assert row.get_attribute("data-state") == "needs-alt"
    assert (
        row.locator(".item-state")
        .inner_text()
        .startswith("Not uploaded yet: describe what the photo shows")
    )
    assert "Decorative" in row.locator(".item-state").inner_text()
    assert page.evaluate("document.activeElement.id") == "alt-0"
    assert page.get_attribute("#alt-0", "aria-invalid") == "true"
    page.screenshot(path=SHOTS / "upload-page-needs-alt.png", full_page=True)
    assert asked == []

    page.get_by_label("Decorative").check()
    assert row.get_attribute("data-state") == "queued"
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/images/*", timeout=WAIT_MS)
    page.wait_for_function(IMAGE_LOADED, timeout=WAIT_MS)
    assert page.locator("#picture img").get_attribute("alt") == ""


def test_alt_too_long_to_store_shows_the_servers_limit(context, stack, tmp_path):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(make_image(200, 100))
    page = signed_in_page(context, stack)
    page.set_input_files("#file", str(photo))
    page.get_by_label("Alt text for photo.jpg").fill("夕暮れの海" * 98)
    page.get_by_role("button", name="Upload").click()
    page.wait_for_function("() => document.querySelector('.item').dataset.state === 'error'")
    message = page.locator(".item-state").inner_text()
    assert message.startswith("Upload ticket refused: This alt text is too long")
    assert "it has 490 characters and at most 198 of them fit" in message
