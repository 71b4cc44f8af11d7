"""The load script's arithmetic (the script itself is run by hand: docs/reliability.md)."""

import pytest

from dev.load import Report, percentile, render


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        pytest.param([], 0.5, None, id="nothing"),
        pytest.param([3.0], 0.95, 3.0, id="one"),
        pytest.param([1.0, 2.0, 3.0], 0.5, 2.0, id="median-of-three"),
        pytest.param([float(n) for n in range(1, 101)], 0.5, 50.5, id="p50-of-100"),
        pytest.param([float(n) for n in range(1, 101)], 0.95, 95.05, id="p95-of-100"),
    ],
)
def test_percentile(values, fraction, expected):
    result = percentile(values, fraction)
    assert result == (pytest.approx(expected) if expected is not None else None)


def test_the_report_names_every_count_and_the_kill():
    report = Report(uploads=100, in_flight=20, worker_concurrency=2, emulator="moto")
    report.accepted, report.ready, report.lost = 100, 99, 1
    report.worker_killed_at, report.worker_restarted_at = 12.0, 15.0
    text = render(report)
    for line in ("uploads accepted  100", "images ready      99", "lost              1"):
        assert line in text
    assert "worker SIGKILLed at 12.0 s, restarted at 15.0 s" in text
