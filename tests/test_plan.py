import pytest

from chalicelib.pipeline.plan import plan_widths, scaled_height

DEFAULT = (320, 640, 960, 1280, 1920, 2560)


@pytest.mark.parametrize(
    ("source", "widths", "expected"),
    [
        pytest.param(4000, DEFAULT, [320, 640, 960, 1280, 1920, 2560], id="large-source-all"),
        pytest.param(2560, DEFAULT, [320, 640, 960, 1280, 1920, 2560], id="exactly-largest"),
        pytest.param(1500, DEFAULT, [320, 640, 960, 1280, 1500], id="adds-source-width"),
        pytest.param(640, DEFAULT, [320, 640], id="source-equals-a-width"),
        pytest.param(200, DEFAULT, [200], id="tiny-source-only-itself"),
        pytest.param(1, DEFAULT, [1], id="one-pixel"),
        pytest.param(1000, (640, 320, 640), [320, 640], id="unsorted-duplicates"),
        pytest.param(0, DEFAULT, [], id="no-pixels"),
    ],
)
def test_plan_widths(source, widths, expected):
    assert plan_widths(source, widths) == expected


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        pytest.param((8000, 200), [640, 960, 1280, 1920, 2560], id="panorama-drops-8px-320"),
        pytest.param((8000, 100), [1280, 1920, 2560], id="thinner-drops-more"),
        pytest.param((5000, 10), [2560], id="nothing-tall-enough-keeps-widest"),
        pytest.param((200, 8000), [200], id="tall-narrow-is-fine"),
        pytest.param((4000, 3000), [320, 640, 960, 1280, 1920, 2560], id="photo-untouched"),
    ],
)
def test_no_variant_is_thinner_than_16_px_where_the_source_allows(size, expected):
    assert plan_widths(size[0], DEFAULT, size[1]) == expected


def test_never_upscales_a_small_source():
    assert max(plan_widths(700, DEFAULT)) == 700


@pytest.mark.parametrize(
    ("width", "source", "expected"),
    [
        pytest.param(320, (640, 480), 240, id="half"),
        pytest.param(1, (4000, 10), 1, id="never-zero"),
        pytest.param(333, (1000, 1000), 333, id="square"),
    ],
)
def test_scaled_height(width, source, expected):
    assert scaled_height(width, *source) == expected
