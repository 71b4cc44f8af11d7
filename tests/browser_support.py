"""Headless Debian chromium driven by Playwright, shared by every browser test.

Playwright's own browser download cannot run here; it drives the system chromium that
`scripts/install-chromium` installs. The flags keep chromium off the network (only
loopback is reachable) and let it run as root without a sandbox.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dev.waiting import DEADLINE

CHROMIUM = Path(os.environ.get("PICSET_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
#: Milliseconds any Playwright wait may take: set as every context's and page's default
#: timeout. A busy two-core machine makes chromium, the API and the worker slow together;
#: like every deadline in the tests, this one only bounds a hang.
WAIT_MS = int(DEADLINE * 1000)


class _Shared:
    """One chromium for the whole run. Each test module that aliases the fixture gets its
    own fixture definition, and Playwright's sync API cannot run twice in one thread, so
    the definitions share one launched browser, closed when the last user is done."""

    users = 0
    playwright: Any = None
    browser: Any = None


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/install-chromium installs it")
    if _Shared.users == 0:
        from playwright.sync_api import sync_playwright

        _Shared.playwright = sync_playwright().start()
        _Shared.browser = _Shared.playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS, timeout=WAIT_MS
        )
    _Shared.users += 1
    try:
        yield _Shared.browser
    finally:
        _Shared.users -= 1
        if _Shared.users == 0:
            _Shared.browser.close()
            _Shared.playwright.stop()
            _Shared.browser = _Shared.playwright = None
