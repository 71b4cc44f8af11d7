"""The GIF block reader: frame counts and canvases as tables of named cases, checked
against what Pillow itself decodes, and garbage that must end only in picset's errors."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from chalicelib.errors import Corrupt, PicsetError
from chalicelib.pipeline.gif import Layout, layout
from tests.crafted import Frame, canvas_bomb_gif, gif

SCREEN = (32, 24)
#: A GIF89a header for a 32 x 24 screen without a global colour table.
BARE = b"GIF89a\x20\x00\x18\x00\x00\x00\x00"
INSIDE = Frame(0, 0, 32, 24, colour=1)
COMMENT = b"\x21\xfe\x05hello\x00"


def pillow_layout(data: bytes) -> tuple[int, tuple[int, int], tuple[int, int]]:
    """What Pillow makes of the file: frames, the first frame's size, the last's."""
    image = Image.open(io.BytesIO(data))
    first = image.size
    frames = 0
    while True:
        image.load()
        frames += 1
        try:
            image.seek(frames)
        except EOFError:
            break
    return frames, first, image.size


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(gif(SCREEN, [INSIDE]), Layout(1, SCREEN, SCREEN, SCREEN), id="one-frame"),
        pytest.param(
            gif(SCREEN, [INSIDE, Frame(4, 4, 8, 8, 2), Frame(0, 0, 16, 16, 3)]),
            Layout(3, SCREEN, SCREEN, SCREEN),
            id="frames-inside-the-screen",
        ),
        pytest.param(
            gif(SCREEN, [INSIDE, Frame(20, 10, 30, 30, 2)]),
            Layout(2, SCREEN, (50, 40), SCREEN),
            id="frame-offset-beyond-screen",
        ),
        pytest.param(
            gif(SCREEN, [Frame(30, 0, 10, 10, 1), INSIDE]),
            Layout(2, SCREEN, (40, 24), (40, 24)),
            id="first-frame-beyond-screen",
        ),
        pytest.param(
            gif((0, 0), [Frame(0, 0, 10, 6, 1)]),
            Layout(1, (0, 0), (10, 6), (10, 6)),
            id="empty-screen-grows-to-the-frame",
        ),
        pytest.param(
            gif(SCREEN, [INSIDE, INSIDE], trailer=False),
            Layout(2, SCREEN, SCREEN, SCREEN),
            id="missing-trailer",
        ),
        pytest.param(
            gif(SCREEN, [INSIDE, INSIDE], between=b"\x00\x07"),
            Layout(2, SCREEN, SCREEN, SCREEN),
            id="stray-bytes-between-blocks",
        ),
        pytest.param(
            gif(SCREEN, [INSIDE], trailer=False) + b"\x00" * 5000,
            Layout(1, SCREEN, SCREEN, SCREEN),
            id="zero-padding-without-trailer",
        ),
        pytest.param(
            gif(SCREEN, [INSIDE, INSIDE], between=COMMENT),
            Layout(2, SCREEN, SCREEN, SCREEN),
            id="comment-blocks",
        ),
        pytest.param(
            gif(SCREEN, [INSIDE]) + gif(SCREEN, [INSIDE])[13:],
            Layout(1, SCREEN, SCREEN, SCREEN),
            id="data-after-the-trailer",
        ),
        pytest.param(
            canvas_bomb_gif(),
            Layout(2, (64, 64), (12000, 12000), (64, 64)),
            id="canvas-bomb",
        ),
    ],
)
def test_layout(data: bytes, expected: Layout):
    assert layout(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(gif(SCREEN, [INSIDE, Frame(20, 10, 30, 30, 2)]), id="grows-right-and-down"),
        pytest.param(gif(SCREEN, [Frame(30, 0, 10, 10, 1), INSIDE]), id="grows-at-the-first"),
        pytest.param(gif(SCREEN, [INSIDE, INSIDE], trailer=False), id="missing-trailer"),
        pytest.param(gif(SCREEN, [INSIDE, INSIDE], between=b"\x00\x07"), id="stray-bytes"),
        pytest.param(
            gif(SCREEN, [INSIDE], trailer=False) + b"\x00" * 5000, id="zero-padding-no-trailer"
        ),
        pytest.param(gif(SCREEN, [INSIDE, INSIDE], between=COMMENT), id="comments"),
    ],
)
def test_layout_matches_what_pillow_decodes(data: bytes):
    found = layout(data)
    frames, first, last = pillow_layout(data)
    assert (found.frames, found.first_canvas, found.canvas) == (frames, first, last)


def cut_inside_last_frame() -> bytes:
    whole = gif(SCREEN, [INSIDE, INSIDE])
    return whole[:-6]


@pytest.mark.parametrize(
    ("data", "frames"),
    [
        pytest.param(cut_inside_last_frame(), 2, id="truncated-pixel-data"),
        pytest.param(gif(SCREEN, [INSIDE])[:-1] + b"\x21\xf9\x04", 1, id="truncated-extension"),
    ],
)
def test_a_file_cut_in_its_data_keeps_the_frames_it_declared(data: bytes, frames: int):
    """Every declared frame counts against the cap; whether a cut frame decodes is the
    decoder's to say."""
    assert layout(data).frames == frames


def descriptor_cut() -> bytes:
    whole = gif(SCREEN, [INSIDE])
    return whole[: whole.index(b"\x2c\x00\x00\x00\x00") + 5]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"GIF89a\x20\x00", id="truncated-screen-descriptor"),
        pytest.param(b"PNG89a" + b"\x00" * 20, id="not-a-gif"),
        pytest.param(b"GIF89a\x20\x00\x18\x00\x87\x00\x00" + b"\x00" * 30, id="truncated-palette"),
        pytest.param(descriptor_cut(), id="truncated-image-descriptor"),
        pytest.param(BARE + b"\x2c" + b"\x00" * 8 + b"\x80", id="cut-local-palette"),
        pytest.param(BARE + b";", id="no-frame-before-trailer"),
        pytest.param(BARE + COMMENT, id="only-extensions"),
    ],
)
def test_an_unreadable_gif_is_corrupt(data: bytes):
    with pytest.raises(Corrupt):
        layout(data)


SEED = gif(SCREEN, [INSIDE, Frame(20, 10, 30, 30, 2)])


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.binary(max_size=400))
def test_garbage_after_a_signature_raises_only_picsets_errors(tail: bytes):
    try:
        found = layout(b"GIF89a" + tail)
    except PicsetError:
        return
    assert found.frames >= 1 and min(found.canvas) >= 0


@settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(st.tuples(st.integers(0, len(SEED) - 1), st.integers(0, 255)), max_size=8))
def test_a_mutated_gif_raises_only_picsets_errors(flips: list[tuple[int, int]]):
    data = bytearray(SEED)
    for position, value in flips:
        data[position] = value
    try:
        found = layout(bytes(data))
    except PicsetError:
        return
    assert found.frames >= 1
    assert found.canvas[0] >= found.first_canvas[0] >= found.screen[0]
