"""The quality benchmark (`dev/bench/quality.py`) end to end on one small corpus photo,
without its cost part: it keeps the benchmark from rotting, and its anchor rule (the
lowest single quality that reaches the floor on every photo) is checked on its own
output. The figures themselves are docs/quality.md's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dev.bench import quality
from dev.bench.inputs import CORPUS

SMALL_PHOTO = "Landscape_1.jpg"  # 600 px wide: two variants of 480 px or more


@pytest.mark.skipif(not (CORPUS / SMALL_PHOTO).is_file(), reason="needs the shared corpus")
def test_the_benchmark_writes_floors_anchors_and_over_download(tmp_path: Path) -> None:
    out = tmp_path / "quality.md"
    figures = tmp_path / "quality.json"
    quality.main(
        ["--photos", SMALL_PHOTO, "--no-cost", "--out", str(out), "--json", str(figures)],
        progress=lambda _: None,
    )
    text = out.read_text()
    assert "## Floor and bytes, per format" in text
    assert "## Over-download" in text
    rows = json.loads(figures.read_text())
    by_format = {row["format"]: row for row in rows["rows"]}
    assert set(by_format) == {"avif", "webp", "jpeg"}
    for row in by_format.values():
        # The anchor reaches the floor auto reached, on the same variants.
        assert row["anchor_floor"] >= row["floor"]
        low, high = quality.bounds_of(row["format"])
        assert low <= row["anchor_quality"] <= high
        assert row["auto_bytes"] > 0 and row["anchor_bytes"] > 0
