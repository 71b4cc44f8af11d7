"""Real-world files through the whole running system over HTTP (moto server, worker,
`chalice local`): an animated GIF, a CMYK photo turned by its EXIF orientation, and a
dimension bomb, uploaded as a browser would, then read back through the API and the
bucket."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PIL import Image

from dev.stack import Stack, free_port
from tests.conftest import CORPUS, HTTP_TIMEOUT
from tests.test_integration import upload, wait_done

pytestmark = [pytest.mark.integration, pytest.mark.corpus]


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    with Stack(app_port=free_port(), s3_port=free_port(), quiet=True) as running:
        yield running


def fetch(stack: Stack, key: str) -> requests.Response:
    response = requests.get(f"{stack.endpoint_url}/{stack.bucket}/{key}", timeout=HTTP_TIMEOUT)
    assert response.status_code == 200
    return response


def test_animated_gif_keeps_its_animation(stack: Stack, corpus: Path):
    data = (corpus / "rotating-squares.gif").read_bytes()
    manifest = wait_done(upload(stack, data, "squares.gif", "image/gif")["status_url"])
    assert manifest["status"] == "ready" and manifest["animated"] is True
    assert {v["format"] for v in manifest["variants"]} == {"avif", "webp", "gif"}
    for variant in manifest["variants"]:
        response = fetch(stack, variant["key"])
        assert response.headers["Content-Type"] == variant["content_type"]
        assert getattr(Image.open(io.BytesIO(response.content)), "n_frames", 1) > 1


def test_cmyk_photo_comes_out_upright_and_clean(stack: Stack, corpus: Path):
    data = (corpus / "Giunchedi_cmyk-orientation-exif.jpg").read_bytes()
    manifest = wait_done(upload(stack, data, "portrait.jpg", "image/jpeg")["status_url"])
    assert manifest["status"] == "ready"
    assert (manifest["width"], manifest["height"]) == (533, 800)
    jpeg = next(v for v in manifest["variants"] if v["format"] == "jpeg")
    decoded = Image.open(io.BytesIO(fetch(stack, jpeg["key"]).content))
    assert decoded.mode == "RGB" and decoded.height > decoded.width
    assert len(decoded.getexif()) == 0


def test_a_dimension_bomb_fails_with_its_code(stack: Stack, corpus: Path):
    data = (corpus / "17000x17000.avif").read_bytes()
    # Declared as a JPEG: the bytes decide.
    manifest = wait_done(upload(stack, data, "small.jpg", "image/jpeg")["status_url"])
    assert manifest["status"] == "failed"
    assert manifest["error"]["code"] == "too_many_pixels"
    assert "17,000 x 17,000" in manifest["error"]["message"]
    assert manifest["variants"] == []
