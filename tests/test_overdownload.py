"""Over-download, the benchmark's measure of a width list, on made-up byte curves."""

import pytest

from dev.bench.overdownload import chosen, needed_widths, overdownload


def linear(width: int) -> float:
    return 100.0 * width


def test_the_browser_takes_the_narrowest_variant_that_covers_the_need():
    variants = {320: 1, 640: 2, 1280: 3}
    assert [chosen(variants, need) for need in (100, 320, 321, 1000, 5000)] == [
        320,
        320,
        640,
        1280,
        1280,
    ]


def test_needed_widths_span_320_to_the_widest():
    needs = needed_widths(2560)
    assert len(needs) == 200 and needs[0] == 320 and needs[-1] == 2560
    assert needed_widths(300) == [300]


def test_a_variant_at_every_need_over_downloads_nothing():
    variants = {w: round(linear(w)) for w in needed_widths(1000)}
    result = overdownload(variants, linear)
    assert result.mean == pytest.approx(0) and result.p95 == pytest.approx(0)


def test_two_variants_over_download_half_the_gap_on_average():
    # Needs spread evenly over 320..1000 all fetch the 1000 px variant (bytes linear).
    result = overdownload({320: 32_000, 1000: 100_000}, linear, points=1001)
    assert result.mean == pytest.approx(34_000, rel=0.01)
    assert result.p95 == pytest.approx(0.95 * 68_000, rel=0.01)
