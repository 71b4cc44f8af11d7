"""The tag the bucket's lifecycle rules read: an original carries `picset-status=failed`
exactly while the manifest in place for it is `failed`, so S3 itself deletes the originals
of failed images.

The rules are declared in `deploy/sam-prod.json` (the queued stage) and by
`dev.bootstrap.lifecycle_rules` (the buckets `dev.cli create-bucket` and the local
bootstrap make): an `uploads/<id>` tagged `picset-status=failed` expires
`PICSET_FAILED_ORIGINAL_DAYS` after its upload, and multipart uploads left incomplete are
aborted. A ready image's original is kept (a reprocess needs it) and carries no tag: a
ready run removes the tags, which is what clears `failed` when a reprocess succeeds after
a failure, and stores nothing (S3 bills object tags by the month). See docs/lifecycle.md.

The tag follows the manifest in place, not the run: after each tag it writes, a run reads
the manifest again and, if a newer run's manifest of the other status stands, tags for
that one and reads again. So every tag written is followed by a read that found it
matching. The last run to put a manifest in place tags after its put; a tag any run writes
after that one is followed by a read after that put, which sees the last manifest.
Whatever the interleaving, the last tag written matches the manifest that stands (S3 has
no conditional tagging, so this is how a stale run's `failed` never outlives a newer
`ready`).

Tagging comes after the manifest is in place and never fails the run: raising would make
the upload be delivered again and skipped as already finished, tagging nothing. A tag that
cannot be written is logged as `picset.tag_lost` for an operator: with status `failed` the
original is kept (no harm but the storage), with status `ready` it still carries an older
`failed` and will expire unless tagged again (`dev.cli reprocess ID` does it).
"""

from __future__ import annotations

import json
import logging

from . import keys, manifests
from .manifest import FAILED, Manifest
from .storage import Storage

log = logging.getLogger("picset.lifecycle")

#: The tag on `uploads/<id>` of a failed image; the lifecycle rule expires what carries it.
STATUS_TAG = "picset-status"
#: Tags written per run at most: its own status, then once per newer manifest of the other
#: status seen in between (runs of one image overlapping that much are already rare).
MARK_ATTEMPTS = 3


def status_tags(status: str) -> dict[str, str]:
    """The tags of an original whose manifest has `status`: the failed mark, or none."""
    return {STATUS_TAG: FAILED} if status == FAILED else {}


def mark(storage: Storage, manifest: Manifest) -> None:
    """Tag the original of `manifest`, just put in place, with the status of the manifest
    that stands for it."""
    status = manifest.status
    for _ in range(MARK_ATTEMPTS):
        if not _tag(storage, manifest.id, status):
            return
        try:
            standing = manifests.load(storage, manifest.id)
        except Exception as exc:  # a lost tag must never fail the run
            _lost(manifest.id, status, exc)
            return
        if standing is None or standing.status == status:
            return  # deleted by its owner since, or the tag matches what stands
        status = standing.status
    _lost(manifest.id, status, RuntimeError("the manifest kept changing status"))


def _tag(storage: Storage, image_id: str, status: str) -> bool:
    """True once the original carries the tags of `status`; False when it is gone
    (deleted by its owner: nothing to keep or expire) or they could not be written (logged)."""
    # Tagging is `s3:ObjectTagging:*`, not `s3:ObjectCreated:*`: it never triggers the
    # resize function, which is why its role may tag under `uploads/` and write nothing there.
    try:
        return storage.tag(keys.upload_key(image_id), status_tags(status))
    except Exception as exc:  # a lost tag must never fail the run
        _lost(image_id, status, exc)
        return False


def _lost(image_id: str, status: str, exc: Exception) -> None:
    log.error(
        json.dumps(
            {
                "event": "picset.tag_lost",
                "id": image_id,
                "key": keys.upload_key(image_id),
                "status": status,
                "error": f"{type(exc).__name__}: {exc}",
            },
            sort_keys=True,
        )
    )
