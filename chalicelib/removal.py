"""Deleting an image from the bucket, in the one order that is safe at every moment.

1. the original, so nothing can process it again;
2. the manifest, so the page and the status API answer 404 at once instead of pointing at
   variants as they disappear;
3. every variant (any revision, including a killed run's), then the private state.

The API's `DELETE /api/images/{id}` and `dev.cli delete` both call this.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import keys
from .storage import Storage


@dataclass(frozen=True)
class Removed:
    original: bool
    manifest: bool
    variants: int

    @property
    def found(self) -> bool:
        return self.original or self.manifest or self.variants > 0


def delete_image(storage: Storage, image_id: str) -> Removed:
    original = keys.upload_key(image_id)
    manifest = keys.manifest_key(image_id)
    derived = storage.list_keys(keys.image_prefix(image_id))
    has_original = storage.head(original) is not None
    if has_original:
        storage.delete([original])
    has_manifest = manifest in derived
    if has_manifest:
        storage.delete([manifest])
    variants = [key for key in derived if key != manifest]
    storage.delete(variants)
    storage.delete([keys.private_key(image_id)])  # absent is fine: S3 deletes are idempotent
    return Removed(has_original, has_manifest, len(variants))
