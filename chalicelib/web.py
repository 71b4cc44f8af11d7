"""Small HTTP helpers shared by the routes: the app's own absolute URLs behind any stage
prefix, and the one check that a URL someone hands in is one of this app's picture pages.

Both live here so that the URL a page is linked by and the URL the oEmbed endpoint
accepts are built and read by the same code (`page_url`, `image_id_of_page`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import SplitResult, urlsplit

from . import keys

#: Longest URL `image_id_of_page` reads. A picture page's URL is the site root plus
#: `images/` and a 22-character id, far under this; the cap bounds the work a hostile
#: request can cause before it is refused.
MAX_PAGE_URL = 2048
DEFAULT_PORTS = {"http": 80, "https": 443}
#: Printable ASCII only: no spaces, control characters or non-ASCII look-alikes, which
#: URL parsers strip or fold in different ways.
_PRINTABLE = re.compile(r"[!-~]+")
#: Refused anywhere in a page URL: `\` (browsers read it as `/`), `@` (userinfo, so
#: `https://ours@evil/` cannot name another host to a parser that splits differently),
#: `%` (an encoded `/` or `.` cannot smuggle a path past the comparison), and `?`, `#`
#: (a picture page's URL has neither, so nothing can ride along with it).
_REFUSED = frozenset("\\@%?#")


def base_url(headers: Mapping[str, str], context: Mapping[str, Any]) -> str:
    """The app's own root URL with a trailing slash: `https://host/api/` behind API
    Gateway's stage prefix, `http://127.0.0.1:8000/` under `chalice local`.

    The request path is the stage prefix followed by the route's resource path, so the
    prefix is the path less as many trailing segments as the resource path has.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    host = lower.get("host", "localhost")
    proto = lower.get("x-forwarded-proto", "http")
    depth = len([part for part in str(context.get("resourcePath") or "").split("/") if part])
    parts = [part for part in str(context.get("path") or "").split("/") if part]
    prefix = parts[: max(0, len(parts) - depth)]
    return f"{proto}://{host}/" + "".join(f"{part}/" for part in prefix)


def site_root(
    configured: str | None, headers: Mapping[str, str], context: Mapping[str, Any]
) -> str:
    """The root every absolute link of the app starts from: `PICSET_SITE_URL` when the
    stage sets it (a custom domain or CDN in front, whose host the request may not carry),
    else the URL this request arrived at.

    Without the setting, the oEmbed check trusts the request's `Host`: behind API Gateway
    that is the API's own domain (it routes by it), so a request cannot name another; a
    proxy that forwards any `Host` unchecked needs `PICSET_SITE_URL` set."""
    if configured:
        return configured.rstrip("/") + "/"
    return base_url(headers, context)


def page_url(root: str, image_id: str) -> str:
    """The picture page of an image, absolute under `root`."""
    return f"{root}images/{image_id}"


def image_id_of_page(url: str, root: str) -> str | None:
    """The image id when `url` is exactly one of this app's picture pages under `root`,
    else None: same scheme, host and port as `root` (default ports made explicit), path
    `<root's path>images/<id>` with an id of the one id pattern, and nothing else."""
    if len(url) > MAX_PAGE_URL or _PRINTABLE.fullmatch(url) is None:
        return None
    if not _REFUSED.isdisjoint(url):
        return None
    try:
        given, own = urlsplit(url), urlsplit(root)
    except ValueError:  # e.g. an unclosed `[` of an IPv6 host
        return None
    origin = _origin(given)
    if origin is None or origin != _origin(own):
        return None
    prefix = f"{own.path.rstrip('/')}/images/"
    if not given.path.startswith(prefix):
        return None
    candidate = given.path[len(prefix) :]
    return candidate if keys.is_valid_id(candidate) else None


def _origin(parts: SplitResult) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an absolute http(s) URL, or None for anything else."""
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        port = parts.port  # raises for a port that is not a number in range
    except ValueError:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]
