"""The quality search's arithmetic on made-up curves: bounds, the try limit, the band,
non-monotonic curves and the running maximum, out of time."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.pipeline import search


def measuring(curve: Callable[[int], float]) -> tuple[Callable[[int], search.Try[None]], list[int]]:
    asked: list[int] = []

    def measure(quality: int) -> search.Try[None]:
        asked.append(quality)
        # Bytes grow with quality, as they do for every encoder.
        return search.Try(quality, curve(quality), 1000 + 37 * quality, None)

    return measure, asked


def linear(q: int) -> float:
    return 20 + 0.8 * q


def test_lands_in_the_band_on_a_smooth_curve() -> None:
    measure, asked = measuring(linear)
    found = search.search(measure, 70, 40, (20, 90))
    assert found.reached
    assert 70 <= found.best.score <= 72
    assert len(asked) <= 3


def test_the_seed_itself_when_it_is_in_the_band() -> None:
    measure, asked = measuring(linear)
    found = search.search(measure, 70, 63, (20, 90))
    assert asked == [63]
    assert found.best.quality == 63


def test_never_leaves_the_bounds() -> None:
    measure, asked = measuring(lambda q: q * 0.5)  # reaches 70 only at q 140
    found = search.search(measure, 70, 50, (20, 90))
    assert all(20 <= q <= 90 for q in asked)
    assert not found.reached
    assert found.best.quality == 90  # the best it could do


def test_an_easy_image_stops_at_the_lower_bound() -> None:
    measure, asked = measuring(lambda q: 85 + q * 0.1)
    found = search.search(measure, 70, 56, (20, 90))
    assert found.reached
    assert found.best.quality == 20
    assert asked[-1] == 20


def test_seed_outside_the_bounds_is_clamped() -> None:
    measure, asked = measuring(linear)
    search.search(measure, 70, 500, (20, 90))
    assert asked[0] == 90


def test_at_most_five_tries_even_on_a_jagged_curve() -> None:
    measure, asked = measuring(lambda q: 40 + (q % 7) * 6)
    search.search(measure, 70, 50, (20, 90))
    assert len(asked) <= search.MAX_TRIES
    assert len(set(asked)) == len(asked), "no quality is tried twice"


def test_a_dip_does_not_mislead_the_bracket() -> None:
    # Rises to 73 at 60, dips to 66 at 62-64, then rises again.
    def dipping(q: int) -> float:
        if 62 <= q <= 64:
            return 66.0
        return 13 + q * 1.0

    measure, _ = measuring(dipping)
    found = search.search(measure, 70, 63, (20, 90))
    assert found.reached
    assert found.best.score >= 70
    # What is kept really scores at least the target: never the dip.
    assert found.best.quality not in (62, 63, 64)


def test_keeps_the_smallest_try_that_reaches() -> None:
    tries = [
        search.Try(60, 74.0, 5000, None),
        search.Try(55, 71.0, 4000, None),
        search.Try(50, 69.0, 3000, None),
    ]
    assert search.settle(tries, 70).best.quality == 55


def test_none_reaching_keeps_the_best_score() -> None:
    tries = [search.Try(80, 60.0, 5000, None), search.Try(90, 65.0, 8000, None)]
    found = search.settle(tries, 70)
    assert not found.reached
    assert found.best.quality == 90


def test_out_of_time_stops_after_the_first_try() -> None:
    measure, asked = measuring(linear)
    found = search.search(measure, 70, 30, (20, 90), out_of_time=lambda: True)
    assert asked == [30]
    assert found.best.quality == 30


def test_envelope_is_the_running_maximum() -> None:
    tries = [search.Try(q, s, 0, None) for q, s in [(50, 60.0), (60, 75.0), (55, 58.0)]]
    assert search.envelope(tries) == [(50, 60.0), (55, 60.0), (60, 75.0)]


@settings(max_examples=200, deadline=None)
@given(
    base=st.floats(-20, 60),
    rate=st.floats(0.05, 3.0),
    wobble=st.lists(st.floats(-4, 4), min_size=101, max_size=101),
    seed=st.integers(0, 100),
    target=st.floats(30, 90),
)
def test_any_curve_any_seed(
    base: float, rate: float, wobble: list[float], seed: int, target: float
) -> None:
    def curve(q: int) -> float:
        return base + rate * q + wobble[q]

    measure, asked = measuring(curve)
    found = search.search(measure, target, seed, (20, 90))
    assert 1 <= len(asked) <= search.MAX_TRIES
    assert len(set(asked)) == len(asked)
    assert all(20 <= q <= 90 for q in asked)
    if found.reached:
        assert found.best.score >= target
        assert found.best.size == min(t.size for t in found.tries if t.score >= target)
    else:
        assert all(t.score < target for t in found.tries)


@pytest.mark.parametrize("target", [50, 70, 85])
def test_smooth_curves_land_in_the_band_within_five_tries(target: float) -> None:
    for rate in (0.4, 0.6, 0.9, 1.3):
        for offset in (0, 10, 25):

            def curve(q: int, r: float = rate, o: float = offset) -> float:
                return o + r * q

            measure, _ = measuring(curve)
            found = search.search(measure, target, 56, (20, 90))
            best_possible = offset + rate * 90
            if best_possible >= target + search.BAND and offset + rate * 20 <= target:
                assert target <= found.best.score <= target + search.BAND + rate, (rate, offset)


# Confirming a quality found for a neighbouring image --------------------------------------


def test_confirm_is_one_try_when_the_start_reaches_with_little_to_spare() -> None:
    measure, asked = measuring(linear)  # q 63 scores 70.4, q 66 scores 72.8
    for start in (63, 66):
        asked.clear()
        found = search.confirm(measure, 70, start, (20, 90))
        assert asked == [start]
        assert found.reached and found.best.quality == start


def test_confirm_goes_down_once_when_far_above_the_band() -> None:
    measure, asked = measuring(linear)  # q 75 scores 80
    found = search.confirm(measure, 70, 75, (20, 90), hint=0.8)  # the probe's slope
    assert len(asked) == 2 and asked[1] < 75
    assert found.reached and found.best.quality == asked[1]


def test_confirm_keeps_the_start_when_the_step_down_falls_short() -> None:
    # Steep below 68: the slope assumed from one try overshoots into the cliff.
    measure, asked = measuring(lambda q: 76.0 if q >= 68 else 50.0)
    found = search.confirm(measure, 70, 70, (20, 90))
    assert len(asked) == 2
    assert found.best.quality == 70 and found.best.score == 76.0


def test_confirm_searches_up_where_the_start_falls_short() -> None:
    measure, asked = measuring(linear)  # q 55 scores 64
    found = search.confirm(measure, 70, 55, (20, 90))
    assert asked[0] == 55 and len(asked) <= search.MAX_TRIES
    assert found.reached and 70 <= found.best.score <= 72 + search.CONFIRM_SPARE


def test_confirm_stays_in_bounds_and_out_of_time_stops_the_correction() -> None:
    measure, asked = measuring(lambda q: q * 0.5)
    found = search.confirm(measure, 70, 95, (20, 90))
    assert all(20 <= q <= 90 for q in asked) and asked[0] == 90
    assert not found.reached
    asked.clear()
    search.confirm(measure, 70, 40, (20, 90), out_of_time=lambda: True)
    assert asked == [40]


def test_the_next_check_starts_lower_by_the_points_to_spare() -> None:
    settled = search.Try(60, 74.0, 1000, None)  # 3 points above the band's middle, 71
    assert search.aim_from(settled, 70, (20, 90), rate=0.6) == 55
    # Never higher, however short, and never out of bounds.
    assert search.aim_from(search.Try(60, 66.0, 1000, None), 70, (20, 90), rate=0.6) == 60
    assert search.aim_from(search.Try(22, 95.0, 1000, None), 70, (20, 90), rate=0.6) == 20
