"""The benchmark's pure parts (dev/bench): the seed re-implementation, the statistics and
the report. The benchmark itself is not run here; these keep it from rotting."""

import io

import pytest
from PIL import Image

from dev.bench import report
from dev.bench.inputs import PHOTO_12MP, PHOTO_50MP
from dev.bench.libvips import avif_effort
from dev.bench.seed import SEED_BOXES, fit_in_box, make_seed_set, seed_widths
from tests.conftest import make_image


@pytest.mark.parametrize(
    "size",
    [
        pytest.param((4048, 3036), id="landscape-12mp"),
        pytest.param((3024, 4032), id="portrait"),
        pytest.param((4160, 870), id="panorama"),
        pytest.param((1000, 1000), id="square"),
        pytest.param((31, 1000), id="thin-strip"),
        pytest.param((100, 50), id="smaller-than-most-boxes"),
    ],
)
def test_fit_in_box_matches_pillow_thumbnail(size):
    for box in SEED_BOXES:
        image = Image.new("L", size)
        image.thumbnail(box)
        assert fit_in_box(size, box) == image.size


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        pytest.param((4048, 3036), [30, 540, 768, 1080, 1200], id="landscape"),
        pytest.param((3024, 4032), [22, 405, 589, 810, 900], id="portrait"),
        pytest.param((600, 400), [30, 540, 600], id="small-source-is-not-grown"),
    ],
)
def test_seed_widths(size, expected):
    assert seed_widths(size) == expected


def test_seed_makes_its_five_sizes_in_the_source_format():
    made = make_seed_set(make_image(1600, 1200), "jpeg")
    assert [size for size, _body in made] == [
        (30, 23),
        (540, 405),
        (768, 576),
        (1080, 810),
        (1200, 900),
    ]
    for size, body in made:
        decoded = Image.open(io.BytesIO(body))
        assert decoded.format == "JPEG"
        assert decoded.size == size


@pytest.mark.parametrize(
    ("speed", "effort"),
    [
        pytest.param(0, 9, id="slowest"),
        pytest.param(6, 3, id="middle"),
        pytest.param(9, 0, id="fastest-aom"),
        pytest.param(10, 0, id="libavif-10-is-aom-9"),
    ],
)
def test_avif_speed_maps_to_libvips_effort(speed, effort):
    assert avif_effort(speed) == effort


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        pytest.param([3.0], 95, 3.0, id="single"),
        pytest.param([1.0, 2.0, 3.0], 50, 2.0, id="median-odd"),
        pytest.param([4.0, 1.0, 3.0, 2.0], 50, 2.5, id="median-even-unsorted"),
        pytest.param([0.0, 10.0], 95, 9.5, id="interpolated"),
        pytest.param([1.0, 2.0, 3.0], 100, 3.0, id="max"),
    ],
)
def test_percentile(values, q, expected):
    assert report.percentile(values, q) == pytest.approx(expected)


def test_percentile_of_nothing_is_an_error():
    with pytest.raises(ValueError):
        report.percentile([], 50)


def _run(name, variant, wall, rss=100.0, steps=None, **bytes_by_format):
    return {
        "input": name,
        "variant": variant,
        "wall": wall,
        "cpu": wall,
        "peak_rss_mb": rss,
        "bytes": bytes_by_format,
        "steps": steps or {},
    }


def test_summarise_takes_medians_per_input_and_variant():
    runs = [
        _run("a.jpg", "seed", 1.0, jpeg=100),
        _run("a.jpg", "seed", 3.0, jpeg=300),
        _run("a.jpg", "seed", 2.0, jpeg=200),
        _run("b.jpg", "seed", 9.0, jpeg=900),
    ]
    summaries = report.summarise(runs)
    assert summaries[("a.jpg", "seed")].wall == 2.0
    assert summaries[("a.jpg", "seed")].bytes == {"jpeg": 200}
    assert summaries[("a.jpg", "seed")].runs == 3
    assert summaries[("b.jpg", "seed")].wall == 9.0


def test_decode_encode_share_uses_the_measured_wall():
    summary = report.Summary(1, 2.0, 2.0, 90.0, steps={"decode": 200.0, "encode": 1500.0})
    assert summary.decode_encode_share == pytest.approx(0.85)
    assert report.Summary(1, 2.0, 2.0, 90.0).decode_encode_share is None


def test_goals_say_met_not_met_and_not_measured():
    steps = {"decode": 100.0, "encode": 800.0}
    summaries = report.summarise(
        [
            _run(PHOTO_12MP, "seed", 1.0),
            _run(PHOTO_12MP, "picset-seedjob", 0.2),
            _run(PHOTO_12MP, "picset-full", 1.0, rss=130.0, steps=steps),
            _run(PHOTO_12MP, "picset-fixed", 1.0, steps=steps),
            _run(PHOTO_12MP, "libvips-full", 1.25),
            _run(PHOTO_50MP, "picset-full", 2.0, rss=150.0, steps=steps),
        ]
    )
    flow = {"p50": 1.2}
    found = {goal.figure: goal for goal in report.goals(summaries, flow)}
    assert found[f"picset-seedjob / seed, wall, {PHOTO_12MP}"].met is True
    assert found[f"picset-seedjob / seed, wall, {PHOTO_12MP}"].measured == "0.20"
    assert found[f"picset-fixed / libvips-full, wall, {PHOTO_12MP}"].met is True
    assert found[f"share of picset-fixed wall inside decode + encode, {PHOTO_12MP}"].met is True
    assert found[f"peak RSS, picset-full, {PHOTO_12MP}"].met is False
    assert found[f"peak RSS, picset-full, {PHOTO_50MP}"].met is True
    ready = found["upload → ready p50 on the emulator / picset-full alone, 12 MP photo"]
    assert ready.measured == "1.20"
    assert ready.met is True
    without_flow = {goal.figure: goal for goal in report.goals(summaries, None)}
    assert without_flow[ready.figure].met is None
    assert without_flow[ready.figure].measured == "not measured"


def test_markdown_table_has_a_header_rule_and_one_line_per_row():
    table = report.markdown_table(["a", "b"], [["1", "2"], ["3", "4"]])
    assert table.splitlines() == ["| a | b |", "|---|---|", "| 1 | 2 |", "| 3 | 4 |"]


def test_variants_table_shows_kilobytes_and_the_ratio_to_libvips():
    summaries = report.summarise(
        [
            _run("a.jpg", "picset-full", 1.0, avif=2048, webp=4096, jpeg=1024),
            _run("a.jpg", "libvips-full", 2.0, avif=1024),
        ]
    )
    table = report.variants_table(summaries, "a.jpg")
    assert "| picset-full | 1.000 | 1.000 | 100 | 2 | 4 | 1 |  | 0.50 |" in table


def test_paired_ratio_is_the_median_of_ratios_within_each_repetition():
    runs = [
        {**_run("a.jpg", "picset-full", 1.0), "rep": 0},
        {**_run("a.jpg", "libvips-full", 2.0), "rep": 0},
        {**_run("a.jpg", "picset-full", 9.0), "rep": 1},  # a busy repetition for both
        {**_run("a.jpg", "libvips-full", 10.0), "rep": 1},
        {**_run("a.jpg", "picset-full", 3.0), "rep": 2},
        {**_run("a.jpg", "libvips-full", 4.0), "rep": 2},
        {**_run("b.jpg", "picset-full", 5.0), "rep": 0},
    ]
    assert report.paired_ratio(runs, "a.jpg", "picset-full", "libvips-full") == 0.75
    assert report.paired_ratio(runs, "b.jpg", "picset-full", "libvips-full") is None
