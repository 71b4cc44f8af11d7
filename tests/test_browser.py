"""picset in a real browser: Debian chromium, driven by Playwright, against the whole app
(moto's server, the worker and `chalice local`) on loopback.

The upload page is used as a person would (file input, alt text, the Upload button); the
picture page is checked for the source chromium really picks and fetches at a phone and a
desktop viewport; the copied markup is pasted into a page on another origin. Screenshots
land in `SHOTS` (artifacts/screenshots/browser/) for a person to look at.
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib import render
from chalicelib.settings import MIB
from dev.stack import Stack, free_port
from tests import browser_support
from tests.browser_support import SCREENSHOTS
from tests.conftest import make_image
from tests.test_integration import upload, wait_done

browser = browser_support.browser  # the shared headless chromium fixture

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SHOTS = SCREENSHOTS / "browser"
#: A server-side limit small enough to test the page's own size check with a small file;
#: the page must learn it from the server (there is no copy of it in the JavaScript).
MAX_UPLOAD = 5 * MIB
WAIT_MS = 60_000

IMAGE_LOADED = """() => {
  const img = document.querySelector('#picture img');
  return img !== null && img.complete && img.naturalWidth > 0;
}"""


LAYOUT_SHIFT = """() => new Promise(resolve => {
  let total = 0;
  new PerformanceObserver(list => { for (const entry of list.getEntries()) total += entry.value; })
    .observe({ type: "layout-shift", buffered: true });
  setTimeout(() => resolve(total), 200);
})"""


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    env = {"PICSET_MAX_UPLOAD_BYTES": str(MAX_UPLOAD)}
    with Stack(app_port=free_port(), s3_port=free_port(), quiet=True, extra_env=env) as running:
        yield running


@pytest.fixture(scope="module")
def ready_image(stack: Stack) -> dict[str, Any]:
    """A 2000 x 1500 photo uploaded over HTTP and processed: variants 320 ... 2000 wide."""
    ticket = upload(stack, make_image(2000, 1500), "harbour.jpg", "image/jpeg")
    manifest = wait_done(ticket["status_url"])
    assert manifest["status"] == "ready"
    return {"ticket": ticket, "manifest": manifest}


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    opened = browser.new_context(viewport={"width": 1280, "height": 900})
    opened.set_default_timeout(WAIT_MS)  # a busy 2-core CI machine can be slow to answer
    yield opened
    opened.close()


def variant_url(stack: Stack, key: str) -> str:
    return f"{stack.endpoint_url}/{stack.bucket}/{key}"


def test_upload_page_uploads_a_photo_and_opens_its_picture_page(context, stack, tmp_path):
    photo = tmp_path / "harbour at dusk.jpg"
    photo.write_bytes(make_image(1600, 1200, quality=95))
    page = context.new_page()
    page.goto(stack.url)

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


@pytest.mark.parametrize(
    ("width", "height", "scale", "slot"),
    [
        # sizes: calc(100vw - 32px) below 992 px, so 375 - 32 = 343 CSS px, x3 = 1029 px.
        pytest.param(375, 812, 3, 343, id="phone-375x812-at-3x"),
        # sizes: 960px from 992 px up, x1 = 960 px.
        pytest.param(1440, 900, 1, 960, id="desktop-1440x900-at-1x"),
    ],
)
def test_picture_page_fetches_one_avif_of_the_width_sizes_asks_for(
    browser, stack, ready_image, width, height, scale, slot
):
    manifest = ready_image["manifest"]
    avif_widths = sorted(v["width"] for v in manifest["variants"] if v["format"] == "avif")
    assert avif_widths == [320, 640, 960, 1280, 1920, 2000]
    # The smallest variant at least slot x density wide. The image and viewports are
    # chosen so chromium's own tie-break between the two neighbours agrees: phone needs
    # 1029 px of 960 / 1280 (1280 is the nearer in density), desktop needs exactly 960.
    needed = slot * scale
    expected = next((w for w in avif_widths if w >= needed), avif_widths[-1])
    prefix = f"/images/{manifest['id']}/"

    context = browser.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=scale
    )
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        fetched: list[str] = []
        page.on("request", lambda request: fetched.append(request.url))
        response = page.goto(ready_image["ticket"]["page_url"])
        assert response is not None and response.status == 200
        page.wait_for_function(IMAGE_LOADED, timeout=WAIT_MS)
        page.wait_for_load_state("networkidle")

        sources = page.locator("#picture source")
        assert sources.count() == 2
        assert sources.nth(0).get_attribute("type") == "image/avif"
        assert sources.nth(0).get_attribute("sizes") == render.PAGE_SIZES
        current = page.evaluate("document.querySelector('#picture img').currentSrc")
        assert current == variant_url(stack, f"images/{manifest['id']}/{expected}w.avif")
        variants_fetched = [url for url in fetched if prefix in url]
        assert variants_fetched == [current], "one variant, not several"

        # The layout gives the image the slot `sizes` promised (less a scrollbar, if any).
        shown = page.evaluate("document.querySelector('#picture img').getBoundingClientRect()")
        assert slot - 20 <= shown["width"] <= slot
        assert abs(shown["height"] - shown["width"] * 1500 / 2000) <= 1
        # Width and height reserve the box before any byte arrives: nothing moved.
        assert page.evaluate(LAYOUT_SHIFT) == 0
        # ...and says, live, what the browser picked.
        current_out = page.locator("#current")
        assert current_out.get_attribute("data-width") == str(expected)
        assert current_out.get_attribute("data-format") == "avif"
        assert f"AVIF, {expected} px wide" in current_out.inner_text()
        page.screenshot(path=SHOTS / f"picture-page-{width}x{height}.png", full_page=True)
    finally:
        context.close()


def test_picked_source_line_follows_a_resize(browser, stack, ready_image):
    context = browser.new_context(viewport={"width": 400, "height": 800})
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        page.goto(ready_image["ticket"]["page_url"])
        current = page.locator("#current")
        # 400 - 32 = 368 CSS px at 1x: the 640 px AVIF.
        page.wait_for_function("() => document.getElementById('current').dataset.width")
        assert current.get_attribute("data-width") == "640"
        page.set_viewport_size({"width": 1440, "height": 900})
        # Now 960 CSS px: chromium fetches the 960 px AVIF and the line says so.
        page.wait_for_function(
            "() => document.getElementById('current').dataset.width === '960'", timeout=WAIT_MS
        )
        assert current.get_attribute("data-src").endswith("/960w.avif")
        assert "AVIF, 960 px wide" in current.inner_text()
    finally:
        context.close()


def test_placeholder_and_colour_hold_the_place_until_the_image_arrives(context, stack, ready_image):
    manifest = ready_image["manifest"]
    held: list[Any] = []
    page = context.new_page()
    # Hold every variant request, so the page can be seen before the image arrives.
    page.route(f"**/images/{manifest['id']}/*", lambda route: held.append(route))
    page.goto(ready_image["ticket"]["page_url"], wait_until="domcontentloaded")
    for _ in range(200):  # Playwright hands over routes while the page is being waited on
        if held:
            break
        page.wait_for_timeout(50)
    img = page.locator("#picture img")
    before = img.bounding_box()
    style = page.evaluate(
        "() => { const s = getComputedStyle(document.querySelector('#picture img'));"
        " return [s.backgroundImage, s.backgroundColor]; }"
    )
    assert style[0].startswith('url("data:image/webp;base64,')
    red, green, blue = (int(manifest["color"][i : i + 2], 16) for i in (1, 3, 5))
    assert style[1] == f"rgb({red}, {green}, {blue})"
    assert before is not None and before["height"] == pytest.approx(before["width"] * 0.75, abs=1)
    page.screenshot(path=SHOTS / "picture-page-loading.png")

    assert len(held) == 1
    for route in held:
        route.continue_()
    page.wait_for_function(IMAGE_LOADED, timeout=WAIT_MS)
    page.wait_for_function("() => document.querySelector('#picture img.loaded') !== null")
    after = img.bounding_box()
    assert after == before, "the image filled the box it had, nothing moved"
    background = page.evaluate(
        "() => getComputedStyle(document.querySelector('#picture img')).backgroundImage"
    )
    assert background == "none", "the placeholder goes once the image is in"
    assert page.evaluate(LAYOUT_SHIFT) == 0


def test_upload_works_from_the_keyboard_alone(context, stack, tmp_path):
    photo = tmp_path / "keys.jpg"
    photo.write_bytes(make_image(640, 480))
    page = context.new_page()
    page.goto(stack.url)
    for _ in range(10):  # skip link, home link, then the file input
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "file":
            break
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


def test_variant_table_lists_every_variant_with_a_bar(context, ready_image):
    variants = ready_image["manifest"]["variants"]
    page = context.new_page()
    page.goto(ready_image["ticket"]["page_url"])
    rows = page.locator("table.variants tbody tr")
    assert rows.count() == len(variants)
    first = rows.first  # widest first, AVIF before WebP before JPEG
    assert first.get_attribute("data-format") == "avif"
    assert first.get_attribute("data-width") == "2000"
    drawn = page.eval_on_selector_all(
        "table.variants tbody tr",
        """rows => rows.map(row => [row.dataset.format, Number(row.dataset.width),
            row.querySelector('.bar').getBoundingClientRect().width])""",
    )
    bytes_of = {(v["format"], v["width"]): v["bytes"] for v in variants}
    longest = max(length for _, _, length in drawn)
    biggest = max(bytes_of.values())
    for fmt, width, length in drawn:
        # Each bar's length is its file's size against the largest (2 px floor for tiny ones).
        assert abs(length / longest - bytes_of[(fmt, width)] / biggest) < 0.02 or length <= 2


def test_text_file_named_jpg_ends_with_a_clear_failure(context, stack, tmp_path):
    fake = tmp_path / "notes.jpg"
    fake.write_text("these are my notes, not a photo\n" * 20)
    page = context.new_page()
    page.goto(stack.url)
    page.set_input_files("#file", str(fake))
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
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "api/" in request.url else None)
    page.goto(stack.url)
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
    page = context.new_page()
    page.goto(stack.url)
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
    page = context.new_page()

    def claim_a_pdf(route: Any) -> None:
        # The page never asks for a type the server refuses; send one anyway, to see
        # the real API's refusal reach the person.
        body = json.loads(route.request.post_data or "{}")
        route.continue_(post_data=json.dumps({**body, "content_type": "application/pdf"}))

    page.route("**/api/uploads", claim_a_pdf)
    page.goto(stack.url)
    page.set_input_files("#file", str(photo))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_function("() => document.querySelector('.item').dataset.state === 'error'")
    assert page.locator(".item-state").inner_text() == (
        "Upload ticket refused: application/pdf is not accepted. "
        "Upload AVIF, GIF, HEIC, HEIF, JPEG, PNG, TIFF, WebP."
    )


def test_refused_upload_shows_the_buckets_reason(context, stack, tmp_path):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(make_image(200, 100))
    page = context.new_page()
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
    page.goto(stack.url)
    page.set_input_files("#file", str(photo))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_function("() => document.querySelector('.item').dataset.state === 'error'")
    assert page.locator(".item-state").inner_text() == (
        "The bucket refused the upload: Policy expired. (HTTP 403)."
    )
    assert page.locator("#recent a").count() == 0


def test_cancel_stops_an_upload_in_flight(context, stack, tmp_path):
    slow = tmp_path / "slow.jpg"
    slow.write_bytes(make_image(64, 64) + bytes(3 * MIB))
    page = context.new_page()
    page.goto(stack.url)
    # Throttle this page's uploads so there is time to see progress and to cancel.
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 5, "downloadThroughput": -1, "uploadThroughput": 256 * 1024},
    )
    page.set_input_files("#file", str(slow))
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


def test_processing_page_turns_into_the_picture_page_by_itself(context, stack):
    stack.stop_worker()
    try:
        ticket = upload(stack, make_image(900, 600), "later.jpg", "image/jpeg")
        page = context.new_page()
        page.goto(ticket["page_url"])
        assert page.locator("#status").get_attribute("data-status") == "processing"
        page.screenshot(path=SHOTS / "processing-page.png", full_page=True)
    finally:
        stack.start_worker()
    page.wait_for_function(IMAGE_LOADED, timeout=WAIT_MS)
    assert page.url == ticket["page_url"]
    assert page.locator("h1").inner_text() == "later.jpg"


def test_unknown_image_gets_the_404_page(context, stack):
    page = context.new_page()
    response = page.goto(f"{stack.url}images/{'A' * 22}")
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "Not found"
    assert page.locator("link[rel=stylesheet]").count() == 1


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def other_site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A bare static site on another loopback port: another origin than the app's."""
    port = free_port()
    handler = functools.partial(_Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}/", tmp_path
    server.shutdown()
    server.server_close()


