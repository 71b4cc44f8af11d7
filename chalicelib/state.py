"""The private per-image state: what only the resize side may know of an original.

`private/<id>.json` holds the ETag of the original a run processed and its file name,
with the run's revision and the upload's sequencer. It is never public (the bucket's
public-read policy covers `images/*` only) and sits outside `uploads/`, so writing it
never triggers the resize function. The public manifest carries neither field.

It answers one question for the resize side: "is the manifest in place the answer for
this very original?" That holds when the state names the same ETag *and* the same
revision as the manifest. Every run writes its state before offering its manifest, and
only when it stands at least as high as the state in place (the same order as
manifests, with a conditional put), so when the two name the same revision the state
describes the run that wrote the manifest. When they disagree (a run killed between the
two writes, or a run that lost the manifest race), the next event simply processes the
original again, which is always safe. No Pillow here.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass

from . import keys
from .storage import ObjectInfo, Storage, swap

log = logging.getLogger("picset.state")

VERSION = 1


@dataclass(frozen=True)
class PrivateState:
    id: str
    etag: str  # the processed original's S3 ETag
    filename: str  # the name it was uploaded with (informational, for its owner)
    revision: str  # the run that processed it
    sequencer: str = ""
    version: int = VERSION

    @property
    def standing(self) -> tuple[str, str]:
        return keys.standing(self.sequencer, self.revision)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True).encode()

    def answers(self, revision: str, etag: str) -> bool:
        """Whether the manifest of `revision` is this run's answer for original `etag`."""
        return bool(etag) and self.etag == etag and self.revision == revision


def from_json(raw: bytes) -> PrivateState:
    """Parse a state; raises ValueError on another version or a malformed object."""
    try:
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise ValueError("unsupported private state")
        return PrivateState(
            id=str(data["id"]),
            etag=str(data["etag"]),
            filename=str(data.get("filename", "")),
            revision=str(data["revision"]),
            sequencer=str(data.get("sequencer", "")),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"malformed private state: {exc}") from exc


def _read(storage: Storage, image_id: str) -> tuple[PrivateState | None, str] | None:
    return _parsed(storage.get(keys.private_key(image_id)), image_id)


def _parsed(
    found: tuple[ObjectInfo, bytes] | None, image_id: str
) -> tuple[PrivateState | None, str] | None:
    if found is None:
        return None
    info, body = found
    try:
        return from_json(body), info.etag
    except ValueError:
        log.warning("unreadable private state for %s; it will be rewritten", image_id)
        return None, info.etag


def load(storage: Storage, image_id: str) -> PrivateState | None:
    """The image's private state, or None when there is none (or it cannot be read)."""
    found = _read(storage, image_id)
    return found[0] if found else None


def record(storage: Storage, state: PrivateState) -> bool:
    """Put `state` in place unless a state standing higher is there; True if written."""

    def unless_higher(found: tuple[ObjectInfo, bytes] | None) -> bytes | None:
        current = (_parsed(found, state.id) or (None, ""))[0]
        if current is not None and current.standing > state.standing:
            return None
        return state.to_json()

    return swap(storage, keys.private_key(state.id), unless_higher, content_type="application/json")
