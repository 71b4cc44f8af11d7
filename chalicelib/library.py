"""A signed-in person's own images: record at ticket time, list, change alt, delete.

The API's operations on owned images, so `app.py` stays a list of routes. Each takes the
DynamoDB client and the storage as arguments. Ownership is decided here, in one place:
an unknown or malformed id is 404, someone else's image 403. Statuses in a listing are
read from each image's manifest (`manifests.load`), never by listing the bucket.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from . import keys, manifests, quotas, records, removal, render, tickets, web
from .cdn import Invalidate
from .errors import Conflict, Forbidden, NotFound, RequestError, Unauthorized
from .identity import SUB_PATTERN, Caller
from .images import PROCESSING
from .manifest import FAILED, Manifest
from .records import ImageRecord
from .settings import Settings
from .storage import Storage
from .tickets import TicketRequest

DEFAULT_LIMIT = 20
MAX_LIMIT = 50
#: manifests read at once for one page of a listing
READERS = 8


def owner_of(caller: Caller) -> str:
    # A sub that is not a plain token is refused before it can name a partition.
    if SUB_PATTERN.fullmatch(caller.sub) is None:
        raise Unauthorized()
    return caller.sub


def record_upload(
    db: Any,
    settings: Settings,
    caller: Caller,
    request: TicketRequest,
    image_id: str,
    now: datetime,
) -> ImageRecord:
    """Reserve today's quota for the upload (`QuotaExceeded` when it is used up), then
    record who owns the image."""
    owner = owner_of(caller)
    limits = quotas.Limits(settings.quota_uploads_per_day, settings.quota_bytes_per_day)
    quotas.reserve(db, settings.table_name, owner, request.size, now, limits)
    record = ImageRecord(
        id=image_id,
        owner=owner,
        filename=request.filename,
        alt=request.alt,
        content_type=request.content_type,
        bytes=request.size,
        created_at=records.timestamp(now),
    )
    records.put(db, settings.table_name, record)
    return record


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise RequestError("bad_limit", f"limit must be a whole number from 1 to {MAX_LIMIT}.")
    return int(raw)


def entry(
    record: ImageRecord, manifest: Manifest | None, settings: Settings, root: str, now: datetime
) -> dict[str, Any]:
    """What the owner's library shows of one image. The file name is the owner's own."""
    status, error = PROCESSING, None
    if manifest is not None:
        status = manifest.status
        error = (
            {"code": manifest.error.code, "message": manifest.error.message}
            if (manifest.error)
            else None
        )
    elif _waited_too_long(record, settings, now):
        status, error = FAILED, {"code": "timeout", "message": "No upload finished in time."}
    preview = None
    if manifest is not None and manifest.is_ready and manifest.variants:
        narrowest = manifest.variants_of(render.fallback_format(manifest))[:1]
        if narrowest:
            preview = render.variant_url(settings.variant_base_url, narrowest[0])
    return {
        "id": record.id,
        "status": status,
        "error": error,
        "preview_url": preview,
        "width": manifest.width if manifest else None,
        "height": manifest.height if manifest else None,
        "alt": record.alt,
        "filename": record.filename,
        "bytes": record.bytes,
        "created_at": record.created_at,
        "page_url": web.page_url(root, record.id),
        "status_url": f"{root}api/images/{record.id}",
    }


def _waited_too_long(record: ImageRecord, settings: Settings, now: datetime) -> bool:
    """A ticket never used, or an upload never answered: past the ticket's life and the
    processing bound, "processing" would never end."""
    created = datetime.strptime(record.created_at, records.TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    bound = settings.ticket_expiry_seconds + settings.processing_timeout_seconds
    return now - created > timedelta(seconds=bound)


def list_images(
    db: Any,
    storage: Storage,
    settings: Settings,
    caller: Caller,
    *,
    limit: int,
    cursor: str | None,
    root: str,
    now: datetime,
) -> dict[str, Any]:
    owner = owner_of(caller)
    found, next_cursor = records.page(db, settings.table_name, owner, limit, cursor)
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        loaded = list(pool.map(lambda r: manifests.load(storage, r.id), found))
    return {
        "images": [
            entry(record, manifest, settings, root, now)
            for record, manifest in zip(found, loaded, strict=True)
        ],
        "cursor": next_cursor,
    }


def owned(db: Any, settings: Settings, caller: Caller, image_id: str) -> ImageRecord:
    """The caller's record of `image_id`: 404 for a malformed or unknown id, 403 when it
    is someone else's (ids are unguessable, so saying it exists tells nothing new)."""
    owner = owner_of(caller)
    if not keys.is_valid_id(image_id):
        raise NotFound()
    record = records.find(db, settings.table_name, image_id)
    if record is None:
        raise NotFound()
    if record.owner != owner:
        raise Forbidden()
    return record


def change_alt(
    db: Any,
    storage: Storage,
    settings: Settings,
    caller: Caller,
    image_id: str,
    body: Any,
    *,
    root: str,
    now: datetime,
) -> dict[str, Any]:
    """Set the image's alt text (the ticket's rules) in its public manifest, which keeps
    its revision and variants, and in its record. A still-processing image is 409: its
    manifest, when it comes, is written from the upload's own alt."""
    record = owned(db, settings, caller, image_id)
    if not isinstance(body, dict):
        raise RequestError("bad_request", 'Send a JSON object: {"alt": "..."}.')
    alt = tickets.parse_alt(body)
    manifest = manifests.change_alt(storage, image_id, alt)
    if manifest is None:
        raise Conflict(
            "processing", "This image is still processing; change its alt text once it is done."
        )
    records.set_alt(db, settings.table_name, record, alt)
    changed = ImageRecord(**{**record.__dict__, "alt": alt})
    return entry(changed, manifest, settings, root, now)


def delete_image(
    db: Any,
    storage: Storage,
    settings: Settings,
    caller: Caller,
    image_id: str,
    invalidate: Invalidate | None = None,
) -> None:
    """Remove the image from the bucket in `removal`'s order, have the CDN drop its
    copies (`invalidate`, in a stage with one), then remove its record (last, so a
    failure half-way leaves the owner a record to delete again)."""
    record = owned(db, settings, caller, image_id)
    removal.delete_image(storage, image_id)
    if invalidate is not None:
        invalidate(image_id)  # after the bucket is empty: an edge that refetches finds nothing
    records.remove(db, settings.table_name, record)
