"""The bucket layout: ids, and the keys built from them, in one place.

Originals live under `uploads/<id>` (private), variants under
`images/<id>/<revision>/` and the manifest at `images/<id>/manifest.json` (public), and
what only the resize side may know of an original (its ETag, its file name) at
`private/<id>.json`: outside `images/`, so the public-read policy never covers it, and
outside `uploads/`, so writing it never triggers the resize function. Each
processing run writes under its own revision, so a variant's key never changes what it
serves: that is what makes the year-long `immutable` caching true. The S3 trigger
listens on `uploads/` only and the resize function writes only under `images/`, so its
own writes can never re-trigger it.
Ids are 128 random bits, URL-safe; every route checks them with `ID_PATTERN` before
touching S3, so `..`, slashes or encoded tricks never reach a key.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from urllib.parse import unquote_plus

from . import formats

UPLOAD_PREFIX = "uploads/"
IMAGES_PREFIX = "images/"
PRIVATE_PREFIX = "private/"
MANIFEST_NAME = "manifest.json"
#: S3 sequencers are hex strings of varying length: right-pad to compare them.
SEQUENCER_WIDTH = 32

#: 16 random bytes in URL-safe base64 are exactly 22 characters of [A-Za-z0-9_-].
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{22}")
#: A run's revision: its start in milliseconds (11 hex digits, so revisions sort by start
#: time as strings), a dash, and 6 random hex digits so two runs never share one.
REVISION_PATTERN = re.compile(r"[0-9a-f]{11}-[0-9a-f]{6}")


def new_image_id() -> str:
    """A fresh unguessable id (128 bits); the only impure function here."""
    return secrets.token_urlsafe(16)


def new_revision(now: datetime) -> str:
    """A fresh revision for a run starting at `now`."""
    return f"{round(now.timestamp() * 1000):011x}-{secrets.token_hex(3)}"


def revision_started(revision: str) -> datetime | None:
    """When the run that made `revision` started, or None for anything else."""
    from datetime import UTC

    if REVISION_PATTERN.fullmatch(revision) is None:
        return None
    return datetime.fromtimestamp(int(revision[:11], 16) / 1000, UTC)


def is_valid_id(image_id: str) -> bool:
    return ID_PATTERN.fullmatch(image_id) is not None


def upload_key(image_id: str) -> str:
    return f"{UPLOAD_PREFIX}{image_id}"


def image_prefix(image_id: str) -> str:
    return f"{IMAGES_PREFIX}{image_id}/"


def manifest_key(image_id: str) -> str:
    return f"{image_prefix(image_id)}{MANIFEST_NAME}"


def private_key(image_id: str) -> str:
    return f"{PRIVATE_PREFIX}{image_id}.json"


def standing(sequencer: str, revision: str) -> tuple[str, str]:
    """What orders two runs for one image: the later upload (by S3 `sequencer`), then,
    for the same upload, the later run (by revision)."""
    return sequencer.upper().ljust(SEQUENCER_WIDTH, "0"), revision


def variant_key(image_id: str, revision: str, width: int, fmt: str) -> str:
    return f"{image_prefix(image_id)}{revision}/{width}w.{formats.get(fmt).extension}"


def revision_of(key: str, image_id: str) -> str | None:
    """The revision folder a key under `images/<id>/` sits in, or None (the manifest,
    or a variant of the old layout without revisions)."""
    rest = key[len(image_prefix(image_id)) :] if key.startswith(image_prefix(image_id)) else ""
    folder, slash, _ = rest.partition("/")
    return folder if slash and REVISION_PATTERN.fullmatch(folder) else None


def decode_event_key(raw_key: str) -> str:
    """S3 event keys arrive URL-encoded with `+` for space: decode once, here."""
    return unquote_plus(raw_key)


def id_from_upload_key(key: str) -> str | None:
    """The id of an `uploads/<id>` key, or None for any other key."""
    if not key.startswith(UPLOAD_PREFIX):
        return None
    candidate = key[len(UPLOAD_PREFIX) :]
    return candidate if is_valid_id(candidate) else None
