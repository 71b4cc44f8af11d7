"""Golden test: the `ssimulacra2` package's scores against the reference implementation's.

The reference scores (Cloudinary's C++ `ssimulacra2`, recorded by `dev/ssim_reference.py`
into tests/data/ssimulacra2-reference.json) are data; this test regenerates each pair from
`tests/ssim_pairs.py`, checks that its pixels are still the ones the reference scored, and
scores it with the package. docs/ssimulacra2.md has the measured numbers and what follows.

Two bars. `AGREES` is the issue's: within half a point, an implementation counts as
agreeing with the reference. The package does not reach it on every pair, so the pairs it
misses are listed in `MISSES_HALF_A_POINT` (strict xfail: a pair that starts agreeing
fails until it is taken off the list, so the list stays true), and every pair is held to
`ACHIEVED`, the largest difference measured, so a change for the worse still fails.
"""

from __future__ import annotations

import io
from functools import cache

import pytest
from PIL import Image
from ssimulacra2 import compute_ssimulacra2, compute_ssimulacra2_with_alpha

from tests.ssim_golden import RECORDED, checked_pair
from tests.ssim_pairs import pair_names, png_bytes

#: The issue's bar for a scorer to count as agreeing with the reference.
AGREES = 0.5
#: The largest |package - reference| measured over all pairs (8.13 on graphic-jpeg-q20),
#: rounded up: what the package really achieves, not a goal.
ACHIEVED = 8.5
#: Pairs where the package is more than `AGREES` from the reference, with the measured
#: package - reference. Mostly negative, and mostly the blur at the image's borders: the
#: package mirrors the image at its left and right edges where the reference pads with
#: zeros on all four sides (patching that alone brings the opaque pairs' worst case from
#: 8.1 to 2.0 points, docs/ssimulacra2.md), so it weighs most on small images.
MISSES_HALF_A_POINT: dict[str, float] = {
    "photo-jpeg-q10": -7.34,
    "photo-jpeg-q20": -3.99,
    "photo-jpeg-q50": -1.27,
    "photo-webp-q40": -1.79,
    "photo-webp-q85": -0.61,
    "photo-avif-q30": -2.98,
    "photo-avif-q60": -0.72,
    "photo-blur-1": -0.58,
    "photo-shift-small": +1.37,
    "noise-jpeg-q50": -3.81,
    "noise-jpeg-q70": -3.05,
    "noise-jpeg-q90": -2.31,
    "noise-webp-q40": -4.10,
    "noise-avif-q60": -3.25,
    "noise-avif-q75": -2.47,
    "graphic-jpeg-q20": -8.13,
    "graphic-jpeg-q50": -2.43,
    "graphic-webp-q40": -3.07,
    "graphic-webp-q85": -0.73,
    "smooth-jpeg-q15": -5.52,
    "smooth-jpeg-q50": -2.00,
    "smooth-jpeg-q97-444": +0.56,
    "smooth-webp-q40": -1.54,
    "smooth-avif-q30": -0.81,
    "smooth-shift-small": +2.47,
}

#: The reference blends a transparent image onto these greys (in its 0..1 sRGB values)
#: and keeps the worse score; the package's own alpha path never runs (it converts to RGB,
#: dropping alpha, before it looks for an alpha channel), so the test blends for it.
ALPHA_BACKGROUNDS = (0.1, 0.9)


def _package_score_opaque(original: Image.Image, distorted: Image.Image) -> float:
    return float(
        compute_ssimulacra2(io.BytesIO(png_bytes(original)), io.BytesIO(png_bytes(distorted)))
    )


def _on_grey(image: Image.Image, grey: float) -> Image.Image:
    background = Image.new("RGBA", image.size, (round(grey * 255),) * 3 + (255,))
    return Image.alpha_composite(background, image).convert("RGB")


@cache
def package_score(name: str) -> float:
    pair = checked_pair(name)
    if not pair.has_alpha:
        return _package_score_opaque(pair.source, pair.distorted)
    return min(
        _package_score_opaque(_on_grey(pair.source, grey), _on_grey(pair.distorted, grey))
        for grey in ALPHA_BACKGROUNDS
    )


def difference(name: str) -> float:
    return package_score(name) - RECORDED[name]["score"]


def test_every_pair_has_a_reference_score():
    assert sorted(RECORDED) == sorted(pair_names())


def test_the_known_misses_are_pairs():
    assert set(MISSES_HALF_A_POINT) <= set(pair_names())


@pytest.mark.parametrize("name", pair_names())
def test_package_is_within_the_tolerance_it_achieves(name):
    assert abs(difference(name)) <= ACHIEVED, f"{name}: {difference(name):+.3f}"


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            name,
            marks=pytest.mark.xfail(
                strict=True, reason=f"measured {MISSES_HALF_A_POINT[name]:+.2f} points"
            ),
        )
        if name in MISSES_HALF_A_POINT
        else name
        for name in pair_names()
    ],
)
def test_package_agrees_within_half_a_point(name):
    assert abs(difference(name)) <= AGREES, f"{name}: {difference(name):+.3f}"


@pytest.mark.parametrize("name", pair_names("alpha"))
@pytest.mark.xfail(strict=True, reason="the package drops alpha before its alpha path")
def test_package_alpha_api_scores_transparency(name, tmp_path):
    # Files, not buffers: this function opens each input more than once.
    pair = checked_pair(name)
    original, distorted = tmp_path / "original.png", tmp_path / "distorted.png"
    original.write_bytes(png_bytes(pair.source))
    distorted.write_bytes(png_bytes(pair.distorted))
    score = compute_ssimulacra2_with_alpha(str(original), str(distorted))
    assert abs(score - RECORDED[name]["score"]) <= AGREES
