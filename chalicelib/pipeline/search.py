"""The quality search, as pure arithmetic: which encoder quality to try next, and which
try to keep.

`search` is given a function that encodes at a quality and scores the result; it knows
nothing of images, so its rules (bounds, the try limit, interpolation, what happens when
the curve is not monotonic) are tested with made-up curves. Score against quality is
roughly increasing but not strictly: an encoder can score lower at q + 1 than at q. The
search therefore brackets the target on the running maximum of the scores (the best
score reached at or below each quality tried), and keeps the try with the fewest bytes
among those that really score at least the target.

`confirm` is the cheaper check of a quality already found for a neighbouring image (the
next wider variant): one try, and more only where that one falls short.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

#: A search stops at the first try scoring within [target, target + BAND].
BAND = 2.0
MAX_TRIES = 5
#: A confirming check (`confirm`) lets a score this far above the band stand rather than
#: spend a second try going down: about one quality step's bytes, for half the tries.
CONFIRM_SPARE = 1.0
#: Score points per quality step, used until two tries measure the slope.
DEFAULT_SLOPE = 0.6

T = TypeVar("T")


@dataclass(frozen=True)
class Try(Generic[T]):
    """One encode at `quality`: its score, its size and whatever the caller keeps (the
    encoded bytes)."""

    quality: int
    score: float
    size: int
    kept: T


@dataclass
class Result(Generic[T]):
    """The try a search settled on, and every try it made, in order."""

    best: Try[T]
    tries: list[Try[T]] = field(default_factory=list)
    reached: bool = False


def envelope(tries: list[Try[T]]) -> list[tuple[int, float]]:
    """(quality, the best score at or below it), by increasing quality."""
    points: list[tuple[int, float]] = []
    best = -math.inf
    for one in sorted(tries, key=lambda t: t.quality):
        best = max(best, one.score)
        points.append((one.quality, best))
    return points


def slope(points: list[tuple[int, float]], hint: float = DEFAULT_SLOPE) -> float:
    """Score points per quality step over the tries so far, or `hint` until two tries
    measure it (never below a small positive number, so an aim always moves)."""
    if len(points) >= 2 and points[-1][0] > points[0][0]:
        measured = (points[-1][1] - points[0][1]) / (points[-1][0] - points[0][0])
        if measured > 0.05:
            return measured
    return max(hint, 0.05)


def next_quality(
    tries: list[Try[T]],
    target: float,
    bounds: tuple[int, int],
    band: float = BAND,
    hint: float = DEFAULT_SLOPE,
) -> int | None:
    """The quality to try next, or None when no untried quality can do better; `hint`
    is the slope assumed while only one side of the target is known from one try."""
    low, high = bounds
    aim = target + band / 2
    points = envelope(tries)
    below = [(q, s) for q, s in points if s < target]
    above = [(q, s) for q, s in points if s >= target]
    tried = {t.quality for t in tries}
    if below and above:
        (q0, s0), (q1, s1) = below[-1], above[0]
        if q1 < q0:
            # The running maximum is increasing, so everything above target sits above
            # everything below it; this cannot happen, but never loop on it.
            return None
        if q1 - q0 <= 1:
            return None
        guess = q0 + (aim - s0) * (q1 - q0) / max(s1 - s0, 1e-6)
        candidate = min(max(round(guess), q0 + 1), q1 - 1)
    elif below:
        q0, s0 = below[-1]
        if q0 >= high:
            return None
        candidate = min(high, q0 + max(1, math.ceil((aim - s0) / slope(points, hint))))
    else:
        q1, s1 = above[0]
        if q1 <= low:
            return None
        candidate = max(low, q1 - max(1, math.floor((s1 - aim) / slope(points, hint))))
    if candidate in tried:
        return None
    return candidate


def search(
    measure: Callable[[int], Try[T]],
    target: float,
    seed: int,
    bounds: tuple[int, int],
    *,
    max_tries: int = MAX_TRIES,
    band: float = BAND,
    hint: float = DEFAULT_SLOPE,
    out_of_time: Callable[[], bool] = lambda: False,
) -> Result[T]:
    """Search `bounds` for the quality whose score lands in [target, target + band],
    starting at `seed`, with at most `max_tries` calls of `measure`; `hint` is the slope
    assumed until two tries measure it. `out_of_time` is asked before every try after
    the first; the search then ends with what it has."""
    low, high = bounds
    return _go_on(
        measure, [], min(max(seed, low), high), target, bounds, max_tries, band, hint, out_of_time
    )


def aim_from(settled: Try[T], target: float, bounds: tuple[int, int], rate: float) -> int:
    """Where a neighbouring, wider image's check should start from `settled`: lower by
    the points it has above the band's middle at `rate` points per quality step (scores
    at one quality rise with width on most photos, so a check that starts where the
    narrower one settled lands above the band and keeps bytes it does not need); never
    higher (one that falls short is searched up)."""
    low, high = bounds
    spare = settled.score - (target + BAND / 2)
    lower = settled.quality - max(0, math.floor(spare / max(rate, 0.05)))
    return min(max(lower, low), high)


def confirm(
    measure: Callable[[int], Try[T]],
    target: float,
    start: int,
    bounds: tuple[int, int],
    *,
    spare: float = CONFIRM_SPARE,
    max_tries: int = MAX_TRIES,
    band: float = BAND,
    hint: float = DEFAULT_SLOPE,
    out_of_time: Callable[[], bool] = lambda: False,
) -> Result[T]:
    """Check a quality found elsewhere (`start`) with one try, and correct it only where
    it needs it: when the try falls short of the target, search up as `search` does;
    when it scores more than `spare` points above the band, make one try lower and keep
    it if it still reaches (else the first). Anything in [target, target + band + spare]
    stands after the one check."""
    low, high = bounds
    first = measure(min(max(start, low), high))
    tries = [first]
    if first.score >= target:
        if first.score > target + band + spare and not out_of_time():
            lower = next_quality(tries, target, bounds, band, hint)
            if lower is not None:
                tries.append(measure(lower))
        return settle(tries, target)
    return _go_on(
        measure,
        tries,
        next_quality(tries, target, bounds, band, hint),
        target,
        bounds,
        max_tries,
        band,
        hint,
        out_of_time,
    )


def _go_on(
    measure: Callable[[int], Try[T]],
    tries: list[Try[T]],
    quality: int | None,
    target: float,
    bounds: tuple[int, int],
    max_tries: int,
    band: float,
    hint: float,
    out_of_time: Callable[[], bool],
) -> Result[T]:
    """The search's loop from the tries made so far and the quality to try next."""
    while quality is not None and len(tries) < max_tries:
        if tries and out_of_time():
            break
        one = measure(quality)
        tries.append(one)
        if target <= one.score <= target + band:
            break
        quality = next_quality(tries, target, bounds, band, hint)
    return settle(tries, target)


def settle(tries: list[Try[T]], target: float) -> Result[T]:
    """The smallest try that reaches the target, else the best-scoring one."""
    if not tries:
        raise ValueError("a search needs at least one try")
    reaching = [t for t in tries if t.score >= target]
    if reaching:
        best = min(reaching, key=lambda t: (t.size, t.quality))
        return Result(best, tries, True)
    return Result(max(tries, key=lambda t: (t.score, -t.size)), tries, False)
