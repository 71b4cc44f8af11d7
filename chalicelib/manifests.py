"""An image's manifest in storage: reading it, and replacing it safely when runs overlap.

Events arrive at least once and in any order, and two runs for one image can overlap (a
duplicate delivery, a reprocess, a second POST of the same ticket). Each run writes its
variants under its own revision and then offers its manifest here, where:

* a run's standing is the original's S3 `sequencer` (a later upload to the key stands
  higher), then its revision (for the same upload, the run that started later);
* a manifest is replaced only by one that stands at least as high, and only with a
  conditional put on the ETag just read, so two writers can never both win and a stale
  run can never overwrite a newer manifest;
* what the replaced manifest named is deleted only after its successor is in place.

No Pillow here: the API function reads manifests through this module too.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from . import keys, state
from .manifest import Manifest, from_json
from .storage import PreconditionFailed, Storage

log = logging.getLogger("picset.manifests")

CACHE_CONTROL = "no-cache"
#: conditional puts that lose to another writer are read and tried again this often
ATTEMPTS = 5


class Superseded(Exception):
    """A manifest standing at least as high as the offered one is already in place."""

    def __init__(self, current: Manifest) -> None:
        super().__init__(f"superseded by revision {current.revision or '(none)'}")
        self.current = current


@dataclass(frozen=True)
class Stored:
    manifest: Manifest | None  # None when the object is there but unreadable
    etag: str


def read(storage: Storage, image_id: str) -> Stored | None:
    found = storage.get(keys.manifest_key(image_id))
    if found is None:
        return None
    info, body = found
    try:
        return Stored(from_json(body), info.etag)
    except ValueError:
        log.warning("unreadable manifest for %s; it will be rewritten", image_id)
        return Stored(None, info.etag)


def load(storage: Storage, image_id: str) -> Manifest | None:
    """The image's manifest, or None when there is none (or it cannot be read)."""
    stored = read(storage, image_id)
    return stored.manifest if stored else None


def standing(manifest: Manifest) -> tuple[str, str]:
    """What orders two manifests of one image: the later upload, then the later run."""
    return keys.standing(manifest.source.sequencer, manifest.revision)


def answers(storage: Storage, manifest: Manifest, etag: str) -> bool:
    """Whether `manifest` (the one in place) is the answer for the original `etag`, by
    the private state. A manifest with no readable state (one written before the state
    existed) counts as an answer: when unsure, an answer that exists is kept."""
    found = state.load(storage, manifest.id)
    return found is None or found.answers(manifest.revision, etag)


def change_alt(storage: Storage, image_id: str, alt: str) -> Manifest | None:
    """Rewrite the manifest in place with `alt`, keeping its revision and variants (a
    conditional put on the ETag just read, tried again if a run wrote in between); None
    when there is no readable manifest yet (the image is still processing)."""
    for _ in range(ATTEMPTS):
        current = read(storage, image_id)
        if current is None or current.manifest is None:
            return None
        changed = dataclasses.replace(current.manifest, alt=alt)
        try:
            storage.put(
                keys.manifest_key(image_id),
                changed.to_json(),
                content_type="application/json",
                cache_control=CACHE_CONTROL,
                if_match=current.etag,
            )
        except PreconditionFailed:
            continue
        return changed
    raise RuntimeError(f"the manifest of {image_id} kept changing under {ATTEMPTS} writes")


def replace(
    storage: Storage, manifest: Manifest, *, unless_finished: str | None = None
) -> Manifest | None:
    """Put `manifest` in place and return the one it replaced (None if there was none).

    Raises `Superseded` when the manifest in place stands higher, or, with
    `unless_finished` (the original's ETag), when it already answers for that original
    (a recorded failure never replaces an answer that exists)."""
    for _ in range(ATTEMPTS):
        current = read(storage, manifest.id)
        previous = current.manifest if current else None
        if previous is not None:
            finished = unless_finished is not None and answers(storage, previous, unless_finished)
            if standing(previous) > standing(manifest) or finished:
                raise Superseded(previous)
        try:
            storage.put(
                keys.manifest_key(manifest.id),
                manifest.to_json(),
                content_type="application/json",
                cache_control=CACHE_CONTROL,
                if_match=current.etag if current else None,
                if_none_match=current is None,
            )
        except PreconditionFailed:
            continue  # another run wrote in between: read it and judge again
        return previous
    raise RuntimeError(f"the manifest of {manifest.id} kept changing under {ATTEMPTS} writes")
