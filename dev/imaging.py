"""Colour measurement shared by the corpus tests and `dev/corpus_report.py`: ΔE between
pictures, and an independent colour-managed reference for a source file.

The reference does not use picset's pipeline: it decodes the whole file at full size,
turns it upright with Pillow's `ImageOps.exif_transpose`, converts it to sRGB through its
embedded profile with `ImageCms.profileToProfile` (the profile's perceptual table, as
Chromium's colour management reads it), and only then resizes it with a plain bicubic
filter. Colour differences are CIE76 ΔE in Lab (D50), where about 2.3 is the smallest
difference a person can see side by side.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, ImageOps

from chalicelib.pipeline.tifflab import register as register_tiff_lab16

# Pillow needs picset's table entry to read a 16-bit CIELab TIFF's samples at all; the
# colour conversion below (`lab_tiff_reference`) is then done without LittleCMS.
register_tiff_lab16()

_SRGB = ImageCms.createProfile("sRGB")
_LAB = ImageCms.createProfile("LAB", 5000)
_TO_LAB = ImageCms.buildTransform(_SRGB, _LAB, "RGB", "LAB")


def open_bytes(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def lab(image: Image.Image) -> np.ndarray:
    """An sRGB image as float Lab (L 0..100, a and b signed)."""
    raw = np.asarray(ImageCms.applyTransform(image.convert("RGB"), _TO_LAB))
    out = raw.astype(np.float64)
    out[..., 0] *= 100 / 255
    # Pillow stores a and b as signed bytes.
    out[..., 1:] = raw[..., 1:].view(np.int8)
    return out


#: Colour is compared on images box-averaged down to this width: colour accuracy is about
#: areas, not pixels, and averaging removes what lossy encoding, chroma subsampling and a
#: different resampling filter change pixel by pixel, which would otherwise swamp it.
COMPARE_WIDTH = 48
#: Transparent pixels have no colour to compare: both sides are laid on this grey first.
BACKDROP = (128, 128, 128)


def flatten(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        backdrop = Image.new("RGBA", rgba.size, (*BACKDROP, 255))
        return Image.alpha_composite(backdrop, rgba).convert("RGB")
    return image.convert("RGB")


def delta_e(first: Image.Image, second: Image.Image) -> tuple[float, float]:
    """Mean and 95th percentile CIE76 ΔE between two same-size sRGB images, compared
    area by area (see COMPARE_WIDTH)."""
    assert first.size == second.size, (first.size, second.size)
    # Small images are averaged at least 8:1 too, or their pixel noise stays in.
    width = max(1, min(COMPARE_WIDTH, first.width // 8))
    size = (width, max(1, round(first.height * width / first.width)))
    a, b = (flatten(im).resize(size, Image.Resampling.BOX) for im in (first, second))
    distance = np.sqrt(((lab(a) - lab(b)) ** 2).sum(axis=-1))
    return float(distance.mean()), float(np.percentile(distance, 95))


# Bradford-adapted XYZ (D50) -> linear sRGB (D65), from Lindbloom's tables.
_XYZ_D50_TO_SRGB = np.array(
    [
        [3.1338561, -1.6168667, -0.4906146],
        [-0.9787684, 1.9161415, 0.0334540],
        [0.0719453, -0.2289914, 1.4052427],
    ]
)
_D50 = np.array([0.96422, 1.0, 0.82521])


def lab_tiff_reference(image: Image.Image) -> Image.Image:
    """A 16-bit CIELab TIFF (decoded to its samples' high bytes) to sRGB by the CIE
    formulas in numpy, with no colour management library involved at all."""
    raw = np.asarray(image.convert("RGB"))
    lightness = raw[..., 0].astype(np.float64) * 100 / 255
    a = raw[..., 1].view(np.int8).astype(np.float64)
    b = raw[..., 2].view(np.int8).astype(np.float64)
    fy = (lightness + 16) / 116
    f = np.stack([fy + a / 500, fy, fy - b / 200], axis=-1)
    xyz = np.where(f**3 > 216 / 24389, f**3, (116 * f - 16) / (24389 / 27)) * _D50
    linear = np.clip(xyz @ _XYZ_D50_TO_SRGB.T, 0, 1)
    srgb = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return Image.fromarray(np.round(srgb * 255).astype(np.uint8), "RGB")


def is_cielab_tiff(image: Image.Image) -> bool:
    tags = getattr(image, "tag_v2", None)
    return image.format == "TIFF" and tags is not None and tags.get(262) == 8


def reference(
    path: Path,
    size: tuple[int, int],
    icc_override: bytes | None = None,
    intent: ImageCms.Intent = ImageCms.Intent.PERCEPTUAL,
) -> Image.Image:
    """The file as a colour-managed viewer shows it, resized to `size`."""
    image = Image.open(path)
    image.load()
    if is_cielab_tiff(image):
        return lab_tiff_reference(image).resize(size, Image.Resampling.BICUBIC)
    upright = ImageOps.exif_transpose(image)
    icc = icc_override or upright.info.get("icc_profile") or image.info.get("icc_profile")
    if upright.mode in ("P", "PA", "1", "I;16", "I", "LA"):
        upright = upright.convert("RGBA")
    if icc:
        rgb = ImageCms.profileToProfile(
            upright,
            ImageCms.ImageCmsProfile(io.BytesIO(icc)),
            _SRGB,
            renderingIntent=intent,
            outputMode="RGBA" if upright.mode in ("RGBA", "LA") else "RGB",
        )
        assert rgb is not None
    else:
        rgb = upright if upright.mode == "RGBA" else upright.convert("RGB")
    return rgb.resize(size, Image.Resampling.BICUBIC)


def naive(path: Path, size: tuple[int, int]) -> Image.Image:
    """The same file with its profile ignored: what a pipeline without colour management
    would make. Used to show that the colour checks can fail."""
    image = ImageOps.exif_transpose(Image.open(path))
    return image.convert("RGBA").resize(size, Image.Resampling.BICUBIC)
