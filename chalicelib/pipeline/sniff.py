"""Step: tell the real format from the bytes; the name and Content-Type are never trusted."""

from __future__ import annotations

from ..errors import EmptyFile, UnsupportedFormat
from .context import Context

AVIF_BRANDS = {b"avif", b"avis"}
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}

#: The formats whose extra frames are an animation, each with the decoder (Pillow's
#: format name) whose frames are that animation's: GIF, animated WebP, APNG, and AVIF
#: image sequences (Pillow's AVIF decoder reports an AVIF's still items as one frame).
#: Every other container's extra images are not moments in time: a JPEG's MPF preview or
#: second eye (Pillow's MPO), a TIFF's later pages, a HEIF's other items. Those give one
#: still picture, the primary image, which is what the decoder opens on.
ANIMATED_DECODERS = {"gif": "GIF", "webp": "WEBP", "png": "PNG", "avif": "AVIF"}


def may_animate(fmt: str | None, decoder: str | None) -> bool:
    """Whether this sniffed format, opened by this decoder, is read as an animation."""
    return fmt is not None and decoder is not None and ANIMATED_DECODERS.get(fmt) == decoder


def detect(data: bytes) -> str | None:
    """The format name for these leading bytes, or None when picset does not take it."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if data[4:8] == b"ftyp":
        return _isobmff_brand(data)
    return None


def _isobmff_brand(data: bytes) -> str | None:
    box_size = int.from_bytes(data[0:4], "big")
    major = data[8:12]
    end = min(max(box_size, 16), 256, len(data))
    compatible = {data[i : i + 4] for i in range(16, end - 3, 4)}
    brands = {major} | compatible
    if brands & AVIF_BRANDS:
        return "avif"
    if brands & HEIF_BRANDS:
        return "heif"
    return None


def sniff(ctx: Context) -> None:
    if not ctx.data:
        raise EmptyFile()
    found = detect(ctx.data[:512])
    if found is None:
        raise UnsupportedFormat(detail=f"leading bytes {ctx.data[:12]!r}")
    ctx.format = found
