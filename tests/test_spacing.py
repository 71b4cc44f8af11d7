"""The byte-spaced width chooser, on fitted curves and measured points alone (no images)."""

import itertools
import math

import pytest

from chalicelib.pipeline.plan import MIN_SHORT_SIDE, plan_bounds, scaled_height
from chalicelib.pipeline.spacing import (
    AREA,
    BY_AREA,
    FLATTEST,
    GRID,
    MOST,
    STEEPEST,
    Curve,
    choose_widths,
    fit_curve,
    spaced_widths,
)

STEP = 20_000


def through(width: int, size: float, exponent: float) -> Curve:
    """The curve of this exponent that predicts `size` bytes at `width`."""
    return Curve(size / width**exponent, exponent)


#: A detailed 12 MP photo as JPEG q80: 14 KB at 320 px, 746 KB at 2560 px.
DETAILED = through(320, 14_000, 1.9)
#: A smoother 8 MP photo: 8.7 KB at 320 px, about 180 KB at 2560 px.
SMOOTH = through(320, 8_700, 1.46)
#: Very little detail: a few KB at any width.
FLAT = through(320, 2_000, 1.0)


def diffs(curve: Curve, widths: list[int]) -> list[float]:
    sizes = [curve.bytes_at(w) for w in widths]
    return [b - a for a, b in itertools.pairwise(sizes)]


@pytest.mark.parametrize(
    ("curve", "bounds", "step", "count"),
    [
        pytest.param(DETAILED, (320, 2560), STEP, MOST, id="detailed-photo-capped-at-8"),
        pytest.param(SMOOTH, (320, 2560), 60_000, 4, id="step-decides-between-3-and-8"),
        pytest.param(SMOOTH, (320, 1000), STEP, 3, id="smaller-source-fewer"),
        pytest.param(FLAT, (320, 2560), STEP, 3, id="few-bytes-padded-to-3"),
        pytest.param(DETAILED, (320, 340), STEP, 2, id="too-narrow-for-3"),
        pytest.param(DETAILED, (600, 600), STEP, 1, id="ends-meet"),
        pytest.param(DETAILED, (320, 2560), 1_000, MOST, id="tiny-step-still-8"),
        pytest.param(DETAILED, (320, 2560), 10_000_000, 3, id="huge-step-still-3"),
    ],
)
def test_choose_widths_count(curve, bounds, step, count):
    widths = choose_widths(curve, bounds[0], bounds[1], step)
    assert len(widths) == count
    assert widths[0] == bounds[0] and widths[-1] == bounds[1]
    assert widths == sorted(set(widths))


def test_neighbours_differ_by_about_the_step():
    # 320..1600 of the smooth photo spans ~82 KB: four steps of ~20 KB, five widths.
    widths = choose_widths(SMOOTH, 320, 1600, STEP)
    assert len(widths) == 5
    for diff in diffs(SMOOTH, widths):
        assert 0.7 * STEP < diff < 1.3 * STEP


def gap_costs(curve: Curve, widths: list[int]) -> list[float]:
    """Each gap's over-download over needs spread evenly in width, to first order: half
    its byte step times its width step."""
    return [
        (curve.bytes_at(b) - curve.bytes_at(a)) * (b - a) / 2 for a, b in itertools.pairwise(widths)
    ]


def mean_overdownload(curve: Curve, widths: list[int]) -> float:
    """Bytes fetched beyond the need, averaged over every need from the first width to
    the last, each fetching the narrowest width that covers it (1 px apart)."""
    extra = []
    for need in range(widths[0], widths[-1] + 1):
        fetched = next(w for w in widths if w >= need)
        extra.append(curve.bytes_at(fetched) - curve.bytes_at(need))
    return sum(extra) / len(extra)


@pytest.mark.parametrize("curve", [DETAILED, SMOOTH, FLAT], ids=["detailed", "smooth", "flat"])
def test_every_gap_costs_about_the_same_over_download(curve):
    widths = spaced_widths(curve, 320, 2560, 6)
    costs = gap_costs(curve, widths)
    mean = sum(costs) / len(costs)
    assert all(abs(cost - mean) < 0.15 * mean for cost in costs)


@pytest.mark.parametrize("curve", [DETAILED, SMOOTH], ids=["detailed", "smooth"])
def test_spacing_over_downloads_less_than_even_bytes_or_even_widths(curve):
    def even(value, inverse):
        low, high = value(320), value(2560)
        return [320] + [round(inverse(low + (high - low) * i / 5)) for i in range(1, 5)] + [2560]

    by_bytes = even(curve.bytes_at, lambda size: (size / curve.scale) ** (1 / curve.exponent))
    by_width = even(float, float)
    spaced = spaced_widths(curve, 320, 2560, 6)
    assert mean_overdownload(curve, spaced) < mean_overdownload(curve, by_bytes)
    assert mean_overdownload(curve, spaced) < mean_overdownload(curve, by_width)


