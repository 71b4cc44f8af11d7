"""The corpus's three dimension bombs, and crafted ones built in code, fail as
`too_many_pixels` in under 2 s and under 150 MB peak memory each, through the whole
processor (pipeline and failed manifest), measured in a fresh process per file by
`dev.measure --one`, so one file's memory never hides in another's peak (and pytest's
own memory is not counted)."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from PIL import Image

from chalicelib.pipeline import Context, Options, run
from tests.conftest import CORPUS, ROOT, make_image
from tests.crafted import canvas_bomb_gif, two_page_tiff, with_page_size

BOMBS = ("giant-image.jpg", "17000x17000.avif", "65536-uint32-limit.png")
MAX_SECONDS = 2.0
MAX_PEAK_MIB = 143  # 150 MB


def measure(path: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "dev.measure", "--one", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.corpus
@pytest.mark.parametrize("name", BOMBS)
def test_bomb_fails_fast_in_bounded_memory(corpus: Path, name: str):
    result = measure(CORPUS / name)
    assert (result["outcome"], result["error_code"]) == ("failed", "too_many_pixels")
    assert_fast_and_small(result)


def assert_fast_and_small(result: dict[str, object]) -> None:
    assert isinstance(result["seconds"], int | float) and result["seconds"] < MAX_SECONDS
    assert isinstance(result["peak_mib"], int) and result["peak_mib"] < MAX_PEAK_MIB


def test_a_gif_whose_later_frame_grows_the_canvas_fails_fast(tmp_path: Path):
    """About 100 KB with a 64 x 64 screen, whose second frame is 12000 x 12000: Pillow
    would grow the canvas to 144 MP (below its own error threshold) and decode it."""
    path = tmp_path / "canvas-bomb.gif"
    path.write_bytes(canvas_bomb_gif())
    result = measure(path)
    assert (result["outcome"], result["error_code"]) == ("failed", "too_many_pixels")
    assert_fast_and_small(result)


def test_a_tiff_whose_second_page_is_huge_decodes_only_page_one(tmp_path: Path):
    """Page 2 declares 60000 x 60000 (3.6 GP): only page 1 is ever decoded, so the file
    ends ready as page 1 in bounded time and memory."""
    path = tmp_path / "huge-page-2.tiff"
    path.write_bytes(with_page_size(two_page_tiff((600, 300), (8, 8)), 1, (60000, 60000)))
    result = measure(path)
    assert (result["outcome"], result["size"]) == ("ready", [600, 300])
    assert_fast_and_small(result)


def test_the_measurement_sees_a_real_decode(tmp_path: Path):
    """The same measurement over an ordinary 4 MP photo: it decodes, so its peak is well
    above the bare interpreter's (about 40 MiB), which shows the bomb numbers are real."""
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(make_image(2400, 1600, quality=90))
    result = measure(photo)
    assert result["outcome"] == "ready"
    assert isinstance(result["peak_mib"], int) and result["peak_mib"] > 60


def test_pillows_bomb_warning_never_escapes(monkeypatch: pytest.MonkeyPatch):
    """Between Pillow's warning threshold and its error threshold Pillow only warns;
    picset's own cap decides, and a warning turned into an error must not sink it."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 200 * 150)  # warn above 30 kP
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ctx = run(Context(data=make_image(300, 200), options=Options(widths=(100,))))
    assert {o.width for o in ctx.outputs} == {100}
