"""The published contracts: JSON Schemas of what picset writes, served as they are stored.

`chalicelib/schemas/` holds one file per schema and version (`manifest.v1.json`), in the
deployment package, so `GET /api/schemas/{name}` serves the very schema the deployment's
writer is tested against (tests/test_contracts.py). Reading one is a file read: the API
loads nothing more for it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).parent / "schemas"
MANIFEST = "manifest.v1.json"
#: Every schema the API serves. A fixed list, so no part of a request's path ever
#: reaches the file system.
NAMES = (MANIFEST,)
CONTENT_TYPE = "application/schema+json"
#: A version's schema only gains optional fields, so a copy an hour old still validates
#: everything it knows of; a breaking change is a new name, never a new body.
CACHE_CONTROL = "public, max-age=3600"


@cache
def load(name: str) -> bytes | None:
    """The schema's bytes as stored, or None when the name is not on the list."""
    if name not in NAMES:
        return None
    return (SCHEMAS / name).read_bytes()


def manifest_schema() -> dict[str, Any]:
    """The manifest's schema, parsed."""
    body = load(MANIFEST)
    assert body is not None
    parsed: dict[str, Any] = json.loads(body)
    return parsed


def path_of(name: str) -> str:
    """Where the API serves a schema, relative to the app's root."""
    return f"api/schemas/{name}"