def test_widths_between_the_ends_are_on_the_grid():
    widths = choose_widths(DETAILED, 333, 2001, STEP)
    assert widths[0] == 333 and widths[-1] == 2001
    assert all(w % GRID == 0 for w in widths[1:-1])


def test_forced_count_gives_that_many():
    for count in range(2, 9):
        widths = spaced_widths(DETAILED, 320, 2560, count)
        assert len(widths) == count and widths[0] == 320 and widths[-1] == 2560


def test_forced_count_puts_more_widths_where_bytes_grow_fastest():
    widths = spaced_widths(DETAILED, 320, 2560, 6)
    gaps = [b - a for a, b in itertools.pairwise(widths)]
    assert gaps == sorted(gaps, reverse=True)


@pytest.mark.parametrize(
    "size",
    [
        pytest.param((4000, 3000), id="photo"),
        pytest.param((1500, 1000), id="mid"),
        pytest.param((700, 500), id="small"),
        pytest.param((330, 200), id="just-over-320"),
        pytest.param((200, 150), id="under-320"),
        pytest.param((8000, 200), id="panorama"),
        pytest.param((8000, 100), id="thin-panorama"),
        pytest.param((5000, 10), id="too-thin"),
        pytest.param((300, 9000), id="tall"),
    ],
)
@pytest.mark.parametrize("curve", [DETAILED, SMOOTH, FLAT, BY_AREA], ids=["d", "s", "f", "a"])
def test_never_upscales_and_keeps_the_short_side(size, curve):
    bounds = plan_bounds(*size)
    widths = choose_widths(curve, bounds[0], bounds[-1], STEP)
    assert widths == sorted(set(widths))
    assert 1 <= len(widths) <= MOST
    assert widths[-1] == min(2560, size[0])
    assert max(widths) <= size[0]
    if len(bounds) == 2:
        assert widths[0] == bounds[0]
        assert all(scaled_height(w, *size) >= MIN_SHORT_SIDE for w in widths)


def test_an_8000x200_panorama_gets_no_variant_under_16_px_tall():
    narrowest, widest = plan_bounds(8000, 200)
    widths = choose_widths(DETAILED, narrowest, widest, STEP)
    assert min(scaled_height(w, 8000, 200) for w in widths) >= MIN_SHORT_SIDE
    assert widths[0] == 640


def test_a_source_narrower_than_320_gets_only_its_own_width():
    assert plan_bounds(250, 180) == [250]
    assert choose_widths(DETAILED, 250, 250, STEP) == [250]


@pytest.mark.parametrize(
    ("points", "exponent"),
    [
        pytest.param([(320, 10_000), (640, 40_000)], 2.0, id="area"),
        pytest.param([(320, 10_000), (453, 14_150), (640, 20_000)], 1.0, id="linear"),
        pytest.param([(320, 20_000), (640, 10_000)], FLATTEST, id="falling-kept-rising"),
        pytest.param([(320, 10_000), (640, 10_000)], FLATTEST, id="flat-kept-rising"),
        pytest.param([(320, 1_000), (640, 100_000)], STEEPEST, id="too-steep"),
        pytest.param([(640, 10_000)], AREA, id="one-point"),
        pytest.param([(640, 10_000), (640, 12_000)], AREA, id="one-width"),
        pytest.param([(0, 10_000), (320, 0), (640, -5)], AREA, id="nothing-usable"),
        pytest.param([], AREA, id="no-points"),
    ],
)
def test_fit_curve_always_rises(points, exponent):
    curve = fit_curve(points)
    assert curve.exponent == pytest.approx(exponent, abs=0.01)
    assert curve.scale > 0 and math.isfinite(curve.scale)
    assert curve.bytes_at(2560) > curve.bytes_at(320)


def test_fit_curve_goes_through_exact_points():
    curve = fit_curve([(w, round(DETAILED.bytes_at(w))) for w in (320, 453, 640)])
    assert curve.exponent == pytest.approx(1.9, abs=0.01)
    assert curve.bytes_at(2560) == pytest.approx(DETAILED.bytes_at(2560), rel=0.01)


@pytest.mark.parametrize(
    "points",
    [
        pytest.param([(320, 20_000), (453, 15_000), (640, 25_000)], id="non-monotonic"),
        pytest.param([(320, 30_000), (640, 10_000)], id="falling"),
        pytest.param([], id="none"),
    ],
)
def test_degenerate_fits_still_give_a_valid_list(points):
    widths = choose_widths(fit_curve(points), 320, 2560, STEP)
    assert widths[0] == 320 and widths[-1] == 2560
    assert 3 <= len(widths) <= MOST
    assert widths == sorted(set(widths))
