"""What the browser test modules share: the whole app on loopback (one per module), a
processed photo, a fresh browser context per test, a bare site on another origin,
signing in through the upload page's form, and the snippets they evaluate.

Each module aliases the fixtures it uses (`stack = browser_pages.stack`), so each gets
its own stack; the chromium itself is shared (`tests/browser_support.py`).
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.settings import MIB
from dev.stack import Stack, free_port
from tests.browser_support import SCREENSHOTS, WAIT_MS
from tests.conftest import make_image
from tests.test_integration import upload, wait_done

SHOTS = SCREENSHOTS / "browser"
#: A server-side limit small enough to test the page's own size check with a small file;
#: the page must learn it from the server (there is no copy of it in the JavaScript).
MAX_UPLOAD = 5 * MIB

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


BROWSER_WIDTHS = "320,640,960,1280,1920,2560"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    # The pages' tests reason about which width chromium picks, so they name the widths.
    env = {"PICSET_MAX_UPLOAD_BYTES": str(MAX_UPLOAD), "PICSET_WIDTHS": BROWSER_WIDTHS}
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
    opened.set_default_timeout(WAIT_MS)
    yield opened
    opened.close()


def variant_url(stack: Stack, key: str) -> str:
    return f"{stack.endpoint_url}/{stack.bucket}/{key}"


def sign_in(
    page: Any, stack: Stack, username: str | None = None, password: str | None = None
) -> None:
    """Sign in through the upload page's form, as a person would, and wait for it to say so."""
    page.goto(stack.url)
    page.get_by_label("User name").fill(username or stack.user)
    page.get_by_label("Password").fill(password or stack.password)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#signed-in").wait_for(state="visible")


def signed_in_page(context: Any, stack: Stack) -> Any:
    """A new tab on the upload page, signed in as the stack's user."""
    page = context.new_page()
    sign_in(page, stack)
    return page


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
