"""`GET /api/oembed`: a picture page's URL in, the responsive `<picture>` snippet out, as
an oEmbed 1.0 `rich` response, so pasting the page's link into an oEmbed consumer embeds
the image itself.

Parsing the query is kept apart from the answer. The `url` is checked strictly
(`web.image_id_of_page`): only this app's own picture pages are embedded, and anything
else is 404, so the endpoint can never be made to vouch for, or fetch, another URL. It
reads only the manifest, like the page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import images, render, sharing, web
from .errors import NotFound, RequestError
from .manifest import Manifest
from .settings import Settings
from .storage import Storage

VERSION = "1.0"
#: Pixel limits are a few digits: a longer number is no real layout (and never reaches
#: `int()` to cost anything).
_DIMENSION = re.compile(r"[1-9][0-9]{0,5}")


@dataclass(frozen=True)
class Request:
    image_id: str
    max_width: int | None = None
    max_height: int | None = None


def parse(query: Mapping[str, str], root: str) -> Request:
    """The request's parameters, checked in the spec's order of concern: a format it
    cannot answer in is 501, no `url` is 400, a `url` that is not one of this app's
    picture pages is 404, a limit that is not a positive whole number is 400."""
    fmt = query.get("format") or "json"
    if fmt != "json":
        raise RequestError("format_not_implemented", "Only format=json is available.", status=501)
    url = query.get("url")
    if not url:
        raise RequestError("missing_url", "Give the picture page's address as `url`.")
    image_id = web.image_id_of_page(url, root)
    if image_id is None:
        raise NotFound("That address is not a picture page of this site.")
    return Request(image_id, _dimension(query, "maxwidth"), _dimension(query, "maxheight"))


def _dimension(query: Mapping[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    if _DIMENSION.fullmatch(raw) is None:
        raise RequestError("bad_dimension", f"{name} must be a whole number of pixels.")
    return int(raw)


def respond(
    storage: Storage, settings: Settings, query: Mapping[str, str], root: str, now: datetime
) -> dict[str, Any]:
    """`GET /api/oembed` with `query`, for this app at `root`: the response, or a
    `RequestError`. Only a ready image embeds: a processing, failed or unknown one is
    404, as the spec answers a URL it has no embed for."""
    request = parse(query, root)
    state = images.lookup(storage, request.image_id, now, settings.processing_timeout_seconds)
    if state.manifest is None or not state.manifest.is_ready:
        raise NotFound("That image is not ready: it is still processing, or it failed.")
    return answer(state.manifest, settings.variant_base_url, root, request)


def answer(manifest: Manifest, base_url: str, root: str, request: Request) -> dict[str, Any]:
    """The oEmbed response for a ready manifest. `width`/`height` are the snippet's own
    `width`/`height` attributes: the image's size, scaled down to the limits asked."""
    pic = render.embed_picture(
        manifest, base_url, max_width=request.max_width, max_height=request.max_height
    )
    body: dict[str, Any] = {
        "version": VERSION,
        "type": "rich",
        "provider_name": sharing.PROVIDER_NAME,
        "provider_url": root,
        "html": str(render.embed_html(pic)),
        "width": pic.width,
        "height": pic.height,
    }
    # A decorative image has no title to give: "Image" would say nothing a consumer does
    # not already know, so the optional field is left out.
    if pic.alt:
        body["title"] = pic.alt
    thumb = sharing.thumbnail(manifest, request.max_width, request.max_height)
    if thumb is not None:
        body["thumbnail_url"] = render.variant_url(base_url, thumb)
        body["thumbnail_width"] = thumb.width
        body["thumbnail_height"] = thumb.height
    return body
