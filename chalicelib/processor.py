"""Processing one uploaded original: read it, run the pipeline, write variants under a
fresh revision, then offer the manifest, last.

This is everything the resize function does, behind `Storage`, so the Lambda, the local
worker, the CLI's `reprocess` and the tests all share it. Bad input never raises: it
ends as a `failed` manifest with a code and a message. Work is idempotent: an event for an
original the manifest in place already answers (by the private state, `chalicelib.state`,
which keeps the original's ETag and file name out of the public manifest) does nothing.
Overlapping runs are safe: each writes under its own revision, `manifests.replace` lets
only the newest manifest stand, a run that loses deletes what it wrote, and a replaced
manifest's variants are deleted only after its successor is in place (see `manifests`).
Once its manifest is in place, a run tags the original of a failed image (and removes
the tag for a ready one), which is how the bucket's lifecycle rule finds the originals of
failed images (`lifecycle`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from . import keys, lifecycle, manifests, pipeline, state
from .errors import PicsetError, ProcessingFailed, TimedOut, TooLarge
from .events import Announce
from .manifest import FAILED, READY, ErrorInfo, Manifest, Source, Variant
from .settings import Settings
from .storage import ObjectInfo, Storage
from .tickets import decode_meta

log = logging.getLogger("picset.resize")

VARIANT_CACHE_CONTROL = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class UploadRecord:
    """One S3 ObjectCreated record, its key decoded; `etag` and `sequencer` are the
    event's own ("" when it carries none, e.g. a reprocess)."""

    key: str
    size: int | None = None
    etag: str = ""
    sequencer: str = ""


@dataclass
class Outcome:
    key: str
    status: str  # ready | failed | skipped | superseded | missing | ignored
    image_id: str | None = None
    manifest: Manifest | None = None
    detail: str = ""
    bytes_written: dict[str, int] = field(default_factory=dict)


def s3_records(event: dict[str, Any]) -> list[UploadRecord]:
    """The object records of an S3 event (skipping moto's and S3's `s3:TestEvent`)."""
    records = []
    for record in event.get("Records", []) or []:
        obj = (record.get("s3") or {}).get("object") or {}
        if "key" not in obj:
            continue
        size = obj.get("size")
        records.append(
            UploadRecord(
                keys.decode_event_key(obj["key"]),
                int(size) if size is not None else None,
                str(obj.get("eTag") or "").strip('"'),
                str(obj.get("sequencer") or ""),
            )
        )
    return records


def utc_now() -> datetime:
    return datetime.now(UTC)


