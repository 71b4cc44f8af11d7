"""The bucket layout: ids, and the keys built from them, in one place.

Originals live under `uploads/<id>` (private), variants and the manifest under
`images/<id>/` (public). The S3 trigger listens on `uploads/` only and the resize
function writes only under `images/`, so its own writes can never re-trigger it.
Ids are 128 random bits, URL-safe; every route checks them with `ID_PATTERN` before
touching S3, so `..`, slashes or encoded tricks never reach a key.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import unquote_plus

from . import formats

UPLOAD_PREFIX = "uploads/"
IMAGES_PREFIX = "images/"
MANIFEST_NAME = "manifest.json"

#: 16 random bytes in URL-safe base64 are exactly 22 characters of [A-Za-z0-9_-].
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{22}")


def new_image_id() -> str:
    """A fresh unguessable id (128 bits); the only impure function here."""
    return secrets.token_urlsafe(16)


def is_valid_id(image_id: str) -> bool:
    return ID_PATTERN.fullmatch(image_id) is not None


def upload_key(image_id: str) -> str:
    return f"{UPLOAD_PREFIX}{image_id}"


def image_prefix(image_id: str) -> str:
    return f"{IMAGES_PREFIX}{image_id}/"


def manifest_key(image_id: str) -> str:
    return f"{image_prefix(image_id)}{MANIFEST_NAME}"


def variant_key(image_id: str, width: int, fmt: str) -> str:
    return f"{image_prefix(image_id)}{width}w.{formats.get(fmt).extension}"


def decode_event_key(raw_key: str) -> str:
    """S3 event keys arrive URL-encoded with `+` for space: decode once, here."""
    return unquote_plus(raw_key)


def id_from_upload_key(key: str) -> str | None:
    """The id of an `uploads/<id>` key, or None for any other key."""
    if not key.startswith(UPLOAD_PREFIX):
        return None
    candidate = key[len(UPLOAD_PREFIX) :]
    return candidate if is_valid_id(candidate) else None
