"""The HTML pages: what each one shows, worked out here; the templates only lay it out.

`upload_page` hands the browser the server's own upload limits (types and size), so the
page's script checks a file before asking for a ticket without a copy of the rules that
could drift. `image_page` turns an image's state into the picture page, the processing
page, the failed page or the 404 page. The row and byte helpers are pure.

Pages link each other and their assets with relative URLs (`root` is `""` on `/` and
`"../"` under `/images/`), because API Gateway serves the app under a stage prefix
(`/api/`) that the app does not know.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import formats, images, render, sharing, tickets, web
from .errors import RequestError
from .manifest import Manifest, Variant
from .settings import Settings
from .storage import Storage

#: Scripts only from the app itself, so even a slip in escaping could not run injected
#: code; inline `style` attributes carry the placeholder and the table's bars; images
#: and uploads go to the bucket or CDN, whose origin depends on the stage.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src * data:; connect-src *; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class Page:
    status: int
    html: str


@dataclass(frozen=True)
class VariantRow:
    format: str
    label: str
    width: int
    height: int
    bytes: int
    size_text: str
    #: This variant's bytes as a percentage of the largest variant's (the bar's length).
    share: float
    #: Bytes saved against the fallback format at the same width, in percent; None for
    #: the fallback itself or when the fallback has no variant at that width.
    saving: int | None
    #: Its SSIMULACRA2 score, one decimal (None when it was not scored), and the
    #: encoder quality and chroma it was written at, for the cell's tooltip.
    score_text: str | None = None
    setting_text: str = ""


def upload_limits(settings: Settings) -> dict[str, Any]:
    """What the upload page's script checks before it asks for a ticket."""
    return {
        "types": formats.upload_types(),
        # File name endings the page may use to guess a type when the browser reports
        # none (Linux browsers often give HEIC/HEIF files an empty type). Only a guess:
        # the ticket checks the type again and the resize function reads the bytes.
        "extensions": formats.upload_endings(),
        "max_bytes": settings.max_upload_bytes,
        "max_alt": tickets.MAX_ALT,
    }


def human_bytes(size: int) -> str:
    """Bytes for a person: `812 B`, `45.3 KB`, `2.1 MB` (powers of 1024, one decimal)."""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:.1f} {unit}"


def kinds_text() -> str:
    """`JPEG, PNG, WebP, AVIF, HEIC, HEIF, GIF or TIFF`, each upload type's label once."""
    return formats.join_words(list(dict.fromkeys(formats.upload_types().values())))


def variant_rows(manifest: Manifest) -> list[VariantRow]:
    """One row per variant, widest first and, within a width, in the page's format order
    (modern formats first), each measured against the largest variant and against the
    fallback format at the same width."""
    if not manifest.variants:
        return []
    order = {fmt.name: index for index, fmt in enumerate(formats.OUTPUTS)}
    fallback = render.fallback_format(manifest)
    fallback_bytes = {v.width: v.bytes for v in manifest.variants_of(fallback)}
    largest = max(v.bytes for v in manifest.variants) or 1
    rows = []
    for variant in sorted(
        manifest.variants, key=lambda v: (-v.width, order.get(v.format, len(order)))
    ):
        baseline = fallback_bytes.get(variant.width)
        saving = None
        if variant.format != fallback and baseline:
            saving = round(100 * (baseline - variant.bytes) / baseline)
        rows.append(
            VariantRow(
                format=variant.format,
                label=formats.label(variant.format),
                width=variant.width,
                height=variant.height,
                bytes=variant.bytes,
                size_text=human_bytes(variant.bytes),
                share=round(100 * variant.bytes / largest, 1),
                saving=saving,
                score_text=f"{variant.score:.1f}" if variant.score is not None else None,
                setting_text=setting_text(variant),
            )
        )
    return rows


def setting_text(variant: Variant) -> str:
    """`quality 54, 4:4:4 chroma`, or "" for a lossless variant."""
    if variant.quality is None:
        return ""
    text = f"quality {variant.quality}"
    return f"{text}, {variant.chroma} chroma" if variant.chroma else text


def title_of(manifest: Manifest) -> str:
    """The page's heading. Not the file name: the page is public, and a name can say who
    uploaded the picture (the owner sees it in their own library)."""
    return "Image"


def upload_page(settings: Settings) -> Page:
    limits = upload_limits(settings)
    html = render.render(
        "upload.html",
        root="",
        accept=",".join([*limits["types"], *(f".{ext}" for ext in limits["extensions"])]),
        limits_json=json.dumps(limits, separators=(",", ":")),
        kinds=kinds_text(),
        max_size=human_bytes(settings.max_upload_bytes),
        processing_timeout_ms=settings.processing_timeout_seconds * 1000,
        max_alt=tickets.MAX_ALT,
        max_alt_cjk=tickets.max_alt_chars("\u6d77"),
    )
    return Page(200, html)


#: Images per page of "My images"; the next page is behind "Load more".
LIBRARY_PAGE_SIZE = 20


def library_page() -> Page:
    """`GET /library`, "My images": an empty shell. The list comes from `GET api/images`
    with the token the page's script holds, so the HTML names nobody and can be cached by
    nothing that would show one person's images to another."""
    html = render.render(
        "library.html",
        root="",
        page_size=LIBRARY_PAGE_SIZE,
        max_alt=tickets.MAX_ALT,
    )
    return Page(200, html)


def image_page(
    storage: Storage,
    settings: Settings,
    image_id: str,
    now: datetime,
    site: str | None = None,
) -> Page:
    """The page for `GET /images/{image_id}`, whatever state the image is in at `now`.

    `site` is the app's absolute root (the route always gives it): a ready image's page
    then carries its share card (Open Graph, Twitter, oEmbed discovery), whose links must
    be absolute. A processing or failed page has no image to show, so it has no card."""
    root = "../"
    try:
        state = images.lookup(storage, image_id, now, settings.processing_timeout_seconds)
    except RequestError:
        return Page(404, render.render("not_found.html", root=root))
    manifest = state.manifest
    if manifest is None:
        html = render.render(
            "processing.html",
            root=root,
            image_id=image_id,
            timeout_ms=settings.processing_timeout_seconds * 1000,
        )
        return Page(200, html)
    if not manifest.is_ready:
        return Page(200, render.render("failed.html", root=root, manifest=manifest))
    base = settings.variant_base_url
    fallback = render.fallback_format(manifest)
    title = title_of(manifest)
    html = render.render(
        "image.html",
        root=root,
        manifest=manifest,
        title=title,
        card=(
            sharing.card(manifest, base, site, web.page_url(site, image_id), untitled=title)
            if site
            else None
        ),
        markup=render.page_markup(manifest, base),
        # A plain string, so the template escapes it once more: inside the textarea the
        # browser decodes that layer and shows (and copies) the markup exactly.
        embed=str(render.embed_markup(manifest, base)),
        rows=variant_rows(manifest),
        fallback=formats.label(fallback),
        source_size=human_bytes(manifest.source.bytes),
        sizes=render.PAGE_SIZES,
    )
    return Page(200, html)
