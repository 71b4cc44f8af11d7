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
from .storage import ObjectInfo, Storage, swap

log = logging.getLogger("picset.manifests")

CACHE_CONTROL = "no-cache"


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
    return _parsed(storage.get(keys.manifest_key(image_id)), image_id)


def _parsed(found: tuple[ObjectInfo, bytes] | None, image_id: str) -> Stored | None:
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
    conditional put on the ETag just read, decided again if a run wrote in between); None
    when there is no readable manifest yet (the image is still processing)."""
    changed: list[Manifest] = []

    def with_alt(found: tuple[ObjectInfo, bytes] | None) -> bytes | None:
        changed.clear()
        current = _parsed(found, image_id)
        if current is None or current.manifest is None:
            return None
        changed.append(dataclasses.replace(current.manifest, alt=alt))
        return changed[0].to_json()

    written = swap(
        storage,
        keys.manifest_key(image_id),
        with_alt,
        content_type="application/json",
        cache_control=CACHE_CONTROL,
    )
    return changed[0] if written else None


def replace(
    storage: Storage, manifest: Manifest, *, unless_finished: str | None = None
) -> Manifest | None:
    """Put `manifest` in place and return the one it replaced (None if there was none).

    Raises `Superseded` when the manifest in place stands higher, or, with
    `unless_finished` (the original's ETag), when it already answers for that original
    (a recorded failure never replaces an answer that exists)."""
    replaced: list[Manifest | None] = [None]

    def unless_higher(found: tuple[ObjectInfo, bytes] | None) -> bytes:
        current = _parsed(found, manifest.id)
        previous = replaced[0] = current.manifest if current else None
        if previous is not None:
            finished = unless_finished is not None and answers(storage, previous, unless_finished)
            if standing(previous) > standing(manifest) or finished:
                raise Superseded(previous)
        return manifest.to_json()

    swap(
        storage,
        keys.manifest_key(manifest.id),
        unless_higher,
        content_type="application/json",
        cache_control=CACHE_CONTROL,
    )
    return replaced[0]
