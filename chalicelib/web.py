"""Small HTTP helpers shared by the routes: absolute URLs behind any stage prefix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


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
