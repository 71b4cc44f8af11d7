"""Originals the resize side never answered: `uploads/<id>` objects with no
`images/<id>/manifest.json`, for `python -m dev.cli unprocessed`.

No lifecycle rule touches them: they carry no status tag, since only a run that puts a
manifest in place tags its original (`chalicelib.lifecycle`). They are what is left when
every path that should answer an upload failed too (the trigger was not wired, the
failure queue's consumer never ran, a message was purged), so an operator decides:
`reprocess ID` or `delete ID`.

One younger than the processing bound (`PICSET_PROCESSING_TIMEOUT_SECONDS`) may still be
processing, so it is reported apart and does not count as unprocessed. The listing pages
through `uploads/` (`list_objects_v2`, at most 1000 keys a page); each original then costs
one HEAD of its manifest, a few at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib import keys
from chalicelib.storage import S3Storage
from dev.progress import human_bytes

#: `list_objects_v2` returns at most this many keys a page, whatever is asked.
MAX_PAGE_SIZE = 1000
#: Manifest HEADs in flight at once.
CHECKERS = 8


@dataclass(frozen=True)
class Original:
    image_id: str
    size: int
    uploaded: datetime

    def age(self, now: datetime) -> timedelta:
        return now - self.uploaded

    def to_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.image_id,
            "key": keys.upload_key(self.image_id),
            "bytes": self.size,
            "uploaded": self.uploaded.isoformat(),
            "age_seconds": int(self.age(now).total_seconds()),
        }


@dataclass
class Report:
    bucket: str
    now: datetime
    bound_seconds: int
    #: older than the bound with no manifest: never processed
    unprocessed: list[Original] = field(default_factory=list)
    #: younger than the bound with no manifest: may still be processing
    pending: list[Original] = field(default_factory=list)
    #: originals looked at, and keys under `uploads/` that are not `uploads/<id>`
    checked: int = 0
    foreign: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "bucket": self.bucket,
            "bound_seconds": self.bound_seconds,
            "checked": self.checked,
            "unprocessed": [o.to_dict(self.now) for o in self.unprocessed],
            "unprocessed_bytes": total_bytes(self.unprocessed),
            "processing": [o.to_dict(self.now) for o in self.pending],
            "processing_bytes": total_bytes(self.pending),
            "not_picset_keys": self.foreign,
        }


def total_bytes(originals: list[Original]) -> int:
    return sum(o.size for o in originals)


def pages(s3: Any, bucket: str, page_size: int) -> Iterator[list[dict[str, Any]]]:
    """Each page of `uploads/` as S3 lists it (`Key`, `Size`, `LastModified`)."""
    paginator = s3.get_paginator("list_objects_v2")
    config = {"PageSize": min(page_size, MAX_PAGE_SIZE)}
    for page in paginator.paginate(
        Bucket=bucket, Prefix=keys.UPLOAD_PREFIX, PaginationConfig=config
    ):
        yield list(page.get("Contents", []))


def find(
    s3: Any, bucket: str, now: datetime, bound_seconds: int, *, page_size: int = MAX_PAGE_SIZE
) -> Report:
    """Every original in `bucket` without a manifest at `now`, oldest first."""
    storage = S3Storage(s3, bucket)
    report = Report(bucket, now, bound_seconds)
    oldest_pending = now - timedelta(seconds=bound_seconds)

    def unanswered(original: Original) -> bool:
        return storage.head(keys.manifest_key(original.image_id)) is None

    with ThreadPoolExecutor(max_workers=CHECKERS) as pool:
        for page in pages(s3, bucket, page_size):
            originals = []
            for item in page:
                image_id = keys.id_from_upload_key(item["Key"])
                if image_id is None:
                    report.foreign += 1  # the resize function ignores it too
                    continue
                originals.append(Original(image_id, int(item["Size"]), item["LastModified"]))
            report.checked += len(originals)
            for original, missing in zip(originals, pool.map(unanswered, originals), strict=True):
                if not missing:
                    continue
                if original.uploaded < oldest_pending:
                    report.unprocessed.append(original)
                else:
                    report.pending.append(original)
    report.unprocessed.sort(key=lambda o: o.uploaded)
    report.pending.sort(key=lambda o: o.uploaded)
    return report


def human_age(age: timedelta) -> str:
    """`45s`, `12m 5s`, `5h 3m`, `3d 4h`: the two largest units, rounded down."""
    seconds = max(0, int(age.total_seconds()))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {seconds}s"
    return f"{seconds}s"


def text(report: Report) -> str:
    """One tab-separated line per original (`unprocessed` or `processing`, id, age, size,
    upload time), oldest first, then the totals."""
    lines = [_line("unprocessed", o, report.now) for o in report.unprocessed]
    lines += [_line("processing", o, report.now) for o in report.pending]
    lines.append(
        f"{len(report.unprocessed)} unprocessed original(s), "
        f"{human_bytes(total_bytes(report.unprocessed))} in all, of {report.checked} in "
        f"{report.bucket} (no manifest {report.bound_seconds} s after upload: "
        "PICSET_PROCESSING_TIMEOUT_SECONDS)"
    )
    if report.pending:
        lines.append(
            f"{len(report.pending)} more, {human_bytes(total_bytes(report.pending))}, "
            "younger than that: they may still be processing"
        )
    if report.foreign:
        lines.append(f"{report.foreign} key(s) under uploads/ are not uploads/<id>")
    return "".join(f"{line}\n" for line in lines)


def _line(label: str, original: Original, now: datetime) -> str:
    age = human_age(original.age(now))
    return "\t".join(
        (label, original.image_id, age, human_bytes(original.size), original.uploaded.isoformat())
    )
