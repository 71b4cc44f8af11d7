"""Upload tickets: check what the browser asks to upload, then presign a direct POST.

The presigned POST fixes the key to `uploads/<id>`, bounds the size with
`content-length-range`, pins the `Content-Type`, carries the sanitised file name (and
alt text) as object metadata, and expires quickly. The bytes never pass through the API.
A bucket or emulator may not enforce that policy, so the resize side checks again.

Alt text is required (`""` marks a decorative image). The metadata is sized here, in one
place, as S3 counts it, so no ticket carries more than S3 takes: the file name is
shortened to a fixed budget, and an alt text that still does not fit is refused.
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

#: Real S3 refuses an upload whose user metadata is over 2 KB, counted as the UTF-8 bytes
#: of every key (without `x-amz-meta-`) and value; moto does not check, so picset does,
#: before it hands out a ticket the bucket would refuse.
METADATA_LIMIT = 2048
FILENAME_KEY = "filename"
ALT_KEY = "alt"
_META_PREFIX = "x-amz-meta-"
#: The stored file name is informational (the page's title), so it gets a fixed share:
#: 255 bytes once percent-encoded, a file system's usual name limit for an ASCII name
#: (28 CJK characters, at 9 bytes each). Longer names lose characters from the end of
#: their stem; the extension stays.
FILENAME_BUDGET = 255
#: Everything else is the alt text's: 1782 bytes, so any alt of `MAX_ALT` ASCII
#: characters fits (at most 3 bytes each), and 198 CJK characters do.
ALT_BUDGET = METADATA_LIMIT - len(FILENAME_KEY) - FILENAME_BUDGET - len(ALT_KEY)
_ZWJ = "\u200d"
#: An extension longer than this is not kept apart when a name is shortened.
_MAX_KEPT_EXTENSION = 16

MISSING_ALT = (
    "Give alt text: describe what the image shows for people who cannot see it, "
    'or send an empty string ("") if the image is decorative and says nothing.'
)


@dataclass(frozen=True)
class TicketRequest:
    filename: str
    content_type: str
    size: int
    #: The uploader's description; "" marks a decorative image.
    alt: str


def _clean_text(raw: str) -> str:
    """NFC, with lone surrogates (JSON can carry them; UTF-8 cannot) made U+FFFD."""
    text = "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in raw)
    return unicodedata.normalize("NFC", text)


def sanitize_filename(raw: str) -> str:
    """The last path component, without control characters, shortened (keeping its
    extension) to `MAX_FILENAME` characters and `FILENAME_BUDGET` encoded bytes."""
    name = _clean_text(raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("", name).strip()
    if name in {"", ".", ".."}:
        return "upload"
    return fit_filename(name)


def encoded_size(value: str) -> int:
    """Bytes `value` takes as metadata once percent-encoded (ASCII, one byte a char)."""
    return len(encode_meta(value))


def _fitting_prefix(text: str, budget: int, max_chars: int | None = None) -> int:
    """How many leading characters of `text` fit in `budget` encoded bytes (and in
    `max_chars`), never leaving a base character without the marks that follow it."""
    limit = len(text) if max_chars is None else min(len(text), max_chars)
    used = 0
    cut = 0
    while cut < limit:
        used += encoded_size(text[cut])  # encoding is per character, so sizes add up
        if used > budget:
            break
        cut += 1
    while 0 < cut < len(text) and (_joins_previous(text[cut]) or text[cut - 1] == _ZWJ):
        cut -= 1
    return cut


def _joins_previous(char: str) -> bool:
    """A combining mark, variation selector or joiner belongs with the character before."""
    return unicodedata.category(char) in {"Mn", "Mc", "Me"} or char in {_ZWJ, "\ufe0f"}


def fit_filename(name: str, budget: int = FILENAME_BUDGET, max_chars: int = MAX_FILENAME) -> str:
    """`name` shortened by whole characters to at most `max_chars` characters and
    `budget` encoded bytes, keeping its extension: a long name loses the end of its stem."""
    if len(name) <= max_chars and encoded_size(name) <= budget:
        return name
    stem, dot, extension = name.rpartition(".")
    suffix = f".{extension}"
    if not dot or not stem or encoded_size(suffix) > _MAX_KEPT_EXTENSION:
        stem, suffix = name, ""
    room = budget - encoded_size(suffix)
    kept = stem[: _fitting_prefix(stem, room, max_chars - len(suffix))].rstrip()
    return f"{kept}{suffix}" if kept else name[: _fitting_prefix(name, budget, max_chars)]


def metadata_of(request: TicketRequest) -> dict[str, str]:
    """The object metadata a ticket carries, keyed as S3 counts them (no prefix)."""
    return {FILENAME_KEY: encode_meta(request.filename), ALT_KEY: encode_meta(request.alt)}


def metadata_size(fields: dict[str, str]) -> int:
    """User metadata size as S3 counts it, from presigned-POST fields: the UTF-8 bytes of
    each `x-amz-meta-*` key without its prefix, plus its value. Other fields are not
    metadata (policy, signature, Content-Type)."""
    return sum(
        len(name[len(_META_PREFIX) :].encode()) + len(value.encode())
        for name, value in fields.items()
        if name.lower().startswith(_META_PREFIX)
    )


def max_alt_chars(char: str) -> int:
    """How many of `char` an alt text may hold: the page tells this for CJK script."""
    return min(MAX_ALT, ALT_BUDGET // encoded_size(char))


def parse_alt(body: dict[str, Any]) -> str:
    """The alt text of a request body (a ticket, or a change of alt), by one set of rules."""
    if "alt" not in body or body["alt"] is None:
        raise RequestError("missing_alt", MISSING_ALT)
    raw = body["alt"]
    if not isinstance(raw, str):
        raise RequestError("bad_alt", "alt must be a string (empty for a decorative image).")
    alt = _UNSAFE.sub(" ", _clean_text(raw)).strip()
    fits = min(MAX_ALT, _fitting_prefix(alt, ALT_BUDGET))
    if fits < len(alt):
        raise RequestError(
            "alt_too_long",
            f"This alt text is too long to store with the image: it has {len(alt)} "
            f"characters and at most {fits} of them fit. Alt text may be up to {MAX_ALT} "
            f"characters and {ALT_BUDGET} bytes once encoded (a letter or digit takes 1, "
            "an accented letter 6, a Chinese or Japanese character 9).",
        )
    return alt


def parse_request(body: Any, settings: Settings) -> TicketRequest:
    """Validate a ticket request body; raises `RequestError` with a code a client can use."""
    if not isinstance(body, dict):
        raise RequestError(
            "bad_request", "Send a JSON object with filename, content_type, size and alt."
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
    alt = parse_alt(body)
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
    fields: dict[str, str] = {"Content-Type": request.content_type}
    fields.update({_META_PREFIX + key: value for key, value in metadata_of(request).items()})
    if metadata_size(fields) > METADATA_LIMIT:
        # parse_request keeps each value inside its budget; this is the last line that
        # stops a ticket the bucket would refuse if someone adds a field without one.
        raise RequestError("metadata_too_large", "The file name and alt text are too long.")
    conditions: list[Any] = [
        # The declared size, not the stage's cap: the quota reserved exactly this many
        # bytes, so a ticket must not carry a larger file than it was counted for.
        ["content-length-range", 1, request.size],
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
