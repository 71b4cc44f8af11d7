"""The sampled SSIMULACRA2 estimate of large images (chalicelib/pipeline/ssimulacra2_sample.py):
exact when the tiles cover everything, exact below its size bar, close to the whole score
on a photo-like image with local damage, its own spread (none when the tiles cover
everything, lowering the score only when the sample is too uncertain for the floor), and
the alpha and size rules of the whole score. How close on the corpus photos is measured by
`python -m dev.bench.quality`."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from chalicelib.pipeline import ssimulacra2, ssimulacra2_sample
from chalicelib.pipeline.ssimulacra2_sample import ALLOWANCE, SIGMAS, Estimate, SampledReference
from tests.ssim_pairs import photo

#: 1440 x 960 is 1.4 MP, over the bar for a whole score.
WIDTH, HEIGHT = 1440, 960


def jpeg_of(image: Image.Image, quality: int) -> Image.Image:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return Image.open(io.BytesIO(out.getvalue())).convert(image.mode)


@pytest.fixture(scope="module")
def large() -> Image.Image:
    return photo(WIDTH, HEIGHT, seed=5)


def test_tiles_that_cover_every_pixel_give_the_whole_score(
    large: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Cells as small as the tiles: every pixel is inside one tile, so the only difference
    # left is scale 2's blur (exact taps here, the float32 recursion in the whole score).
    monkeypatch.setattr(ssimulacra2_sample, "SAMPLING", {0: (64, 64), 1: (64, 64), 2: (32, 32)})
    distorted = jpeg_of(large, 40)
    whole = ssimulacra2.score(large, distorted)
    assert SampledReference(large).score(distorted) == pytest.approx(whole, abs=0.01)
    assert SampledReference(large).estimate(distorted).spread == pytest.approx(0, abs=1e-9)


def test_the_estimate_is_close_to_the_whole_score(large: Image.Image) -> None:
    for quality in (30, 60, 85):
        distorted = jpeg_of(large, quality)
        whole = ssimulacra2.score(large, distorted)
        estimate = SampledReference(large).score(distorted)
        assert abs(estimate - whole) <= 1.0, (quality, whole, estimate)


def test_damage_anywhere_is_seen(large: Image.Image) -> None:
    # A blurred band a fifth of the image high, off the centre: a centre crop misses it.
    damaged = large.copy()
    band = (0, HEIGHT * 3 // 4, WIDTH, HEIGHT * 3 // 4 + HEIGHT // 5)
    damaged.paste(
        large.crop(band)
        .resize((WIDTH // 8, HEIGHT // 40))
        .resize((band[2] - band[0], band[3] - band[1])),
        band[:2],
    )
    whole = ssimulacra2.score(large, damaged)
    reference = SampledReference(large)
    estimate = reference.estimate(damaged)
    assert whole < 80
    assert abs(estimate.score - whole) <= 2.0, (whole, estimate)
    # Tiles in the band and out of it differ a lot: the sample is uncertain, and the
    # score the search sees is lowered, never raised.
    assert estimate.spread > 1
    assert reference.score(damaged) == pytest.approx(estimate.guarded)
    assert estimate.guarded < estimate.score


def test_the_spread_is_repeatable_and_small_on_even_damage(large: Image.Image) -> None:
    distorted = jpeg_of(large, 60)
    first = SampledReference(large).estimate(distorted)
    assert SampledReference(large).estimate(distorted) == first
    assert 0 < first.spread < ALLOWANCE / SIGMAS
    assert first.guarded == first.score


@pytest.mark.parametrize(
    ("spread", "lowered"),
    [(0.0, 0.0), (0.5, 0.0), (ALLOWANCE / SIGMAS, 0.0), (1.5, 1.0), (3.0, 4.0)],
)
def test_a_score_is_lowered_only_past_the_allowance(spread: float, lowered: float) -> None:
    assert SIGMAS == 2.0 and ALLOWANCE == 2.0
    assert Estimate(70.0, spread).guarded == pytest.approx(70.0 - lowered)


def test_small_images_are_scored_whole() -> None:
    small = photo(640, 480, seed=2)
    reference = SampledReference(small)
    assert reference.exact
    distorted = jpeg_of(small, 50)
    assert reference.score(distorted) == ssimulacra2.score(small, distorted)


def test_alpha_takes_the_worse_grey_as_the_whole_score_does() -> None:
    rgba = np.asarray(photo(WIDTH, HEIGHT, seed=7).convert("RGBA")).copy()
    rgba[:, : WIDTH // 2, 3] = 128
    reference_image = Image.fromarray(rgba, "RGBA")
    damaged = rgba.astype(np.int16)
    noise = np.random.default_rng(3).integers(-12, 13, (HEIGHT, WIDTH // 2, 3))
    damaged[:, : WIDTH // 2, :3] += noise  # only under the translucent half
    distorted = Image.fromarray(damaged.clip(0, 255).astype(np.uint8), "RGBA")
    whole = ssimulacra2.score(reference_image, distorted)
    estimate = SampledReference(reference_image).score(distorted)
    assert 40 < whole < 90
    assert abs(estimate - whole) <= 1.5, (whole, estimate)


def test_identical_pixels_score_100_and_other_sizes_are_refused(large: Image.Image) -> None:
    reference = SampledReference(large)
    assert reference.score(large.copy()) == pytest.approx(100.0, abs=1e-6)
    with pytest.raises(ValueError, match="distorted image is"):
        reference.score(large.resize((WIDTH - 2, HEIGHT)))
