"""Over-download: the bytes a browser fetches beyond what the width it needs would cost.

Given an image set (each variant's width and bytes) and the bytes an image exactly the
needed width would have, the browser is taken to fetch the narrowest variant at least as
wide as it needs (the widest if none is), which is what `srcset` with `w` descriptors
amounts to. Pure: the exact-need bytes come in as a function.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from chalicelib.pipeline.plan import NARROWEST

POINTS = 200


@dataclass(frozen=True)
class Overdownload:
    mean: float
    p95: float


def needed_widths(widest: int, narrowest: int = NARROWEST, points: int = POINTS) -> list[int]:
    """`points` widths spread evenly over [narrowest, widest] (only `widest` when it is the
    narrower)."""
    if widest <= narrowest or points < 2:
        return [widest]
    return [round(narrowest + (widest - narrowest) * i / (points - 1)) for i in range(points)]


def chosen(variants: Mapping[int, int], needed: int) -> int:
    """The width a browser fetches for this need: the narrowest that covers it."""
    widths = sorted(variants)
    return next((width for width in widths if width >= needed), widths[-1])


def overdownload(
    variants: Mapping[int, int],
    bytes_at: Callable[[int], float],
    narrowest: int = NARROWEST,
    points: int = POINTS,
) -> Overdownload:
    """Mean and 95th percentile of `bytes(chosen) - bytes_at(needed)` over needed widths
    spread evenly from `narrowest` to the widest variant; `variants` maps width to bytes."""
    needs = needed_widths(max(variants), narrowest, points)
    extra = [variants[chosen(variants, need)] - bytes_at(need) for need in needs]
    p95 = statistics.quantiles(extra, n=20, method="inclusive")[18] if len(extra) > 1 else extra[0]
    return Overdownload(statistics.fmean(extra), p95)
