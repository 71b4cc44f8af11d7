"""Upload tickets: check what the browser asks to upload, then presign a direct POST.

The presigned POST fixes the key to `uploads/<id>`, bounds the size with
`content-length-range`, pins the `Content-Type`, carries the sanitised file name (and
alt text) as object metadata, and expires quickly. The bytes never pass through the API.
A bucket or emulator may not enforce that policy, so the resize side checks again.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from . import formats, keys
from .errors import RequestError
from .settings import Settings

#: Content type -> label, from the format registry: a ticket is only handed out for a
#: type the resize side reads (it sniffs the bytes again; this only stops the obvious).
_ALLOWED_TYPES: dict[str, str] = formats.upload_types()
MAX_FILENAME = 200
MAX_ALT = 500
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class TicketRequest:
    filename: str
    content_type: str
    size: int
    alt: str | None = None


def sanitize_filename(raw: str) -> str:
    """The last path component, without control characters, trimmed to a sane length."""
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("", name).strip()
    if name in {"", ".", ".."}:
        return "upload"
    return name[:MAX_FILENAME]


def parse_request(body: Any, settings: Settings) -> TicketRequest:
    """Validate a ticket request body; raises `RequestError` with a code a client can use."""
    if not isinstance(body, dict):
        raise RequestError(
            "bad_request", "Send a JSON object with filename, content_type and size."
        )
    missing = [name for name in ("filename", "content_type", "size") if name not in body]
    if missing:
        raise RequestError("missing_field", f"Missing field(s): {', '.join(missing)}.")
    filename, content_type, size = body["filename"], body["content_type"], body["size"]
    if not isinstance(filename, str) or not filename.strip():
        raise RequestError("bad_filename", "filename must be a non-empty string.")
    if not isinstance(content_type, str):
        raise RequestError("bad_content_type", "content_type must be a string.")
    content_type = content_type.strip().lower()
    if content_type not in _ALLOWED_TYPES:
        kinds = ", ".join(sorted(set(_ALLOWED_TYPES.values())))
        raise RequestError(
            "unsupported_type", f"{content_type or 'This type'} is not accepted. Upload {kinds}."
        )
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise RequestError("bad_size", "size must be the file's size in bytes, a positive integer.")
    if size > settings.max_upload_bytes:
        raise RequestError(
            "too_large",
            f"The file is {size:,} bytes; the limit is {settings.max_upload_bytes:,} bytes.",
        )
    alt = body.get("alt")
    if alt is not None:
        if not isinstance(alt, str):
            raise RequestError("bad_alt", "alt must be a string (empty for a decorative image).")
        alt = _UNSAFE.sub(" ", alt).strip()[:MAX_ALT]
    return TicketRequest(sanitize_filename(filename), content_type, size, alt)


def encode_meta(value: str) -> str:
    """S3 metadata travels in HTTP headers, which are ASCII: percent-encode."""
    return quote(value, safe=" ")


def decode_meta(value: str | None) -> str | None:
    return unquote(value) if value is not None else None


def issue_ticket(
    client: Any, settings: Settings, request: TicketRequest, image_id: str
) -> dict[str, Any]:
    """Presign a POST for `uploads/<image_id>` and describe where to go next."""
    fields: dict[str, str] = {
        "Content-Type": request.content_type,
        "x-amz-meta-filename": encode_meta(request.filename),
    }
    if request.alt is not None:
        fields["x-amz-meta-alt"] = encode_meta(request.alt)
    conditions: list[Any] = [
        ["content-length-range", 1, settings.max_upload_bytes],
        *({name: value} for name, value in fields.items()),
    ]
    post = client.generate_presigned_post(
        Bucket=settings.bucket,
        Key=keys.upload_key(image_id),
        Fields=fields,
        Conditions=conditions,
        ExpiresIn=settings.ticket_expiry_seconds,
    )
    return {
        "id": image_id,
        "url": post["url"],
        "fields": post["fields"],
        "expires_in": settings.ticket_expiry_seconds,
        "max_bytes": settings.max_upload_bytes,
    }
