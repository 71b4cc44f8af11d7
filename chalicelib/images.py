"""Where an image stands, read from the bucket: ready or failed (a manifest exists),
processing (only the original exists), or unknown.

"processing" is never stored: it is an original without a manifest. Ids are validated
before any key is built, so a bad id never reaches S3.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import keys
from .errors import NotFound
from .manifest import Manifest
from .processor import load_manifest
from .storage import Storage

PROCESSING = "processing"


@dataclass(frozen=True)
class ImageState:
    status: str  # ready | failed | processing
    manifest: Manifest | None = None


def lookup(storage: Storage, image_id: str) -> ImageState:
    """The image's state; raises `NotFound` for a malformed or unknown id."""
    if not keys.is_valid_id(image_id):
        raise NotFound()
    manifest = load_manifest(storage, image_id)
    if manifest is not None:
        return ImageState(manifest.status, manifest)
    if storage.head(keys.upload_key(image_id)) is not None:
        return ImageState(PROCESSING)
    raise NotFound()
