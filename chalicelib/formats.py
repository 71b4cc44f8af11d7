"""What a format is, in one table that every other module reads.

Each row says everything picset knows about one image format: its name (the one
`pipeline.sniff` reports and the manifest stores), the label shown to people, the content
types an upload may declare for it and the file-name endings the upload page may guess it
from, whether it is written as a variant (and as a modern `<source>` or as the `<img>`
fallback), whether it can animate or carry alpha, the variant's extension and content
type, the `<source type>` value, and how its encoder is called. Adding a format is one row
here (plus, for a new input, its magic bytes in `pipeline/sniff.py` and a decoder).

The encoder is described as plain data (Pillow's format name, fixed arguments, and which
`Options` field feeds which argument) so that this module imports nothing but the standard
library: the API reads it to check tickets and render pages, and must never load the
imaging stack (STYLE.md rule 12). `pipeline/encode.py` turns the data into a Pillow call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

MODERN = "modern"
FALLBACK = "fallback"


@dataclass(frozen=True)
class Encoder:
    """How to call Pillow's `Image.save` for a format, as data."""

    #: Pillow's name for the format (`Image.save(buffer, pillow_name, ...)`).
    pillow_name: str
    #: Arguments that are always the same.
    fixed: Mapping[str, Any] = field(default_factory=dict)
    #: Argument name -> the `pipeline.Options` field that holds its value (from settings).
    from_options: Mapping[str, str] = field(default_factory=dict)
    #: Rough encode CPU per pixel, relative to WebP at its default settings, used to
    #: schedule the costliest job first (measured in docs/encoder-settings.md).
    cost_per_pixel: float = 1.0
    #: For a lossy encoder: the qualities a perceptual search may try (`pipeline.quality`),
    #: and where it starts for a target of 70 on SSIMULACRA2. None: lossless, no search.
    quality_range: tuple[int, int] | None = None
    quality_seed: int = 0
    #: The extra arguments that keep full-resolution chroma (4:4:4), which the search may
    #: use on small variants; None where Pillow cannot ask the encoder for it (WebP: libwebp's
    #: sharp YUV is not among the arguments Pillow passes on).
    full_chroma: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class UploadType:
    """A content type an upload may declare, how the page names it, and the file-name
    endings the page may guess it from when the browser reports no type."""

    content_type: str
    label: str
    endings: tuple[str, ...]


@dataclass(frozen=True)
class Format:
    name: str
    label: str
    #: What an upload of this format may declare. Empty: not accepted as an input.
    accepts: tuple[UploadType, ...] = ()
    #: `MODERN` (a `<source>`), `FALLBACK` (the `<img>`), or None (never written).
    role: str | None = None
    #: Order among outputs: `<source>`s and the variants table go in this order, and the
    #: first fallback able to show the image is the one written.
    rank: int = 0
    #: Whether `PICSET_FORMATS` may name it.
    configurable: bool = False
    #: What a variant written in this format keeps: every frame of an animation, and
    #: transparency (this decides the fallback; input-only rows leave them False).
    animates: bool = False
    alpha: bool = False
    extension: str = ""
    content_type: str = ""
    #: The `<source type>` value (modern formats only).
    source_type: str = ""
    encoder: Encoder | None = None

    @property
    def is_input(self) -> bool:
        return bool(self.accepts)

    @property
    def is_output(self) -> bool:
        return self.role is not None


