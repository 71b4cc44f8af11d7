"""Shared fixtures. The app reads its settings at import, so the environment for the
in-process tests is fixed here, before anything imports `app`."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SECURITY_TOKEN="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    PICSET_BUCKET="picset-test",
    PICSET_REGION="us-east-1",
)
for _name in (
    "PICSET_ENDPOINT_URL",
    "PICSET_PUBLIC_BASE_URL",
    "PICSET_USER_POOL_ID",
    "PICSET_USER_POOL_CLIENT_ID",
    "PICSET_ACCOUNTS_ENDPOINT_URL",
):
    os.environ.pop(_name, None)

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
#: Seconds one HTTP request to a server on loopback may take. It only bounds a hang: on a
#: busy machine the API or the emulator can take many seconds to answer while the worker
#: encodes beside them. Waits for something to happen use `dev.waiting.wait_until`.
HTTP_TIMEOUT = 60.0


def make_image(
    width: int = 800,
    height: int = 600,
    fmt: str = "JPEG",
    mode: str = "RGB",
    **save: object,
) -> bytes:
    """A photo-like gradient (not flat, so encoders do real work)."""
    gradient = Image.linear_gradient("L").resize((width, height))
    other = gradient.transpose(Image.Transpose.ROTATE_90).resize((width, height))
    image = Image.merge("RGB", (gradient, other, Image.new("L", (width, height), 90)))
    if mode != "RGB":
        image = image.convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def make_photo(width: int, height: int, detail: int = 2) -> bytes:
    """A photo-like JPEG: octaves of noise, each twice as coarse and stronger than the
    last (roughly the 1/f spectrum of a photo), so its bytes grow with width as a photo's
    do; `make_image`'s gradient barely grows at all."""
    from PIL import ImageChops

    bands = []
    for _ in range(3):
        band = Image.new("L", (width, height), 128)
        for octave in range(1, 8):
            coarse = (max(1, width >> octave), max(1, height >> octave))
            noise = Image.effect_noise(coarse, detail * octave)
            noise = noise.resize((width, height), Image.Resampling.BICUBIC)
            band = ImageChops.add(band, noise, 1, -128)
        bands.append(band)
    buffer = io.BytesIO()
    Image.merge("RGB", bands).save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


@pytest.fixture
def jpeg_bytes() -> bytes:
    return make_image(1200, 800)


@pytest.fixture
def corpus() -> Iterator[Path]:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    yield CORPUS
