"""Where an image stands, read from the bucket: ready or failed (a manifest exists),
processing (only the original exists), or unknown.

"processing" is never stored: it is an original without a manifest. It is also bounded:
an original older than `PICSET_PROCESSING_TIMEOUT_SECONDS` with no manifest is answered
as `failed` with code `timeout`, whatever happened to its events, so no poller waits
forever (the API only reads, so this answer is computed, not written). Ids are validated
before any key is built, so a bad id never reaches S3.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from . import keys, manifests
from .errors import NotFound, TimedOut
from .manifest import FAILED, ErrorInfo, Manifest, Source
from .storage import ObjectInfo, Storage

PROCESSING = "processing"


@dataclass(frozen=True)
class ImageState:
    status: str  # ready | failed | processing
    manifest: Manifest | None = None


def lookup(storage: Storage, image_id: str, now: datetime, timeout_seconds: int) -> ImageState:
    """The image's state at `now`; raises `NotFound` for a malformed or unknown id."""
    if not keys.is_valid_id(image_id):
        raise NotFound()
    manifest = manifests.load(storage, image_id)
    if manifest is not None:
        return ImageState(manifest.status, manifest)
    original = storage.head(keys.upload_key(image_id))
    if original is None:
        raise NotFound()
    uploaded = original.last_modified
    if uploaded is not None and now - uploaded > timedelta(seconds=timeout_seconds):
        return ImageState(FAILED, timed_out(image_id, original))
    return ImageState(PROCESSING)


def timed_out(image_id: str, original: ObjectInfo) -> Manifest:
    """The answer for an original that waited past the bound with no manifest."""
    error = TimedOut()
    uploaded = original.last_modified.isoformat() if original.last_modified else ""
    return Manifest(
        id=image_id,
        status=FAILED,
        source=Source(bytes=original.size),
        created_at=uploaded,
        error=ErrorInfo(error.code, error.message),
    )
