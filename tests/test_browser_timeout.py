"""No page waits forever: with nothing processing uploads, the processing page says so
in words when the status API errs, backs off, and turns into the failed page with code
`timeout` once the server's processing bound has passed. Real chromium, the whole app
on loopback, with a short bound so the test takes seconds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dev.stack import Stack, free_port
from tests.browser_pages import SHOTS, WAIT_MS
from tests.browser_support import browser  # noqa: F401  (the shared chromium fixture)
from tests.conftest import make_image
from tests.test_integration import upload

pytestmark = pytest.mark.browser

BOUND_SECONDS = 12


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    env = {"PICSET_PROCESSING_TIMEOUT_SECONDS": str(BOUND_SECONDS)}
    with Stack(app_port=free_port(), s3_port=free_port(), quiet=True, extra_env=env) as running:
        running.stop_worker()  # nothing will ever process an upload here
        yield running


def test_processing_page_reports_errors_then_ends_in_a_timeout(browser, stack):  # noqa: F811
    ticket = upload(stack, make_image(600, 400), "stuck.jpg", "image/jpeg")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        answered: list[int] = []

        def status_api(route: Any) -> None:
            if len(answered) < 2:  # the first polls meet a broken API
                answered.append(503)
                route.fulfill(status=503, body='{"error": {"code": "x", "message": "x"}}')
            else:
                answered.append(0)
                route.continue_()

        page.route("**/api/images/*", status_api)
        page.goto(ticket["page_url"])
        status = page.locator("#status")
        assert status.get_attribute("data-status") == "processing"
        page.wait_for_function(
            "() => document.getElementById('status').textContent.includes('HTTP 503')"
        )
        page.screenshot(path=SHOTS / "processing-page-error.png", full_page=True)
        # Past the bound the status API answers failed/timeout; the page reloads into it.
        page.wait_for_selector(
            '#status[data-code="timeout"]', timeout=WAIT_MS + 1000 * BOUND_SECONDS
        )
        assert "did not finish in time" in page.locator("#status").inner_text()
        assert answered[:2] == [503, 503]
        page.screenshot(path=SHOTS / "processing-page-timeout.png", full_page=True)
    finally:
        context.close()