class Processor:
    def __init__(
        self,
        storage: Storage,
        settings: Settings,
        *,
        now: Callable[[], datetime] = utc_now,
        force: bool = False,
        announce: Announce | None = None,
    ) -> None:
        self.storage = storage
        self.settings = settings
        self.options = pipeline.Options.from_settings(settings)
        self.now = now
        self.force = force
        #: told of each manifest this processor puts in place (`chalicelib.events`)
        self.announce = announce

    def handle_event(self, event: dict[str, Any]) -> list[Outcome]:
        return [self.process(record) for record in s3_records(event)]

    def process(self, record: UploadRecord) -> Outcome:
        outcome = self._process(record)
        self._log(outcome)
        return outcome

    def give_up(self, event: dict[str, Any], reason: str) -> list[Outcome]:
        """The event's last delivery failed for an unexpected reason: record a `failed`
        manifest (code `internal`) for each of its images that has no answer yet, so a
        poller stops waiting. An image already finished for this ETag is left alone."""
        return [
            self.record_failure(record, ProcessingFailed(detail=reason))
            for record in s3_records(event)
        ]

    def time_out(self, event: dict[str, Any], reason: str) -> list[Outcome]:
        """Every delivery of the event was stopped before it answered (a timeout, an
        out-of-memory kill): record `failed` with code `timeout` where no answer exists."""
        return [
            self.record_failure(record, TimedOut(detail=reason)) for record in s3_records(event)
        ]

    def record_failure(self, record: UploadRecord, error: PicsetError) -> Outcome:
        found = self._triage(record, force=False)
        if isinstance(found, Outcome):
            outcome = found
        else:
            image_id, info, existing = found
            manifest = self.failed_manifest(
                image_id,
                _source_of(info, self._sequencer(record, existing)),
                error,
                time.perf_counter(),
                _alt_of(info),
                revision=keys.new_revision(self.now()),
            )
            try:
                # The state is written after this manifest, not before: the check that
                # no answer exists reads the state of the manifest in place.
                manifests.replace(self.storage, manifest, unless_finished=info.etag)
                state.record(self.storage, _state_of(manifest, info))
                self._announce(manifest)
                lifecycle.mark(self.storage, manifest)
                outcome = Outcome(record.key, FAILED, image_id, manifest, error.detail)
            except manifests.Superseded as lost:
                outcome = Outcome(record.key, "skipped", image_id, lost.current, "answered")
        self._log(outcome)
        return outcome

    def _triage(
        self, record: UploadRecord, *, force: bool
    ) -> Outcome | tuple[str, ObjectInfo, Manifest | None]:
        """Either the outcome for a record that needs no work (not ours, gone, replaced
        since, or already finished for this ETag), or what to work on: the image id, the
        original's info and the manifest in place."""
        image_id = keys.id_from_upload_key(record.key)
        if image_id is None:
            return Outcome(record.key, "ignored", detail="not an uploads/<id> key")
        info = self.storage.head(record.key)
        if info is None:
            return Outcome(record.key, "missing", image_id, detail="original not found")
        if record.etag and record.etag != info.etag:
            # A newer upload replaced this one; its own event follows and is the one to do.
            return Outcome(record.key, "superseded", image_id, detail="original replaced since")
        existing = manifests.load(self.storage, image_id)
        if existing is not None and not force:
            known = state.load(self.storage, image_id)
            if known is not None and known.answers(existing.revision, info.etag):
                return Outcome(record.key, "skipped", image_id, existing, "already finished")
        return image_id, info, existing

    def _alt(self, info: ObjectInfo, existing: Manifest | None) -> str | None:
        """The upload's alt text, unless the manifest in place answers for this very
        original: then its alt, which the owner may have changed since (a reprocess must
        not bring the old text back)."""
        if existing is not None:
            known = state.load(self.storage, existing.id)
            if known is not None and known.answers(existing.revision, info.etag):
                return existing.alt
        return _alt_of(info)

    def _sequencer(self, record: UploadRecord, existing: Manifest | None) -> str:
        """The event's sequencer; a run without one (a reprocess) works on the original
        in place, which is at least as new as the one the manifest describes."""
        if record.sequencer:
            return record.sequencer
        return existing.source.sequencer if existing is not None else ""

    def _process(self, record: UploadRecord) -> Outcome:
        found = self._triage(record, force=self.force)
        if isinstance(found, Outcome):
            return found
        image_id, info, existing = found
        started = time.perf_counter()
        revision = keys.new_revision(self.now())
        sequencer = self._sequencer(record, existing)
        alt = self._alt(info, existing)
        written: dict[str, int] = {}
        try:
            ran = self._run(record, info)
            if ran is None:
                return Outcome(record.key, "missing", image_id, detail="original vanished")
            # The bytes read are what the manifest describes, even if the object was
            # replaced since the HEAD (the newer object's own event will follow).
            ctx, info = ran
            variants = self._write_variants(image_id, revision, ctx.outputs, written)
            manifest = self._ready_manifest(
                image_id, ctx, info, variants, started, revision, sequencer, alt
            )
        except PicsetError as exc:
            manifest = self.failed_manifest(
                image_id, _source_of(info, sequencer), exc, started, alt, revision=revision
            )
            return self._offer(record, manifest, info, exc.detail, written)
        return self._offer(record, manifest, info, "", written)

    def _offer(
        self,
        record: UploadRecord,
        manifest: Manifest,
        info: ObjectInfo,
        detail: str,
        written: dict[str, int],
    ) -> Outcome:
        """Record what the run processed in the private state, then put the run's
        manifest in place and tidy up behind it, or, if a newer one stands, withdraw the
        run's own variants. The state goes first, so a manifest in place whose revision
        the state names is always that run's answer for the ETag the state names."""
        state.record(self.storage, _state_of(manifest, info))
        try:
            replaced = manifests.replace(self.storage, manifest)
        except manifests.Superseded as lost:
            self._delete_variants(manifest)
            detail = f"a newer run's manifest stands ({lost.current.revision})"
            return Outcome(record.key, "superseded", manifest.id, lost.current, detail, written)
        # Announced and tagged before the tidy-up: a failed delete raises, and the delivery
        # after it is skipped as already finished, so it would never do either.
        self._announce(manifest)
        lifecycle.mark(self.storage, manifest)
        self._remove_stale(manifest, replaced)
        return Outcome(record.key, manifest.status, manifest.id, manifest, detail, written)

    def _announce(self, manifest: Manifest) -> None:
        """Only a manifest that went in place is announced, once, by the run that put it
        there; a send that fails is logged and never undoes or fails the run."""
        if self.announce is not None:
            self.announce(manifest)

    def _ready_manifest(
        self,
        image_id: str,
        ctx: pipeline.Context,
        info: ObjectInfo,
        variants: list[Variant],
        started: float,
        revision: str,
        sequencer: str,
        alt: str | None,
    ) -> Manifest:
        return Manifest(
            id=image_id,
            status=READY,
            source=Source(
                bytes=info.size,
                format=ctx.format,
                width=ctx.source_width,
                height=ctx.source_height,
                frames=ctx.frames,
                sequencer=sequencer,
            ),
            created_at=self.now().isoformat(),
            processing_ms=_ms_since(started),
            width=ctx.display_width,
            height=ctx.display_height,
            alt=alt,
            placeholder=ctx.placeholder,
            color=ctx.color,
            has_alpha=ctx.has_alpha,
            animated=ctx.animated,
            notes=list(ctx.notes),
            variants=variants,
            steps_ms=dict(ctx.timings),
            revision=revision,
        )

    def failed_manifest(
        self,
        image_id: str,
        source: Source,
        error: PicsetError,
        started: float,
        alt: str | None = None,
        *,
        revision: str = "",
    ) -> Manifest:
        return Manifest(
            id=image_id,
            status=FAILED,
            source=source,
            created_at=self.now().isoformat(),
            processing_ms=_ms_since(started),
            alt=alt,
            error=ErrorInfo(error.code, error.message),
            revision=revision,
        )

    def _run(
        self, record: UploadRecord, info: ObjectInfo
    ) -> tuple[pipeline.Context, ObjectInfo] | None:
        # The ticket's policy caps the size, but emulators and misconfigured buckets do
        # not enforce it: check the event's size and the object's own before reading.
        cap = self.settings.max_upload_bytes
        declared = max(info.size, record.size or 0)
        if declared > cap:
            raise TooLarge(f"This file is {declared:,} bytes; the limit is {cap:,} bytes.")
        found = self.storage.get(record.key)
        if found is None:
            return None
        # The pipeline's guard checks the bytes actually read against the cap again, and
        # its sniff step decides the type from those bytes, never from the Content-Type.
        ctx = pipeline.Context(data=found[1], options=self.options)
        return pipeline.run(ctx), found[0]

    def _write_variants(
        self,
        image_id: str,
        revision: str,
        outputs: list[pipeline.Output],
        written: dict[str, int],
    ) -> list[Variant]:
        variants = [
            Variant(
                format=out.format,
                width=out.width,
                height=out.height,
                key=keys.variant_key(image_id, revision, out.width, out.format),
                bytes=len(out.body),
                content_type=out.content_type,
                quality=out.quality,
                score=out.score,
                chroma=out.chroma,
            )
            for out in outputs
        ]

        def put(pair: tuple[Variant, pipeline.Output]) -> None:
            variant, out = pair
            self.storage.put(
                variant.key,
                out.body,
                content_type=variant.content_type,
                cache_control=VARIANT_CACHE_CONTROL,
            )

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(put, zip(variants, outputs, strict=True)))
        for variant in variants:
            written[variant.format] = written.get(variant.format, 0) + variant.bytes
        return variants

    def _delete_variants(self, manifest: Manifest) -> None:
        if manifest.variants:
            self.storage.delete([v.key for v in manifest.variants])

    def _remove_stale(self, manifest: Manifest, replaced: Manifest | None) -> None:
        """Once `manifest` is in place: delete what the manifest it replaced named, and
        revisions no manifest names that are older than any run can still be running
        (left by a run that was killed). Revisions of runs that may still be going are
        left alone: such a run either wins later or withdraws its own variants."""
        keep = {v.key for v in manifest.variants}
        stale = {v.key for v in replaced.variants} - keep if replaced else set()
        oldest_live = self.now() - timedelta(seconds=self.settings.processing_timeout_seconds)
        for key in self.storage.list_keys(keys.image_prefix(manifest.id)):
            revision = keys.revision_of(key, manifest.id)
            if revision is None or revision == manifest.revision:
                continue
            started = keys.revision_started(revision)
            if started is not None and started < oldest_live:
                stale.add(key)
        if stale:
            self.storage.delete(sorted(stale))

    def _log(self, outcome: Outcome) -> None:
        manifest = outcome.manifest
        line: dict[str, Any] = {
            "event": "picset.resize",
            "key": outcome.key,
            "id": outcome.image_id,
            "outcome": outcome.status,
        }
        if manifest is not None:
            line.update(
                error_code=manifest.error.code if manifest.error else None,
                source_format=manifest.source.format,
                source_bytes=manifest.source.bytes,
                source_size=[manifest.source.width, manifest.source.height],
                processing_ms=manifest.processing_ms,
                steps_ms=manifest.steps_ms,
                bytes_written=outcome.bytes_written,
            )
        if outcome.detail:
            line["detail"] = outcome.detail
        if self.settings.log_json:
            log.info(json.dumps(line, sort_keys=True))


def _source_of(info: ObjectInfo, sequencer: str = "") -> Source:
    """What the public may know of an original before it is decoded."""
    return Source(bytes=info.size, sequencer=sequencer)


def _state_of(manifest: Manifest, info: ObjectInfo) -> state.PrivateState:
    """What only the resize side keeps of the original `manifest` describes."""
    return state.PrivateState(
        id=manifest.id,
        etag=info.etag,
        filename=decode_meta(info.metadata.get("filename")) or "",
        revision=manifest.revision,
        sequencer=manifest.source.sequencer,
    )


def _alt_of(info: ObjectInfo) -> str | None:
    return decode_meta(info.metadata.get("alt"))


def _ms_since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
