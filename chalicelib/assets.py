"""The app's own CSS and JavaScript, served from `chalicelib/static/` by `GET /assets/{name}`.

picset pulls nothing from another host: its pages work offline and on a private network,
and no third party sees who looks at them. Only the names in `ASSETS` are served, so a
request can never walk out of the folder. Each page links an asset with its content hash
(`?v=...`); a request that names the current hash may be cached for a year, anything else
is revalidated, so a deploy never leaves a browser on stale code.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

STATIC = Path(__file__).parent / "static"

#: Every file `GET /assets/{name}` may serve, with its Content-Type.
ASSETS: dict[str, str] = {
    "picset.css": "text/css; charset=utf-8",
    "upload.js": "text/javascript; charset=utf-8",
    "picture.js": "text/javascript; charset=utf-8",
    "status.js": "text/javascript; charset=utf-8",
    "session.js": "text/javascript; charset=utf-8",
    "library.js": "text/javascript; charset=utf-8",
}

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=0, must-revalidate"


@dataclass(frozen=True)
class Asset:
    name: str
    body: str
    content_type: str
    version: str

    def cache_control(self, requested_version: str | None) -> str:
        return IMMUTABLE if requested_version == self.version else REVALIDATE


@cache
def load(name: str) -> Asset | None:
    """The named asset, or None when the name is not on the list."""
    content_type = ASSETS.get(name)
    if content_type is None:
        return None
    body = (STATIC / name).read_text(encoding="utf-8")
    version = hashlib.sha256(body.encode()).hexdigest()[:12]
    return Asset(name, body, content_type, version)


def path(name: str) -> str:
    """The asset's path relative to the app's root, with its version: `assets/x.css?v=...`."""
    asset = load(name)
    if asset is None:
        raise KeyError(f"{name} is not a picset asset")
    return f"assets/{name}?v={asset.version}"
