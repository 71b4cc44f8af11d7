"""A small text progress bar for the command-line tool: one line, redrawn in place on a
terminal (`\\r`), throttled so a fast loop does not flood the output, always finished
with a newline. No dependency, so the CLI runs wherever picset's packages are.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 28


def human_bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    raise AssertionError("unreachable")


class ProgressBar:
    def __init__(
        self,
        total: int,
        label: str,
        *,
        unit: str = "bytes",
        stream: TextIO | None = None,
        interval: float = 0.1,
    ) -> None:
        self.total = max(total, 0)
        self.label = label
        self.unit = unit
        self.stream = stream or sys.stderr
        self.interval = interval
        self.done = 0
        self._drawn_at = 0.0
        self._drawn = ""
        self._closed = False

    def _amount(self, value: int) -> str:
        return human_bytes(value) if self.unit == "bytes" else str(value)

    def render(self) -> str:
        fraction = self.done / self.total if self.total else 1.0
        filled = round(WIDTH * min(fraction, 1.0))
        bar = "#" * filled + "." * (WIDTH - filled)
        amounts = f"{self._amount(self.done)}/{self._amount(self.total)}"
        return f"{self.label} [{bar}] {fraction:4.0%} {amounts}"

    def update(self, step: int) -> None:
        self.done += step
        now = time.monotonic()
        if now - self._drawn_at >= self.interval or self.done >= self.total:
            self._drawn_at = now
            self._draw()

    def _draw(self) -> None:
        self._drawn = self.render()
        self.stream.write("\r" + self._drawn)
        self.stream.flush()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if self._drawn != self.render():
                self._draw()
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
