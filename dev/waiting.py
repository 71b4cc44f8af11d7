"""Waiting for another process: poll a condition until it holds, with a deadline that only
bounds a hang.

The local stack and the tests run servers, a worker and a browser as separate processes,
often on a busy machine with two shared cores, where start-up and image processing take
several times longer than on a quiet one. A fixed sleep, or a deadline of a few seconds,
passes on a quiet machine and fails on a busy one. So every wait for something another
process does goes through `wait_until`, with deadlines far beyond any normal run: reaching
one means something hangs, not that the machine is slow.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

#: Seconds before a wait gives up. Far beyond a busy machine's worst normal run.
DEADLINE = 120.0
#: Seconds between two looks at the condition.
INTERVAL = 0.25


def wait_until(
    condition: Callable[[], T | None],
    what: str,
    *,
    timeout: float = DEADLINE,
    interval: float = INTERVAL,
) -> T:
    """Call `condition` until it returns something truthy, and return that.

    Raises `TimeoutError` naming `what` once `timeout` seconds have passed. The condition
    is always looked at once more after the last pause, so a process that was starved of
    CPU past the deadline still sees a result that arrived meanwhile. An exception from
    the condition ends the wait at once (e.g. "the server exited").
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        time.sleep(interval)
