"""Teaches Pillow's TIFF reader 16-bit CIELab, which scanners and print workflows write.

Pillow reads 8-bit CIELab TIFFs (mode "LAB") but does not recognise the 16-bit kind at
all. Its TIFF reader already decodes three 16-bit samples per pixel (as for 16-bit RGB),
keeping each sample's high byte, so the file is registered under that layout and, once
decoded, its three bands are re-labelled as L*, a*, b*: L* is unsigned (0..100 over the
full range) and a*, b* are signed, where Pillow's "LAB" mode stores them offset by 128,
hence the flip of the top bit. The colour step then converts LAB to sRGB with LittleCMS.
"""

from __future__ import annotations

from PIL import Image, TiffImagePlugin

CIELAB = 8  # TIFF PhotometricInterpretation
PHOTOMETRIC_TAG = 262
BITS_TAG = 258
# A signed byte -> Pillow's offset-by-128 byte: flip the top bit.
_SIGNED_TO_OFFSET = [value ^ 0x80 for value in range(256)]


def register() -> None:
    """Add 16-bit CIELab to Pillow's table of TIFF layouts (idempotent)."""
    for order, rawmode in ((TiffImagePlugin.II, "RGB;16L"), (TiffImagePlugin.MM, "RGB;16B")):
        TiffImagePlugin.OPEN_INFO.setdefault(
            (order, CIELAB, (1,), 1, (16, 16, 16), ()), ("RGB", rawmode)
        )


def is_lab16(image: Image.Image) -> bool:
    """Whether this opened image is a 16-bit CIELab TIFF read through `register`."""
    tags = getattr(image, "tag_v2", None)
    if image.format != "TIFF" or tags is None or image.mode != "RGB":
        return False
    return tags.get(PHOTOMETRIC_TAG) == CIELAB and tags.get(BITS_TAG) == (16, 16, 16)


def as_lab(image: Image.Image) -> Image.Image:
    """The decoded bands re-labelled as Pillow's LAB mode."""
    lightness, a, b = image.split()
    return Image.merge("LAB", (lightness, a.point(_SIGNED_TO_OFFSET), b.point(_SIGNED_TO_OFFSET)))
