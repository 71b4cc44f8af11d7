"""Skipping a colour conversion that changes nothing (pipeline/colour.is_identity)."""

import io

import pytest
from PIL import Image, ImageChops, ImageCms

from chalicelib.pipeline.colour import is_identity, to_srgb
from tests.conftest import make_image


def profile_bytes(profile: ImageCms.ImageCmsProfile) -> bytes:
    return profile.tobytes()


SRGB = profile_bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")))


@pytest.mark.parametrize(
    ("icc", "mode", "expected"),
    [
        pytest.param(SRGB, "RGB", True, id="embedded-srgb-is-skipped"),
        pytest.param(SRGB, "CMYK", False, id="cmyk-always-converts"),
        pytest.param(SRGB, "LAB", False, id="lab-always-converts"),
    ],
)
def test_is_identity(icc, mode, expected):
    assert is_identity(icc, mode) is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("prophoto.png", False, id="prophoto-converts"),
        pytest.param("avif-orientation-6.avif", False, id="display-p3-converts"),
        pytest.param("exif-sample-large.jpg", True, id="srgb-iec61966-skipped"),
        pytest.param("gain-map.jpg", True, id="srgb-within-one-level-skipped"),
    ],
)
def test_corpus_profiles(corpus, name, expected):
    with Image.open(corpus / name) as image:
        icc = image.info["icc_profile"]
    assert is_identity(icc, "RGB") is expected


def test_skipping_an_srgb_profile_gives_the_converted_picture():
    image = Image.open(io.BytesIO(make_image(300, 200))).convert("RGB")
    converted = ImageCms.applyTransform(
        image,
        ImageCms.buildTransform(
            ImageCms.ImageCmsProfile(io.BytesIO(SRGB)),
            ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")),
            "RGB",
            "RGB",
            renderingIntent=ImageCms.Intent.PERCEPTUAL,
        ),
    )
    assert converted is not None
    skipped = to_srgb(image, SRGB)
    extrema = ImageChops.difference(converted, skipped).getextrema()
    assert all(isinstance(band, tuple) and band[1] <= 1 for band in extrema)
