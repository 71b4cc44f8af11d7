"""Widths spaced by bytes: the size-versus-width curve, and the widths chosen from it.

A fixed width list spends its variants evenly in pixels, but what a browser pays for is
bytes: a photo's 1920 -> 2560 step can cost 300 KB while 320 -> 640 costs 40 KB. Here the
fallback format's bytes are modelled as `a * width ** b` (a straight line in log-log,
fitted on a few small encodes by `pipeline.space`). The byte step sets how many widths
there are (the span in bytes over the step), and they are placed so that every gap
between neighbours costs the browsers that fall in it the same: a browser needing a
width in a gap fetches its upper end, so over needs spread evenly in width a gap costs
about half its byte step times its width step, and the sum of those is least when the
products are equal, which puts widths evenly in sqrt(bytes x width) (`Curve.spend`).
Evenly in bytes alone crowds the top and leaves a wide first gap (320 -> 1152 px on a
12 MP photo); evenly in width does the opposite. Neighbours still differ by about one
step: the byte gaps grow by the square root of the curve's slope, about 1.5x from the
first to the last on a photo. Pure: numbers in, widths out; no Pillow, no clock.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass

#: At least this many widths where the range allows, at most this many.
FEWEST = 3
MOST = 8
#: Widths between the two ends are multiples of this: JPEG at 4:2:0 and lossy WebP code
#: 16 x 16 blocks, so a width on the grid has no padded partial block at its right edge.
GRID = 16
#: Widths added to reach `FEWEST` are at least this far apart (as a width ratio): a
#: 340 px source gets 320 and 340, not 320, 336 and 340. (Widths the step asks for may be
#: closer: near the widest a few per cent of width can be a step of bytes.)
CLOSEST = 1.1
#: Exponents outside this range are a failed fit, not a photo: bytes grow with area (2)
#: for pure noise, and more slowly for smooth pictures; they never shrink as width grows.
FLATTEST = 0.5
STEEPEST = 2.5
#: The exponent used when the points cannot be fitted (fewer than two usable ones).
AREA = 2.0


@dataclass(frozen=True)
class Curve:
    """Predicted bytes of a variant `width` pixels wide: `scale * width ** exponent`."""

    scale: float
    exponent: float

    def bytes_at(self, width: float) -> float:
        return self.scale * width**self.exponent

    def spend(self, width: float) -> float:
        """What widths are spaced evenly in: sqrt(bytes x width) up to a constant
        factor, `width ** ((exponent + 1) / 2)`."""
        return float(width ** ((self.exponent + 1) / 2))

    def width_for_spend(self, spend: float) -> float:
        return float(spend ** (2 / (self.exponent + 1)))


#: Bytes in proportion to pixels: the curve an animation is spaced on (it is never measured).
BY_AREA = Curve(1.0, AREA)


def fit_curve(points: Iterable[tuple[int, int]]) -> Curve:
    """The least-squares line through (log width, log bytes), its slope kept within
    [`FLATTEST`, `STEEPEST`] so the curve always rises; points that are not positive are
    ignored, and with fewer than two widths left the curve grows with area through the
    points there are."""
    usable = [(math.log(w), math.log(b)) for w, b in points if w > 0 and b > 0]
    if not usable:
        return BY_AREA
    xs = [x for x, _ in usable]
    ys = [y for _, y in usable]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = AREA
    if spread > 1e-12:
        slope = sum((x - mean_x) * (y - mean_y) for x, y in usable) / spread
    if not math.isfinite(slope):
        slope = AREA
    slope = min(max(slope, FLATTEST), STEEPEST)
    return Curve(math.exp(mean_y - slope * mean_x), slope)


def spaced_widths(curve: Curve, narrowest: int, widest: int, count: int) -> list[int]:
    """`count` widths from `narrowest` to `widest`, both included, evenly spaced in
    `curve.spend` (each gap costing the same over-download); the ones between are on the
    `GRID`, so fewer come back only when two of them land on the same grid line."""
    if widest <= narrowest or count <= 1:
        return [widest]
    low, high = curve.spend(narrowest), curve.spend(widest)
    between = set()
    for index in range(1, count - 1):
        target = low + (high - low) * index / (count - 1)
        width = GRID * round(curve.width_for_spend(target) / GRID)
        if narrowest < width < widest:
            between.add(width)
    return [narrowest, *sorted(between), widest]


def choose_widths(
    curve: Curve,
    narrowest: int,
    widest: int,
    step: int,
    fewest: int = FEWEST,
    most: int = MOST,
) -> list[int]:
    """Widths from `narrowest` to `widest`, both included, as many as gaps of about
    `step` predicted bytes need (`spaced_widths` places them). At most `most`; at least
    `fewest` where the range has room for them `CLOSEST` apart, else as many as the step
    gives (two at least, one when the ends meet)."""
    if widest <= narrowest:
        return [widest]
    span = curve.bytes_at(widest) - curve.bytes_at(narrowest)
    by_step = min(max(round(span / max(step, 1)) + 1, 2), most)
    widths = spaced_widths(curve, narrowest, widest, by_step)
    for count in range(fewest, by_step, -1):
        # Too few for the step: take the most, up to `fewest`, that are not crowded.
        padded = spaced_widths(curve, narrowest, widest, count)
        if _far_enough_apart(padded):
            return padded
    return widths


def _far_enough_apart(widths: list[int]) -> bool:
    return all(upper >= lower * CLOSEST for lower, upper in itertools.pairwise(widths))
