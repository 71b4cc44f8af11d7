"""The SSIMULACRA2 benchmark's pure parts (dev/bench/ssim.py): its sizes and its table."""

from __future__ import annotations

import pytest

from dev.bench.ssim import PICSET_ROWS, SIZES_MP, Runs, dimensions, table


@pytest.mark.parametrize("megapixels", SIZES_MP)
def test_sizes_are_three_by_two_at_the_stated_megapixels(megapixels):
    width, height = dimensions(megapixels)
    assert width * height == pytest.approx(megapixels * 1e6, rel=0.01)
    assert width / height == pytest.approx(1.5, rel=0.01)


def test_table_quotes_medians_per_megapixel_and_the_ratios_to_the_reference():
    results = {}
    for mp in SIZES_MP:
        results[("package", mp)] = Runs(
            [2.0 * mp, 9.0 * mp, 1.0 * mp], [round(512 * 1024 * mp)] * 3, [0] * 3, 60.0
        )
        results[("picset reused", mp)] = Runs(
            [0.25 * mp] * 3, [round(64 * 1024 * mp)] * 3, [0] * 3, 61.25
        )
        results[("reference", mp)] = Runs(
            [0.5 * mp] * 3, [round(128 * 1024 * mp)] * 3, [0] * 3, 61.0
        )
    text = table(results, ["package", "picset reused", "reference"])
    assert "| package | 1 | 2.00 | 1.00-9.00 | 512 | 512 | 512 | 60.000 |" in text
    assert "| picset reused | 1 | 0.25 | 0.25-0.25 | 64 | 64 | 64 | 61.250 |" in text
    assert "| package | 1 | 4.0x | 4.0x | -1.000 |" in text
    assert "| picset reused | 1 | 0.5x | 0.5x | +0.250 |" in text


def test_picset_reports_a_fresh_and_a_reused_row_from_one_process():
    assert set(PICSET_ROWS.values()) == {"picset fresh", "picset reused"}
