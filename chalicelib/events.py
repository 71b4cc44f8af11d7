"""Announcing finished images on EventBridge: what the event says, and sending it.

Each time a run puts a manifest in place (the resize function's answer, or the failure
recorder's), one event goes to the stage's bus (`PICSET_EVENT_BUS`), so a site reacts
with a rule of its own (a Lambda, a queue, an API destination for a webhook) instead of
polling the status API. See docs/events.md for the event and an example rule.

The detail carries only what the status API already shows anyone who has the id: the
id, status, revision, page URL, error code and variant count. Never the alt text, the
file name, the owner or the original's ETag: a rule's targets sit outside picset's own
checks, and a bus can be shared with other accounts.

Building the entry is pure (`entry`); `Announcer` sends it. Sending happens after the
manifest is in place, so a failed send can lose only the event, never the answer, and it
never fails the run: raising would only make the queue deliver the upload again, and
that delivery is skipped as already finished, announcing nothing. So a send is tried a
few times for EventBridge's own passing errors, then logged as an error line
(`picset.events`, with the id and revision) for an operator, and the run goes on.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from . import web
from .manifest import FAILED, READY, Manifest
from .settings import Settings

log = logging.getLogger("picset.events")

SOURCE = "picset"
DETAIL_TYPES = {READY: "Image Ready", FAILED: "Image Failed"}

#: Entry errors EventBridge itself calls passing; any other (no such bus, no permission,
#: a malformed entry) would fail the same way again, so it is not retried.
RETRYABLE = frozenset({"InternalFailure", "ThrottlingException"})
#: Sends of one event in all; boto3's own retries already cover a failed request.
ATTEMPTS = 3
#: Seconds before the second send; each later one waits twice as long.
BACKOFF = 0.2


class Announce(Protocol):
    """What the processor calls once a manifest is in place."""

    def __call__(self, manifest: Manifest) -> object: ...


def page_url(site_url: str | None, image_id: str) -> str | None:
    """The image's picture page under the app's own URL (None when it is not known)."""
    if not site_url:
        return None
    return web.page_url(site_url.rstrip("/") + "/", image_id)


def detail(manifest: Manifest, site_url: str | None) -> dict[str, Any]:
    """The event's `detail`: exactly these six fields, nothing that names a person or a
    file. `revision` lets a consumer drop a repeat, and order two events of one image."""
    return {
        "id": manifest.id,
        "status": manifest.status,
        "revision": manifest.revision,
        "page_url": page_url(site_url, manifest.id),
        "error_code": manifest.error.code if manifest.error else None,
        "variant_count": len(manifest.variants),
    }


def entry(manifest: Manifest, *, bus: str, site_url: str | None) -> dict[str, Any]:
    """The `PutEvents` entry announcing `manifest`."""
    return {
        "EventBusName": bus,
        "Source": SOURCE,
        "DetailType": DETAIL_TYPES[manifest.status],
        "Detail": json.dumps(detail(manifest, site_url), sort_keys=True),
    }


class Announcer:
    """Sends one event per manifest to the settings' bus, through an `events` client."""

    def __init__(
        self, client: Any, settings: Settings, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.client = client
        self.bus = settings.event_bus
        self.site_url = settings.site_url
        self.sleep = sleep

    def __call__(self, manifest: Manifest) -> bool:
        """True once EventBridge has taken the event; False (logged) when it has not."""
        sent = entry(manifest, bus=self.bus, site_url=self.site_url)
        error = ""
        for attempt in range(ATTEMPTS):
            if attempt:
                self.sleep(BACKOFF * 2 ** (attempt - 1))
            try:
                answer = self.client.put_events(Entries=[sent])
            except Exception as exc:  # a lost event must never fail the run
                error = f"{type(exc).__name__}: {exc}"
                break  # boto3 has already retried what retrying can help
            if not answer.get("FailedEntryCount"):
                return True
            (result,) = answer.get("Entries") or [{}]
            code = str(result.get("ErrorCode") or "")
            error = f"{code}: {result.get('ErrorMessage') or ''}".strip()
            if code not in RETRYABLE:
                break
        log.error(
            json.dumps(
                {
                    "event": "picset.event_lost",
                    "id": manifest.id,
                    "revision": manifest.revision,
                    "detail_type": sent["DetailType"],
                    "error": error,
                },
                sort_keys=True,
            )
        )
        return False


def announcer(client_of: Callable[[], Any], settings: Settings) -> Announce | None:
    """The stage's announcer, or None when `PICSET_EVENT_BUS` is empty (events off)."""
    if not settings.event_bus:
        return None
    return Announcer(client_of(), settings)
