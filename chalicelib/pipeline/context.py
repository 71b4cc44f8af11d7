"""The one object every pipeline step reads and writes.

Steps take a `Context` and fill in their part; nothing else is passed between them, so
the order of steps is written in one place (`runner.STEPS`) and each step can be tested
with a hand-made context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from PIL import Image

from ..settings import Settings


@dataclass(frozen=True)
class Options:
    """What the pipeline needs from the settings, and nothing about AWS."""

    #: Fixed widths (`PICSET_WIDTHS`); empty: spaced by bytes (`spaced_by_bytes`).
    widths: tuple[int, ...] = ()
    #: Bytes between neighbouring variants of the fallback format, when spaced by bytes.
    width_step_bytes: int = 20_000
    formats: tuple[str, ...] = ("avif", "webp", "jpeg")
    avif_quality: int = 50
    avif_speed: int = 8
    webp_quality: int = 75
    webp_method: int = 2
    jpeg_quality: int = 80
    max_bytes: int = 40 * 1024 * 1024
    max_pixels: int = 100_000_000
    max_frames: int = 200
    threads: int = 0  # 0: one per CPU
    #: "auto": each variant's quality is searched for (`pipeline.quality`); "fixed": the
    #: qualities above
    quality: str = "auto"
    quality_target: float = 70.0
    quality_budget_seconds: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Options:
        return cls(
            widths=settings.sorted_widths,
            width_step_bytes=settings.width_step_bytes,
            formats=settings.formats,
            avif_quality=settings.avif_quality,
            avif_speed=settings.avif_speed,
            webp_quality=settings.webp_quality,
            webp_method=settings.webp_method,
            jpeg_quality=settings.jpeg_quality,
            max_bytes=settings.max_upload_bytes,
            max_pixels=settings.max_pixels,
            max_frames=settings.max_frames,
            quality=settings.quality,
            quality_target=settings.quality_target,
            quality_budget_seconds=settings.quality_budget_seconds,
        )

    @property
    def spaced_by_bytes(self) -> bool:
        """No fixed list: `plan` fixes the two ends and `space` the widths between."""
        return not self.widths


@dataclass(frozen=True)
class Setting:
    """How one lossy variant is encoded: its quality, and its chroma resolution."""

    quality: int
    chroma: str = "4:2:0"  # or "4:4:4"


@dataclass(frozen=True)
class Encoded:
    """An encoded variant and what its encode was: the quality and chroma it used (None
    for a lossless format) and its perceptual score (None when it was not scored)."""

    body: bytes
    quality: int | None = None
    score: float | None = None
    chroma: str | None = None


class Tuner(Protocol):
    """Encodes a still's variants at the qualities a perceptual search chose
    (`pipeline.quality.QualityTuner`); `encode` answers None for a format it leaves to
    the fixed settings."""

    def encode(self, width: int, fmt: str, image: Image.Image) -> Encoded | None: ...

    def notes(self) -> list[str]: ...


@dataclass(frozen=True)
class Output:
    """One encoded variant, ready to store."""

    format: str
    width: int
    height: int
    body: bytes
    content_type: str
    quality: int | None = None
    score: float | None = None
    chroma: str | None = None


@dataclass
class Context:
    data: bytes
    options: Options = field(default_factory=Options)
    # sniff
    format: str | None = None
    # guard (from the header, before any full decode)
    header: Image.Image | None = None
    source_width: int = 0
    source_height: int = 0
    orientation: int = 1
    #: Frames kept; over 1 only for a format `sniff.may_animate` names, within the caps.
    frames: int = 1
    # plan: output widths, largest last (only the two ends until `space`, when spaced
    # by bytes); display size after orientation
    display_width: int = 0
    display_height: int = 0
    widths: list[int] = field(default_factory=list)
    # decode / orient / colour
    image: Image.Image | None = None
    animation: list[Image.Image] = field(default_factory=list)
    durations: list[int] = field(default_factory=list)  # ms per animation frame
    loop: int = 0  # animation repeats; 0 is forever
    has_alpha: bool = False
    # resize: width -> image, widest first
    resized: dict[int, Image.Image] = field(default_factory=dict)
    # resize, animations only: width -> every frame at that width (frame 0 is resized[w])
    resized_frames: dict[int, list[Image.Image]] = field(default_factory=dict)
    # quality (auto mode, stills): encodes each variant at its searched quality
    tuner: Tuner | None = None
    # encode
    outputs: list[Output] = field(default_factory=list)
    # describe
    placeholder: str | None = None
    color: str | None = None
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def animated(self) -> bool:
        """The one answer every step and the manifest read (set by the guard's frames)."""
        return self.frames > 1
