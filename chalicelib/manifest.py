"""The manifest: the contract between the resize side and the view side.

`images/<id>/manifest.json` is written last, after every variant, so its presence means
the image is finished (ready or failed). Pages and the API render from it alone, never
from listing the bucket. Pure data and (de)serialisation: no I/O, no clock.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

VERSION = 1
READY = "ready"
FAILED = "failed"


@dataclass(frozen=True)
class Variant:
    format: str
    width: int
    height: int
    key: str
    bytes: int
    content_type: str
    #: the encoder quality it was written at (None for PNG and GIF, which are lossless)
    quality: int | None = None
    #: its SSIMULACRA2 score against the resized image, when it was scored (`auto`
    #: quality); a variant wider than 640 px is scored on a 640 x 640 window at its centre
    score: float | None = None
    #: chroma resolution of a lossy variant: "4:2:0", or "4:4:4" where that was smaller
    chroma: str | None = None


#: Fields manifests written before the private state (`chalicelib.state`) carried in
#: `source`; they are dropped when such a manifest is read, and never written again.
LEGACY_SOURCE_FIELDS = frozenset({"etag", "filename"})


@dataclass(frozen=True)
class Source:
    """What the public may know of the original. Its file name and S3 ETag are not here:
    a name can say who uploaded it, and an ETag (the MD5 of a single-part upload) lets
    anyone holding a copy of a file confirm it is this one. They live in the private
    state (`private/<id>.json`)."""

    bytes: int
    format: str | None = None
    width: int | None = None
    height: int | None = None
    frames: int = 1
    #: the S3 event's `sequencer` for this original ("" when unknown, e.g. locally):
    #: among uploads to one key, a greater one is a later upload
    sequencer: str = ""


@dataclass(frozen=True)
class ErrorInfo:
    code: str
    message: str


@dataclass(frozen=True)
class Manifest:
    id: str
    status: str
    source: Source
    created_at: str
    processing_ms: int = 0
    width: int | None = None
    height: int | None = None
    alt: str | None = None
    placeholder: str | None = None
    color: str | None = None
    has_alpha: bool = False
    animated: bool = False
    notes: list[str] = field(default_factory=list)
    variants: list[Variant] = field(default_factory=list)
    error: ErrorInfo | None = None
    steps_ms: dict[str, float] = field(default_factory=dict)
    #: the processing run that wrote this manifest; its variants sit under
    #: `images/<id>/<revision>/` ("" for manifests of the layout before revisions)
    revision: str = ""
    version: int = VERSION

    @property
    def is_ready(self) -> bool:
        return self.status == READY

    def variants_of(self, fmt: str) -> list[Variant]:
        """This format's variants, narrowest first."""
        return sorted((v for v in self.variants if v.format == fmt), key=lambda v: v.width)

    @property
    def formats(self) -> list[str]:
        seen: list[str] = []
        for variant in self.variants:
            if variant.format not in seen:
                seen.append(variant.format)
        return seen

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True).encode()


def from_dict(data: dict[str, Any]) -> Manifest:
    """Parse a manifest dict; raises ValueError on another version or a missing field."""
    if data.get("version") != VERSION:
        raise ValueError(f"unsupported manifest version {data.get('version')!r}")
    try:
        error = data.get("error")
        return Manifest(
            id=data["id"],
            status=data["status"],
            source=_source(data["source"]),
            created_at=data["created_at"],
            processing_ms=int(data.get("processing_ms", 0)),
            width=data.get("width"),
            height=data.get("height"),
            alt=data.get("alt"),
            placeholder=data.get("placeholder"),
            color=data.get("color"),
            has_alpha=bool(data.get("has_alpha", False)),
            animated=bool(data.get("animated", False)),
            notes=list(data.get("notes", [])),
            variants=[Variant(**v) for v in data.get("variants", [])],
            error=ErrorInfo(**error) if error else None,
            steps_ms=dict(data.get("steps_ms", {})),
            revision=str(data.get("revision", "")),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"malformed manifest: {exc}") from exc


def _source(data: Any) -> Source:
    if not isinstance(data, dict):
        raise TypeError("source is not an object")
    return Source(**{k: v for k, v in data.items() if k not in LEGACY_SOURCE_FIELDS})


def from_json(raw: bytes) -> Manifest:
    return from_dict(json.loads(raw))
