import pytest

from chalicelib.pipeline.plan import MIN_SHORT_SIDE, plan_bounds, plan_widths, scaled_height

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


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        pytest.param((4000, 3000), [320, 2560], id="large-photo-320-to-2560"),
        pytest.param((1500, 1000), [320, 1500], id="widest-is-the-source"),
        pytest.param((2560, 1440), [320, 2560], id="exactly-2560"),
        pytest.param((200, 150), [200], id="narrower-than-320-only-itself"),
        pytest.param((320, 240), [320], id="exactly-320"),
        pytest.param((8000, 200), [640, 2560], id="panorama-starts-at-16-px-tall"),
        pytest.param((8000, 300), [427, 2560], id="thin-starts-off-the-320"),
        pytest.param((5000, 10), [2560], id="nothing-tall-enough-keeps-widest"),
        pytest.param((200, 8000), [200], id="tall-narrow-is-fine"),
        pytest.param((0, 0), [], id="no-pixels"),
    ],
)
def test_plan_bounds_fix_the_ends_of_a_byte_spaced_list(size, expected):
    assert plan_bounds(*size) == expected


@pytest.mark.parametrize("size", [(8000, 200), (8000, 300), (6000, 100), (3000, 2000)])
def test_bounds_leave_no_variant_thinner_than_16_px(size):
    narrowest = plan_bounds(*size)[0]
    assert scaled_height(narrowest, *size) >= MIN_SHORT_SIDE
