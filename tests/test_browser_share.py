"""Sharing a picture page, in Debian chromium: the link preview tags point at images that
load (JPEG, of the size the tags say), and the oEmbed snippet, pasted into a page on
another origin or fetched there by a script, renders the picture."""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from PIL import Image

from dev.stack import Stack
from tests import browser_pages, browser_support
from tests.browser_pages import SHOTS, WAIT_MS, variant_url
from tests.conftest import HTTP_TIMEOUT

browser = browser_support.browser  # the shared headless chromium
stack = browser_pages.stack  # this module's own app on loopback
context = browser_pages.context
uploaded_image = browser_pages.ready_image
other_site = browser_pages.other_site

pytestmark = [pytest.mark.browser, pytest.mark.integration]

ALT = "A harbour at dusk"

SHARE_TAGS = """() => Object.fromEntries(
  [...document.querySelectorAll('meta[property], meta[name]')]
    .map(meta => [meta.getAttribute('property') || meta.getAttribute('name'), meta.content]))"""

LOAD_IMAGE = """url => new Promise((resolve, reject) => {
  const img = new Image();
  img.onload = () => resolve([img.naturalWidth, img.naturalHeight]);
  img.onerror = () => reject(new Error('could not load ' + url));
  img.src = url;
})"""

EMBED_RENDERED = """() => {
  const img = document.querySelector('#embedded img');
  return img !== null && img.complete && img.naturalWidth > 0;
}"""


@pytest.fixture(scope="module")
def ready_image(stack: Stack, uploaded_image: dict[str, Any]) -> dict[str, Any]:
    """The shared processed photo, given alt text by its owner (it is uploaded decorative):
    the title the tags and oEmbed carry."""
    image_id = uploaded_image["manifest"]["id"]
    response = requests.patch(
        f"{stack.url}api/images/{image_id}",
        json={"alt": ALT},
        headers=stack.auth(),
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == 200, response.text
    return uploaded_image


def test_link_preview_tags_point_at_loadable_jpegs(context, stack, ready_image):
    manifest = ready_image["manifest"]
    page_url = ready_image["ticket"]["page_url"]
    page = context.new_page()
    page.goto(page_url)
    tags = page.evaluate(SHARE_TAGS)
    assert tags["og:url"] == page_url
    assert page.locator("link[rel=canonical]").get_attribute("href") == page_url
    assert tags["og:title"] == tags["twitter:title"] == ALT
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["og:image"] == tags["twitter:image"]
    # The 2000 px photo's JPEGs are 320 ... 1920 and 2000 wide: 1280 is the first >= 1200.
    expected = f"images/{manifest['id']}/{manifest['revision']}/1280w.jpg"
    assert tags["og:image"] == variant_url(stack, expected)
    assert tags["og:image:type"] == "image/jpeg"
    size = (int(tags["og:image:width"]), int(tags["og:image:height"]))
    assert size == (1280, 960)

    # chromium loads it at the size the tags promise...
    assert tuple(page.evaluate(LOAD_IMAGE, tags["og:image"])) == size
    # ...and a crawler fetching it gets a JPEG of that size, served as one.
    for url in {tags["og:image"], tags["twitter:image"]}:
        response = context.request.get(url)
        assert response.status == 200
        assert response.headers["content-type"] == "image/jpeg"
        with Image.open(io.BytesIO(response.body())) as image:
            assert (image.format, image.size) == ("JPEG", size)


def discover_oembed(browser: Any, page_url: str) -> str:
    """What an oEmbed consumer does with a pasted link: open it, read the discovery link.
    In its own context, so the variants the picture page loads stay out of the reader's
    cache (chromium would reuse a wider cached variant instead of choosing one)."""
    consumer = browser.new_context()
    consumer.set_default_timeout(WAIT_MS)
    try:
        page = consumer.new_page()
        page.goto(page_url)
        link = page.locator('link[rel=alternate][type="application/json+oembed"]')
        href = link.get_attribute("href")
    finally:
        consumer.close()
    assert href is not None
    return href


def test_oembed_snippet_renders_on_another_origin(browser, context, stack, ready_image, other_site):
    site_url, site_root = other_site
    manifest = ready_image["manifest"]
    href = discover_oembed(browser, ready_image["ticket"]["page_url"])
    assert href.startswith(f"{stack.url}api/oembed?url=")

    response = context.request.get(f"{href}&maxwidth=480")
    assert response.status == 200
    body = response.json()
    assert (body["type"], body["width"], body["height"], body["title"]) == ("rich", 480, 360, ALT)
    assert "<script" not in body["html"]

    def origin(url: str) -> str:
        return "{0.scheme}://{0.netloc}".format(urlsplit(url))

    assert origin(site_url) != origin(stack.url), "the embedding page is on another origin"
    (site_root / "post.html").write_text(
        "<!doctype html><html><head><meta charset=utf-8><title>A post</title></head>"
        f'<body><h1>Somewhere else</h1>\n<div id="embedded">{body["html"]}</div>\n</body></html>',
        encoding="utf-8",
    )
    page = context.new_page()
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(f"{site_url}post.html")
    page.wait_for_function(EMBED_RENDERED, timeout=WAIT_MS)
    shown = page.evaluate(
        """() => { const img = document.querySelector('#embedded img');
        return {src: img.currentSrc, width: img.getBoundingClientRect().width}; }"""
    )
    prefix = variant_url(stack, f"images/{manifest['id']}/{manifest['revision']}/")
    # 480 CSS px at 1x: the 640 px AVIF, whether chromium reads `auto` or the media query.
    assert shown == {"src": f"{prefix}640w.avif", "width": 480}
    assert [url for url in fetched if "/images/" in url] == [shown["src"]]
    page.screenshot(path=SHOTS / "oembed-elsewhere.png")

    # A script on that origin may ask the endpoint itself (it allows any origin).
    fetched_there: Any = page.evaluate("url => fetch(url).then(r => r.json())", href)
    assert fetched_there["html"] == json.loads(context.request.get(href).text())["html"]