def test_copied_markup_renders_on_another_site(browser, stack, ready_image, other_site):
    site_url, site_root = other_site
    origin = stack.url.rstrip("/")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    try:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
        page = context.new_page()
        page.goto(ready_image["ticket"]["page_url"])
        page.get_by_role("button", name="Copy markup").click()
        page.wait_for_function("() => document.getElementById('copied').textContent !== ''")
        assert page.locator("#copied").inner_text() == "Copied to the clipboard."
        snippet = page.evaluate("navigator.clipboard.readText()")
        assert snippet == page.locator("#embed").input_value()
        assert snippet.startswith("<picture>") and snippet.endswith("</picture>")
        assert 'loading="lazy"' in snippet and "fetchpriority" not in snippet
        assert f'src="{stack.endpoint_url}/' in snippet  # absolute URLs

        (site_root / "post.html").write_text(
            "<!doctype html><html><head><meta charset=utf-8><title>A post</title></head>"
            f"<body><h1>Somewhere else</h1>\n{snippet}\n</body></html>",
            encoding="utf-8",
        )
        fetched: list[str] = []
        page.on("request", lambda request: fetched.append(request.url))
        page.goto(f"{site_url}post.html")
        page.wait_for_function(
            "() => { const img = document.querySelector('img');"
            " return img.complete && img.naturalWidth > 0; }",
            timeout=WAIT_MS,
        )
        current = page.evaluate("document.querySelector('img').currentSrc")
        assert current.endswith(".avif")
        shown = page.evaluate("document.querySelector('img').getBoundingClientRect().width")
        assert shown <= 1280, "the pasted image stays inside the page"
        assert len([url for url in fetched if "/images/" in url]) == 1
        page.screenshot(path=SHOTS / "embedded-elsewhere.png")
    finally:
        context.close()