#: Listed in the order people are told about them ("JPEG, PNG, WebP, ..."). AVIF comes
#: before WebP among outputs because the browser takes the first `<source>` it can decode
#: and AVIF is the smaller file; JPEG is the fallback for an opaque still, PNG for a
#: transparent one, GIF for an animation (the first fallback able to show the image).
TABLE: tuple[Format, ...] = (
    Format(
        name="jpeg",
        label="JPEG",
        accepts=(UploadType("image/jpeg", "JPEG", ("jpg", "jpeg")),),
        role=FALLBACK,
        rank=2,
        configurable=True,
        extension="jpg",
        content_type="image/jpeg",
        encoder=Encoder(
            "JPEG",
            fixed={"optimize": True, "progressive": True},
            from_options={"quality": "jpeg_quality"},
            cost_per_pixel=0.4,
            quality_range=(30, 95),
            quality_seed=74,
            full_chroma={"subsampling": 0},
        ),
    ),
    Format(
        name="png",
        label="PNG",
        accepts=(UploadType("image/png", "PNG", ("png",)),),
        role=FALLBACK,
        rank=3,
        alpha=True,
        extension="png",
        content_type="image/png",
        encoder=Encoder("PNG", fixed={"optimize": False, "compress_level": 6}),
    ),
    Format(
        name="webp",
        label="WebP",
        accepts=(UploadType("image/webp", "WebP", ("webp",)),),
        role=MODERN,
        rank=1,
        configurable=True,
        animates=True,
        alpha=True,
        extension="webp",
        content_type="image/webp",
        source_type="image/webp",
        encoder=Encoder(
            "WEBP",
            from_options={"quality": "webp_quality", "method": "webp_method"},
            quality_range=(30, 95),
            quality_seed=74,
        ),
    ),
    Format(
        name="avif",
        label="AVIF",
        accepts=(UploadType("image/avif", "AVIF", ("avif",)),),
        role=MODERN,
        rank=0,
        configurable=True,
        animates=True,
        alpha=True,
        extension="avif",
        content_type="image/avif",
        source_type="image/avif",
        encoder=Encoder(
            "AVIF",
            from_options={"quality": "avif_quality", "speed": "avif_speed"},
            cost_per_pixel=4.0,
            quality_range=(20, 90),
            quality_seed=56,
            full_chroma={"subsampling": "4:4:4"},
        ),
    ),
    Format(
        name="heif",
        label="HEIC/HEIF",
        accepts=(
            UploadType("image/heic", "HEIC", ("heic",)),
            UploadType("image/heif", "HEIF", ("heif",)),
        ),
    ),
    Format(
        name="gif",
        label="GIF",
        accepts=(UploadType("image/gif", "GIF", ("gif",)),),
        role=FALLBACK,
        rank=4,
        animates=True,
        alpha=True,
        extension="gif",
        content_type="image/gif",
        encoder=Encoder("GIF", fixed={"optimize": False}),
    ),
    Format(
        name="tiff",
        label="TIFF",
        accepts=(UploadType("image/tiff", "TIFF", ("tif", "tiff")),),
    ),
)

BY_NAME: Mapping[str, Format] = MappingProxyType({f.name: f for f in TABLE})

#: Every format written as a variant, in output order (modern first, AVIF before WebP).
OUTPUTS: tuple[Format, ...] = tuple(sorted((f for f in TABLE if f.is_output), key=lambda f: f.rank))
MODERN_FORMATS: tuple[Format, ...] = tuple(f for f in OUTPUTS if f.role == MODERN)
FALLBACK_FORMATS: tuple[Format, ...] = tuple(f for f in OUTPUTS if f.role == FALLBACK)
INPUTS: tuple[Format, ...] = tuple(f for f in TABLE if f.is_input)
CONFIGURABLE: tuple[Format, ...] = tuple(f for f in OUTPUTS if f.configurable)


def get(name: str) -> Format:
    """The row for a format name; KeyError for a name picset does not know."""
    return BY_NAME[name]


def label(name: str) -> str:
    """How a person reads a format's name; an unknown name is shown in capitals."""
    found = BY_NAME.get(name)
    return found.label if found else name.upper()


def is_modern(name: str) -> bool:
    found = BY_NAME.get(name)
    return found is not None and found.role == MODERN


def fallback_for(*, has_alpha: bool, animated: bool) -> Format:
    """The first fallback format that can show this image as it is."""
    for fmt in FALLBACK_FORMATS:
        if (fmt.animates or not animated) and (fmt.alpha or not has_alpha):
            return fmt
    raise LookupError("no fallback format can show this image")


def upload_types() -> dict[str, str]:
    """Content type an upload may declare -> its label, in the order people read them."""
    return {kind.content_type: kind.label for fmt in INPUTS for kind in fmt.accepts}


def upload_endings() -> dict[str, str]:
    """File-name ending -> the content type the upload page may guess from it."""
    return {
        ending: kind.content_type
        for fmt in INPUTS
        for kind in fmt.accepts
        for ending in kind.endings
    }


def join_words(words: list[str], last: str = "or") -> str:
    """`a, b or c` (or `a, b and c`)."""
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


def input_labels() -> str:
    """`JPEG, PNG, WebP, AVIF, HEIC/HEIF, GIF or TIFF`, one label per input format."""
    return join_words([fmt.label for fmt in INPUTS])
