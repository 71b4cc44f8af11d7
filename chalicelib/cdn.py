"""The CDN in front of the variants: telling it that an image is gone.

Variants are sent with `Cache-Control: public, max-age=31536000, immutable`, so once an
owner deletes an image, CloudFront's edges could keep serving its files for up to a year
after the bucket is empty. In a stage with a distribution (`PICSET_DISTRIBUTION_ID`) the
delete therefore asks CloudFront to invalidate `/images/<id>/*`, every revision's
variants and the manifest, in one path. Locally there is no distribution, nothing is
asked, and no client is made.

The request goes out after the bucket is emptied, so an edge that fetches again finds
nothing. A failed request never fails the delete: the image is already gone from the
bucket, and raising would only show the owner an error for a deletion that happened. It
is logged as an error line (`picset.invalidation_failed`, with the distribution and the
paths) for an operator to repeat by hand.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, Protocol

from . import keys
from .settings import Settings

log = logging.getLogger("picset.cdn")


class Invalidate(Protocol):
    """What a delete calls once the image's objects are gone from the bucket."""

    def __call__(self, image_id: str) -> object: ...


def paths(image_id: str) -> list[str]:
    """The distribution's paths of everything stored for the image under `images/`."""
    return [f"/{keys.image_prefix(image_id)}*"]


def caller_reference(image_id: str) -> str:
    """One reference per image: CloudFront answers a repeated request (a delete retried
    after a later step failed) with the invalidation it already made, not a second one.
    Ids are never reused, so no other image's request can share it."""
    return f"picset-delete-{image_id}"


class Invalidator:
    """Invalidates one image's paths on one distribution, through a `cloudfront` client."""

    def __init__(self, client: Any, distribution_id: str) -> None:
        self.client = client
        self.distribution_id = distribution_id

    def __call__(self, image_id: str) -> str | None:
        """The invalidation's id; None (logged) when CloudFront did not take it."""
        wanted = paths(image_id)
        batch = {
            "Paths": {"Quantity": len(wanted), "Items": wanted},
            "CallerReference": caller_reference(image_id),
        }
        try:
            answer = self.client.create_invalidation(
                DistributionId=self.distribution_id, InvalidationBatch=batch
            )
        except Exception as exc:  # the image is deleted already: never fail the delete
            log.error(
                json.dumps(
                    {
                        "event": "picset.invalidation_failed",
                        "id": image_id,
                        "distribution_id": self.distribution_id,
                        "paths": wanted,
                        "error": f"{type(exc).__name__}: {exc}",
                    },
                    sort_keys=True,
                )
            )
            return None
        return str(answer["Invalidation"]["Id"])


def invalidator(client_of: Callable[[], Any], settings: Settings) -> Invalidate | None:
    """The stage's invalidator, or None when no distribution is named (locally)."""
    if not settings.distribution_id:
        return None
    return Invalidator(client_of(), settings.distribution_id)
