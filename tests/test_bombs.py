"""The corpus's three dimension bombs fail as `too_many_pixels` in under 2 s and under
150 MB peak memory each, through the whole processor (pipeline and failed manifest),
measured in a fresh process per file by `dev.measure --one`, so one file's memory never
hides in another's peak (and pytest's own memory is not counted)."""

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
    assert isinstance(result["seconds"], int | float) and result["seconds"] < MAX_SECONDS
    assert isinstance(result["peak_mib"], int) and result["peak_mib"] < MAX_PEAK_MIB


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
